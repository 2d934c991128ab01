"""Native attributions: what a model says about its own inputs.

- Linear models (``ridge_per_drug``, ``elastic_net_per_drug``, ``elastic_net``): the
  coefficient of each standardized feature (method ``coefficient``; back-projected
  exactly through principal components), signed. The global elastic net has one set of
  cell-line coefficients shared by every drug (its drug inputs are constant within a drug
  and explain nothing within it).
- LightGBM (``lightgbm_per_drug``, ``lightgbm``): TreeSHAP contributions
  (``predict(pred_contrib=True)``), averaged in absolute value over the drug's rows
  (method ``contribution``); direction is the sign of the correlation between an input
  and its contribution. Trees see their inputs only, so a model on principal components
  is explained per component (``pca``/``PC<k>``), not per gene.

Per-prediction contributions (:func:`contributions`) add up, with the baseline, to each
prediction exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from cellresponse.data import Dataset
from cellresponse.explain._inputs import InputSpace, standardized_features

#: per-drug rows of native attributions before ranking
NATIVE_COLUMNS = ("drug", "view", "feature", "importance", "direction", "n_rows")


@dataclass(frozen=True)
class RowContributions:
    """Contributions of each input to each prediction of a dataset.

    ``values[i] . 1 + baseline[i] == prediction[i]``; ``covered[i]`` is False where the
    model predicted a fallback (a drug unseen in training) and nothing is attributed.
    """

    view: np.ndarray
    feature: np.ndarray
    inputs: np.ndarray  # (n_rows, n_features) the value each contribution belongs to
    values: np.ndarray  # (n_rows, n_features)
    prediction: np.ndarray
    baseline: np.ndarray
    covered: np.ndarray


def _groups(keys: np.ndarray) -> list[tuple[str, np.ndarray]]:
    codes, uniq = pd.factorize(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return [(str(uniq[codes[c[0]]]), c) for c in np.split(order, bounds) if c.size]


def _frame(
    drugs: list[str], view: np.ndarray, feature: np.ndarray, signed: np.ndarray, n_rows: list[int]
) -> pd.DataFrame:
    """Long rows from a (drugs x features) matrix of signed importances."""
    n_feat = view.size
    return pd.DataFrame(
        {
            "drug": np.repeat(np.asarray(drugs, dtype=object), n_feat),
            "view": np.tile(view, len(drugs)),
            "feature": np.tile(feature, len(drugs)),
            "importance": np.abs(signed).ravel(),
            "direction": np.sign(signed).ravel(),
            "n_rows": np.repeat(np.asarray(n_rows, dtype=np.int64), n_feat),
        }
    )


def _direction(x: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Sign of the correlation between each input and its contribution (0 if either is constant)."""
    xc = x - x.mean(axis=0)
    pc = phi - phi.mean(axis=0)
    return np.sign(np.einsum("ij,ij->j", xc, pc))


class _Adapter:
    method: ClassVar[str] = ""

    def importance(self, model: Any, data: Dataset | None) -> pd.DataFrame:
        raise NotImplementedError

    def rows(self, model: Any, data: Dataset) -> RowContributions:
        raise NotImplementedError


def _drug_rows(model_drugs: np.ndarray, data: Dataset | None) -> tuple[list[str], list[int]]:
    """Drugs to attribute (those of ``data`` the model has; all without data) and their row counts."""
    if data is None:
        return [str(d) for d in model_drugs], [0] * len(model_drugs)
    counts = pd.Series(data.perturbations).value_counts()
    drugs = [str(d) for d in model_drugs if d in counts.index]
    return drugs, [int(counts[d]) for d in drugs]


class _PerDrugLinear(_Adapter):
    method = "coefficient"

    def importance(self, model: Any, data: Dataset | None) -> pd.DataFrame:
        space = InputSpace.of(model.featurizer_)
        coef = space.back_project(np.asarray(model.coef_, dtype=np.float64))
        drugs, n_rows = _drug_rows(model.drugs_, data)
        index = [model.drug_index_[d] for d in drugs]
        view, feature = space.original_names()
        return _frame(drugs, view, feature, coef[index], n_rows)

    def rows(self, model: Any, data: Dataset) -> RowContributions:
        space = InputSpace.of(model.featurizer_)
        coef = space.back_project(np.asarray(model.coef_, dtype=np.float64))
        cells, cell_idx = np.unique(data.cell_lines, return_inverse=True)
        x = standardized_features(model.featurizer_, data, cells)[cell_idx]
        k = np.array([model.drug_index_.get(d, -1) for d in data.perturbations])
        covered = k >= 0
        values = np.zeros_like(x)
        values[covered] = x[covered] * coef[k[covered]]
        return _finish_rows(space.original_names(), x, values, model.predict(data), covered)


class _GlobalLinear(_Adapter):
    method = "coefficient"

    def importance(self, model: Any, data: Dataset | None) -> pd.DataFrame:
        space = InputSpace.of(model.cell_featurizer_)
        coef = space.back_project(np.asarray(model.coef_, dtype=np.float64)[: space.n_inputs])
        drugs, n_rows = _drug_rows(np.asarray(model.offset_.means.index, dtype=object), data)
        view, feature = space.original_names()
        return _frame(drugs, view, feature, np.tile(coef, (len(drugs), 1)), n_rows)

    def rows(self, model: Any, data: Dataset) -> RowContributions:
        cell = InputSpace.of(model.cell_featurizer_)
        w = np.asarray(model.coef_, dtype=np.float64)
        cells, cell_idx = np.unique(data.cell_lines, return_inverse=True)
        x = standardized_features(model.cell_featurizer_, data, cells)[cell_idx]
        values = x * cell.back_project(w[: cell.n_inputs])
        view, feature = cell.original_names()
        if model.drug_featurizer_ is not None:
            drug = InputSpace.of(model.drug_featurizer_, prefix="drug:")
            drugs, drug_idx = np.unique(data.perturbations, return_inverse=True)
            z = model.drug_featurizer_.transform(data, drugs)[drug_idx].astype(np.float64)
            values = np.hstack([values, z * w[cell.n_inputs :]])
            x = np.hstack([x, z])
            dview, dfeature = drug.input_names()
            view, feature = np.concatenate([view, dview]), np.concatenate([feature, dfeature])
        covered = np.ones(len(data), dtype=bool)
        return _finish_rows((view, feature), x, values, model.predict(data), covered)


def _finish_rows(
    names: tuple[np.ndarray, np.ndarray], x: np.ndarray, values: np.ndarray, pred: np.ndarray, covered: np.ndarray
) -> RowContributions:
    pred = np.asarray(pred, dtype=np.float64)
    return RowContributions(names[0], names[1], x, values, pred, pred - values.sum(axis=1), covered)


class _PerDrugTrees(_Adapter):
    method = "contribution"

    def _contrib(self, model: Any, data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cells, cell_idx = np.unique(data.cell_lines, return_inverse=True)
        x_cells = model.featurizer_.transform(data, cells).astype(np.float64)
        n_in = x_cells.shape[1]
        x = x_cells[cell_idx]
        phi = np.zeros((len(data), n_in + 1))
        covered = np.zeros(len(data), dtype=bool)
        for drug, rows in _groups(data.perturbations):
            k = model.drug_index_.get(drug)
            if k is None:
                continue
            phi[rows] = model.estimators_[k].predict(x[rows], pred_contrib=True)
            covered[rows] = True
        return x, phi, covered

    def importance(self, model: Any, data: Dataset | None) -> pd.DataFrame:
        if data is None:
            raise ValueError(f"{type(model).__name__}: tree contributions need data (the rows to explain)")
        x, phi, covered = self._contrib(model, data)
        view, feature = InputSpace.of(model.featurizer_).input_names()
        return _tree_importance(data, x, phi[:, :-1], covered, view, feature)

    def rows(self, model: Any, data: Dataset) -> RowContributions:
        x, phi, covered = self._contrib(model, data)
        names = InputSpace.of(model.featurizer_).input_names()
        return _finish_rows(names, x, phi[:, :-1], model.predict(data), covered)


class _GlobalTrees(_Adapter):
    method = "contribution"

    def _contrib(self, model: Any, data: Dataset) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        cells, cell_idx = np.unique(data.cell_lines, return_inverse=True)
        parts = [model.cell_featurizer_.transform(data, cells)[cell_idx]]
        view, feature = InputSpace.of(model.cell_featurizer_).input_names()
        if model.drug_featurizer_ is not None:
            drugs, drug_idx = np.unique(data.perturbations, return_inverse=True)
            parts.append(model.drug_featurizer_.transform(data, drugs)[drug_idx])
            dview, dfeature = InputSpace.of(model.drug_featurizer_, prefix="drug:").input_names()
            view, feature = np.concatenate([view, dview]), np.concatenate([feature, dfeature])
        x = np.hstack(parts).astype(np.float64)
        phi = np.zeros((len(data), x.shape[1] + 1))
        for _, rows in _groups(data.perturbations):  # bounded memory: one drug at a time
            phi[rows] = model.booster_.predict(x[rows], pred_contrib=True)
        return x, phi, (view, feature)

    def importance(self, model: Any, data: Dataset | None) -> pd.DataFrame:
        if data is None:
            raise ValueError(f"{type(model).__name__}: tree contributions need data (the rows to explain)")
        x, phi, (view, feature) = self._contrib(model, data)
        return _tree_importance(data, x, phi[:, :-1], np.ones(len(data), dtype=bool), view, feature)

    def rows(self, model: Any, data: Dataset) -> RowContributions:
        x, phi, names = self._contrib(model, data)
        return _finish_rows(names, x, phi[:, :-1], model.predict(data), np.ones(len(data), dtype=bool))


def _tree_importance(
    data: Dataset, x: np.ndarray, phi: np.ndarray, covered: np.ndarray, view: np.ndarray, feature: np.ndarray
) -> pd.DataFrame:
    frames = []
    for drug, rows in _groups(data.perturbations):
        rows = rows[covered[rows]]
        if rows.size == 0:
            continue
        p = phi[rows]
        frame = pd.DataFrame(
            {
                "drug": drug,
                "view": view,
                "feature": feature,
                "importance": np.abs(p).mean(axis=0),
                "direction": _direction(x[rows], p),
                "n_rows": rows.size,
            }
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=list(NATIVE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _adapter(model: Any) -> _Adapter | None:
    from cellresponse.models.baselines import (
        ElasticNetGlobal,
        ElasticNetPerDrug,
        LightGBMGlobal,
        LightGBMPerDrug,
        RidgePerDrug,
    )

    if isinstance(model, RidgePerDrug | ElasticNetPerDrug):
        return _PerDrugLinear()
    if isinstance(model, ElasticNetGlobal):
        return _GlobalLinear()
    if isinstance(model, LightGBMPerDrug):
        return _PerDrugTrees()
    if isinstance(model, LightGBMGlobal):
        return _GlobalTrees()
    return None


def native_method(model: Any) -> str | None:
    """The native attribution method of ``model`` (``"coefficient"``, ``"contribution"``),
    or None when it has none (permutation importance works for every model)."""
    adapter = _adapter(model)
    return adapter.method if adapter is not None else None


def _checked(model: Any) -> _Adapter:
    check_is_fitted(model, "n_train_")
    adapter = _adapter(model)
    if adapter is None:
        name = getattr(model, "registry_name", "") or type(model).__name__
        raise TypeError(
            f"model {name!r} has no native attributions (linear and LightGBM models have them); "
            "use cellresponse.explain.permutation_importance, which works for every model"
        )
    return adapter


def native_importance(model: Any, data: Dataset | None = None) -> pd.DataFrame:
    """Per-drug importance of every input feature from the model itself
    (:data:`NATIVE_COLUMNS`): standardized coefficients for linear models, mean absolute
    TreeSHAP contributions over ``data``'s rows for LightGBM (which needs ``data``).

    Raises
    ------
    TypeError
        For a model without native attributions.
    """
    return _checked(model).importance(model, data)


def contributions(model: Any, data: Dataset) -> RowContributions:
    """Per-prediction contributions of every input feature (see :class:`RowContributions`).

    Raises
    ------
    TypeError
        For a model without native attributions.
    """
    return _checked(model).rows(model, data)


__all__ = ["NATIVE_COLUMNS", "RowContributions", "contributions", "native_importance", "native_method"]
