"""One interface for every model's attributions, in one long schema.

:func:`attributions` runs the methods asked for (the model's native one where it has
one, permutation of single features, permutation of whole views) and returns
:data:`ATTRIBUTION_COLUMNS`; :func:`top_features` lists the features behind individual
predictions (what a prediction service returns next to the number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.explain._native import contributions, native_importance, native_method
from cellresponse.explain._permutation import PermutationSettings, permutation_importance

#: Long attribution table, one row per (model, drug, feature, method).
#:
#: ``model``: the model's name. ``drug``: the perturbation. ``view``: the feature's view
#: (``expression``, ``mutation``, ``tissue``, ``pca`` for principal components,
#: ``drug:...`` for drug inputs). ``feature``: its name (``"*"`` for a whole view).
#: ``method``: ``coefficient`` (standardized linear coefficient), ``contribution`` (mean
#: absolute LightGBM TreeSHAP contribution over the drug's rows), ``permutation`` (drop in
#: the drug's held-out Pearson when the feature is permuted), ``view_permutation`` (the same
#: for a whole view). ``importance``: larger is more important (permutation drops can be
#: negative). ``direction``: +1 when a higher feature value raises the prediction, -1 when
#: it lowers it, NaN when the method does not say. ``rank``: 1 = most important within
#: (model, drug, method). ``n_rows``: the drug's rows the importance was computed on
#: (0 for coefficients read without data).
ATTRIBUTION_COLUMNS: tuple[str, ...] = (
    "model",
    "drug",
    "view",
    "feature",
    "method",
    "importance",
    "direction",
    "rank",
    "n_rows",
)
METHODS = ("native", "permutation", "view_permutation")

#: One row per (prediction, feature) of :func:`top_features`: ``row`` (position in the
#: data), ``cell_line``, ``perturbation``, ``prediction``, ``baseline`` (the prediction
#: with every contribution removed), ``rank`` (1 = largest absolute contribution),
#: ``view``, ``feature``, ``value`` (the model's input: the feature standardized on the
#: training lines, a component score, or a 0/1 tissue), ``contribution`` (signed, in
#: target units).
CONTRIBUTION_COLUMNS: tuple[str, ...] = (
    "row",
    "cell_line",
    "perturbation",
    "prediction",
    "baseline",
    "rank",
    "view",
    "feature",
    "value",
    "contribution",
)


@dataclass(frozen=True)
class ExplainSettings:
    """What :func:`attributions` computes.

    Parameters
    ----------
    methods
        Any of :data:`METHODS`. ``"native"`` is skipped for a model without native
        attributions (every model has the permutation ones).
    top
        Keep the ``top`` features per (drug, method) (``None``: all).
    permutation
        Settings of the permutation methods (the view level is set per method).
    """

    methods: tuple[str, ...] = METHODS
    top: int | None = None
    permutation: PermutationSettings = field(default_factory=PermutationSettings)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.methods) - set(METHODS))
        if unknown:
            raise ValueError(f"unknown attribution methods {unknown}; choose from {METHODS}")
        if self.top is not None and self.top < 1:
            raise ValueError(f"top must be >= 1 or None, got {self.top}")


def rank_attributions(frame: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """Rank within (model, drug, method) by importance (ties by view and feature), keep
    the ``top`` of each, and order the columns as :data:`ATTRIBUTION_COLUMNS`."""
    if frame.empty:
        return pd.DataFrame(columns=list(ATTRIBUTION_COLUMNS))
    out = frame.sort_values(
        ["model", "drug", "method", "importance", "view", "feature"],
        ascending=[True, True, True, False, True, True],
        kind="stable",
        ignore_index=True,
    )
    out["rank"] = out.groupby(["model", "drug", "method"], sort=False).cumcount() + 1
    if top is not None:
        out = out[out["rank"] <= top].reset_index(drop=True)
    return out[list(ATTRIBUTION_COLUMNS)]


def attributions(
    model: Any, data: Dataset, *, settings: ExplainSettings | None = None, model_name: str | None = None
) -> pd.DataFrame:
    """Attributions of a fitted model for each drug of ``data``, by every method asked.

    Parameters
    ----------
    model
        A fitted response model.
    data
        Held-out observations: the rows LightGBM contributions average over and the
        permutation methods score on (coefficients do not depend on them beyond which
        drugs are listed).
    settings
        :class:`ExplainSettings`.
    model_name
        The ``model`` column (default: the model's registry name).

    Returns
    -------
    pandas.DataFrame
        :data:`ATTRIBUTION_COLUMNS`.

    Examples
    --------
    >>> from cellresponse.data.synthetic import make_response_dataset
    >>> from cellresponse.models import make_model
    >>> ds = make_response_dataset(n_cell_lines=40, n_genes=30, random_state=0)
    >>> model = make_model("ridge_per_drug", cell_views=("expression",), alphas=(1.0, 10.0)).fit(ds[:250])
    >>> table = attributions(model, ds[250:], settings=ExplainSettings(methods=("native",), top=3))
    >>> sorted(table["method"].unique()), int(table["rank"].max())
    (['coefficient'], 3)
    """
    settings = settings or ExplainSettings()
    name = model_name or getattr(model, "registry_name", "") or type(model).__name__
    frames = []
    if "native" in settings.methods and native_method(model) is not None:
        frames.append(native_importance(model, data).assign(method=native_method(model)))
    if "permutation" in settings.methods:
        perm = replace(settings.permutation, level="feature")
        frames.append(permutation_importance(model, data, settings=perm).assign(method="permutation"))
    if "view_permutation" in settings.methods:
        perm = replace(settings.permutation, level="view")
        frames.append(permutation_importance(model, data, settings=perm).assign(method="view_permutation"))
    frames = [f for f in frames if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(ATTRIBUTION_COLUMNS))
    return rank_attributions(table.assign(model=name), top=settings.top)


def top_features(
    model: Any, data: Dataset, *, perturbation: str | None = None, k: int = 10, views: Sequence[str] | None = None
) -> pd.DataFrame:
    """The ``k`` features contributing most to each prediction of ``data``.

    Parameters
    ----------
    model
        A fitted model with native attributions (linear or LightGBM); contributions add
        up with ``baseline`` to each prediction exactly.
    data
        The (cell line, drug) pairs predicted (e.g. from
        :func:`cellresponse.pipeline.pairs_dataset`).
    perturbation
        Explain only the rows of this drug.
    k
        Features per prediction, by absolute contribution.
    views
        Only features of these views (e.g. ``("expression",)`` to leave out tissue).

    Returns
    -------
    pandas.DataFrame
        :data:`CONTRIBUTION_COLUMNS`; a prediction the model made without its features (a
        drug unseen in training: the training mean) has no rows.

    Raises
    ------
    TypeError
        For a model without native attributions.
    ValueError
        If ``perturbation`` is not in ``data`` or ``k`` < 1.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    rows = np.arange(len(data))
    if perturbation is not None:
        rows = np.flatnonzero(data.perturbations == str(perturbation))
        if rows.size == 0:
            raise ValueError(f"no row of the data is for perturbation {perturbation!r}")
        data = data[rows]
    rc = contributions(model, data)
    keep = np.ones(rc.view.size, dtype=bool) if views is None else np.isin(rc.view, list(views))
    if not keep.any():
        raise ValueError(f"no feature of views {list(views or [])}; the model's views: {sorted(set(rc.view))}")
    values = np.where(keep, rc.values, 0.0)
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, : min(k, int(keep.sum()))]
    frames = []
    for i in np.flatnonzero(rc.covered):
        cols = order[i]
        frames.append(
            pd.DataFrame(
                {
                    "row": int(rows[i]),
                    "cell_line": data.cell_lines[i],
                    "perturbation": data.perturbations[i],
                    "prediction": rc.prediction[i],
                    "baseline": rc.baseline[i],
                    "rank": np.arange(1, cols.size + 1),
                    "view": rc.view[cols],
                    "feature": rc.feature[cols],
                    "value": rc.inputs[i, cols],
                    "contribution": rc.values[i, cols],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(CONTRIBUTION_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(CONTRIBUTION_COLUMNS)]


#: features permuted per model and fold by :func:`fold_attributions` (one prediction each)
FOLD_PERMUTED_FEATURES = 50


def fold_attributions(model: Any, test: Dataset, *, model_name: str, top: int = 20, seed: int = 0) -> pd.DataFrame:
    """The attributions a benchmark records for one fitted model on one test fold.

    The model's native method where it has one, else permutation of single features
    (``FOLD_PERMUTED_FEATURES`` screened candidates), and permutation of each whole view
    for every model; the ``top`` features of each drug and method. Models that read no
    cell-line view (the naive baselines) and vector targets get an empty table.
    """
    if test.is_vector_target or not model.required_views()[0]:
        return pd.DataFrame(columns=list(ATTRIBUTION_COLUMNS))
    methods = ("native", "view_permutation") if native_method(model) else ("permutation", "view_permutation")
    settings = ExplainSettings(
        methods=methods,
        top=top,
        permutation=PermutationSettings(max_features=FOLD_PERMUTED_FEATURES, random_state=seed),
    )
    return attributions(model, test, settings=settings, model_name=model_name)


def aggregate_folds(table: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """Attributions of several folds as one ranking per (model, drug, method): the mean
    importance over the folds that explained the drug (a feature missing from a fold's
    top list counts 0 there), the majority direction, and ``n_rows`` summed."""
    if table.empty:
        return pd.DataFrame(columns=list(ATTRIBUTION_COLUMNS))
    keys = ["model", "drug", "method"]
    folds = table.groupby(keys)["fold"].nunique().rename("n_folds") if "fold" in table else None
    summed = (
        table.groupby([*keys, "view", "feature"], sort=False)
        .agg(importance=("importance", "sum"), direction=("direction", "mean"))
        .reset_index()
    )
    rows = table.drop_duplicates([*keys, *(["fold"] if "fold" in table else [])]).groupby(keys)["n_rows"].sum()
    summed = summed.join(rows.rename("n_rows"), on=keys)
    if folds is not None:
        summed = summed.join(folds, on=keys)
        summed["importance"] = summed["importance"] / summed["n_folds"]
    summed["direction"] = np.sign(summed["direction"])
    return rank_attributions(summed, top=top)


__all__ = [
    "ATTRIBUTION_COLUMNS",
    "CONTRIBUTION_COLUMNS",
    "FOLD_PERMUTED_FEATURES",
    "METHODS",
    "ExplainSettings",
    "aggregate_folds",
    "attributions",
    "fold_attributions",
    "rank_attributions",
    "top_features",
]
