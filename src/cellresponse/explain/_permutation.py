"""Model-agnostic permutation importance: the drop in per-drug Pearson on held-out data
when one feature (or one whole view) is shuffled across the held-out cell lines.

Views are stored once per cell line, so a feature is permuted across the held-out lines
(one permutation per repeat): every drug's rows then see the values of other held-out
lines, and one prediction call scores every drug at once. For a drug tested on most of
the held-out lines (GDSC: nearly all) this is the within-drug permutation; for a drug
tested on a few it draws from the held-out lines' distribution instead of only its own.

Permuting thousands of genes one at a time costs one prediction each, so by default a
screen keeps ``max_features`` candidates: per drug, a ridge surrogate of the model's
intact predictions on the features ranks them, and the candidates are taken round-robin
down the drugs' rankings. It only uses the model's predictions (model-agnostic). Features
left out by the screen get no row (not evaluated, never reported as unimportant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from cellresponse.data import Dataset, FeatureView
from cellresponse.explain._native import NATIVE_COLUMNS


@dataclass(frozen=True)
class PermutationSettings:
    """Settings of :func:`permutation_importance`.

    Parameters
    ----------
    level
        ``"feature"`` (one feature at a time) or ``"view"`` (all columns of a view with
        one row permutation, keeping the view's own correlations).
    views
        Cell-line views to permute (default: those the model reads).
    features
        Only these feature names (in any of ``views``); overrides the screen.
    max_features
        Permute this many screened candidates (``None``: every feature).
    n_repeats
        Permutations per feature; the drop is averaged.
    min_rows
        Drugs with fewer held-out rows get no score (Pearson on a handful of lines is noise).
    random_state
        Seed of the permutations.
    """

    level: Literal["feature", "view"] = "feature"
    views: tuple[str, ...] | None = None
    features: tuple[str, ...] | None = None
    max_features: int | None = 200
    n_repeats: int = 1
    min_rows: int = 10
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.level not in ("feature", "view"):
            raise ValueError(f"level must be 'feature' or 'view', got {self.level!r}")
        if self.n_repeats < 1:
            raise ValueError(f"n_repeats must be >= 1, got {self.n_repeats}")
        if self.max_features is not None and self.max_features < 1:
            raise ValueError(f"max_features must be >= 1 or None, got {self.max_features}")
        if self.min_rows < 3:
            raise ValueError(f"min_rows must be >= 3, got {self.min_rows}")


class _PerDrugPearson:
    """Pearson correlation within each drug of ``y`` with a prediction vector, vectorized."""

    def __init__(self, drugs: np.ndarray, y: np.ndarray, min_rows: int) -> None:
        codes, uniq = pd.factorize(drugs)
        counts = np.bincount(codes, minlength=len(uniq))
        keep = counts >= min_rows
        self.mask = keep[codes]
        self.codes = codes[self.mask]
        remap = np.cumsum(keep) - 1
        self.codes = remap[self.codes]
        self.drugs = np.asarray(uniq[keep], dtype=object).astype(str)
        self.n = counts[keep].astype(np.float64)
        self.y = self._centred(np.asarray(y, dtype=np.float64)[self.mask])
        self.yy = np.bincount(self.codes, self.y * self.y, minlength=self.drugs.size)

    def _centred(self, v: np.ndarray) -> np.ndarray:
        means = np.bincount(self.codes, v, minlength=self.drugs.size) / self.n
        return v - means[self.codes]

    def __call__(self, pred: np.ndarray) -> np.ndarray:
        p = self._centred(np.asarray(pred, dtype=np.float64)[self.mask])
        pp = np.bincount(self.codes, p * p, minlength=self.drugs.size)
        py = np.bincount(self.codes, p * self.y, minlength=self.drugs.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((pp > 1e-24) & (self.yy > 0), py / np.sqrt(pp * self.yy), np.nan)


def _screen(
    views: dict[str, FeatureView], line_idx: np.ndarray, pred: np.ndarray, groups: _PerDrugPearson, keep: int
) -> list[tuple[str, int]]:
    """(view, column) of ``keep`` candidate features: each drug ranks the features by the
    coefficients of a ridge surrogate of its intact predictions (features standardized
    over the held-out lines), and the candidates are taken round-robin down the drugs'
    rankings (every drug's first, then every drug's second, ...) until ``keep`` are chosen.

    A surrogate coefficient measures what a feature adds beyond the others; marginal
    correlations with the predictions instead favour broad expression programs that many
    genes share."""
    blocks = [(name, j) for name, v in views.items() for j in range(v.n_features)]
    x = np.hstack([v.values.astype(np.float64) for v in views.values()])
    sd = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    gram = x @ x.T  # held-out lines x lines, once for every drug
    ranked = []
    for k in range(groups.drugs.size):
        rows = np.flatnonzero(groups.mask)[groups.codes == k]
        idx = line_idx[rows]
        n = idx.size
        centre = np.eye(n) - 1.0 / n
        kc = centre @ gram[np.ix_(idx, idx)] @ centre
        p = pred[rows] - pred[rows].mean()
        lam = 0.1 * max(np.trace(kc), 1e-12) / n
        alpha = np.linalg.solve(kc + lam * np.eye(n), p)  # sums to 0: x need not be re-centred
        score = np.abs(x[idx].T @ alpha)
        ranked.append(np.argsort(-score, kind="stable"))
    chosen: dict[int, None] = {}
    for depth in range(x.shape[1]):
        for order in ranked:
            chosen.setdefault(int(order[depth]))
            if len(chosen) >= keep:
                return [blocks[j] for j in chosen]
    return [blocks[j] for j in chosen]


def _targets(views: dict[str, FeatureView], settings: PermutationSettings, screen: Any) -> list[tuple[str, int]]:
    if settings.features is not None:
        wanted = set(settings.features)
        found = [(n, j) for n, v in views.items() for j, f in enumerate(v.feature_names) if f in wanted]
        missing = wanted - {views[n].feature_names[j] for n, j in found}
        if missing:
            raise KeyError(f"features {sorted(missing)[:5]} are in none of the views {list(views)}")
        return found
    total = sum(v.n_features for v in views.values())
    if settings.max_features is None or settings.max_features >= total:
        return [(n, j) for n, v in views.items() for j in range(v.n_features)]
    return screen(settings.max_features)


def permutation_importance(model: Any, data: Dataset, *, settings: PermutationSettings | None = None) -> pd.DataFrame:
    """Drop in each drug's Pearson correlation (truth vs prediction) on held-out ``data``
    when a feature or a view is permuted across its cell lines.

    Parameters
    ----------
    model
        Any fitted response model (scalar predictions).
    data
        Held-out observations (never the training rows: importance on training data
        measures memorisation).
    settings
        :class:`PermutationSettings`.

    Returns
    -------
    pandas.DataFrame
        :data:`~cellresponse.explain.NATIVE_COLUMNS` (``importance`` = mean drop in
        Pearson, may be negative; ``direction`` NaN; ``feature`` ``"*"`` for a view).

    Raises
    ------
    ValueError
        If no drug of ``data`` has ``min_rows`` held-out rows, or a view is not a cell view
        of ``data``.
    """
    settings = settings or PermutationSettings()
    names = list(settings.views) if settings.views is not None else list(model.required_views()[0])
    if not names:
        raise ValueError(f"{type(model).__name__} reads no cell-line view: nothing to permute")
    lines = pd.unique(data.cell_lines)
    line_idx = pd.Index(lines).get_indexer(data.cell_lines)
    views = {n: data.cell_view(n).subset(ids=lines) for n in names}
    base = data.with_views(cell_views={**data.cell_views, **views})
    groups = _PerDrugPearson(data.perturbations, data.y, settings.min_rows)
    if groups.drugs.size == 0:
        raise ValueError(f"no drug has {settings.min_rows} held-out rows; permutation importance needs them")
    pred = np.asarray(model.predict(base), dtype=np.float64)
    r0 = groups(pred)
    rng = np.random.default_rng(settings.random_state)
    perms = [rng.permutation(lines.size) for _ in range(settings.n_repeats)]

    def drop(view_name: str, values_for: Any) -> np.ndarray:
        out = np.zeros(groups.drugs.size)
        old = views[view_name]
        for perm in perms:
            new = FeatureView(old.name, old.ids, values_for(old.values, perm), old.feature_names, old.kind)
            out += r0 - groups(model.predict(base.with_views(cell_views={**base.cell_views, view_name: new})))
        return out / len(perms)

    results: list[tuple[str, str, np.ndarray]] = []
    if settings.level == "view":
        for name in names:
            results.append((name, "*", drop(name, lambda v, p: v[p])))
    else:
        targets = _targets(views, settings, lambda keep: _screen(views, line_idx, pred, groups, keep))
        for name, j in targets:

            def permuted(v: np.ndarray, p: np.ndarray, j: int = j) -> np.ndarray:
                out = v.copy()
                out[:, j] = v[p, j]
                return out

            results.append((name, str(views[name].feature_names[j]), drop(name, permuted)))
    n_rows = groups.n.astype(np.int64)
    frames = [
        pd.DataFrame(
            {
                "drug": groups.drugs,
                "view": name,
                "feature": feature,
                "importance": d,
                "direction": np.nan,
                "n_rows": n_rows,
            }
        )
        for name, feature, d in results
    ]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(NATIVE_COLUMNS))
    return out[np.isfinite(out["importance"].to_numpy(dtype=float))].reset_index(drop=True)


def per_drug_pearson(
    drugs: Sequence[str] | np.ndarray, y: np.ndarray, pred: np.ndarray, *, min_rows: int = 10
) -> pd.Series:
    """Pearson of ``y`` and ``pred`` within each drug with ``min_rows`` rows (the score the
    permutation importance is a drop of)."""
    groups = _PerDrugPearson(np.asarray(drugs), y, min_rows)
    return pd.Series(groups(pred), index=pd.Index(groups.drugs, name="drug"), name="pearson")


__all__ = ["PermutationSettings", "per_drug_pearson", "permutation_importance"]
