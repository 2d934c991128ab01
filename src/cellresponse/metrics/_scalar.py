"""Metrics: pure functions in sklearn's (y_true, y_pred) order, and grouped variants.

The field's trap: over all (cell line, drug) pairs, Pearson is dominated by how potent
each drug is on average, so predicting each drug's mean already scores ~0.85 on GDSC2
under leave-cell-line-out while explaining nothing about which cell lines respond. The
grouped metrics (within each drug, within each cell line) and the *normalized* Pearson
(truth and prediction both minus the additive mean-effects baseline) measure what a
model adds beyond that.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

Metric = Callable[[np.ndarray, np.ndarray], float]


def _valid(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y_true, dtype=np.float64).ravel()
    b = np.asarray(y_pred, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"y_true has {a.size} values but y_pred has {b.size}")
    return a, b


def pearson(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Pearson correlation; NaN when either side is constant or has < 3 values."""
    a, b = _valid(y_true, y_pred)
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    a = a - a.mean()
    b = b - b.mean()
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else float("nan")


def spearman(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    a, b = _valid(y_true, y_pred)
    if a.size < 3:
        return float("nan")
    return pearson(stats.rankdata(a), stats.rankdata(b))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    a, b = _valid(y_true, y_pred)
    return float(np.sqrt(np.mean((a - b) ** 2))) if a.size else float("nan")


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    a, b = _valid(y_true, y_pred)
    return float(np.mean(np.abs(a - b))) if a.size else float("nan")


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination against the mean of ``y_true`` (can be negative)."""
    a, b = _valid(y_true, y_pred)
    ss_tot = np.sum((a - a.mean()) ** 2)
    return float(1 - np.sum((a - b) ** 2) / ss_tot) if a.size > 1 and ss_tot > 0 else float("nan")


def normalized_pearson(y_true: np.ndarray, y_pred: np.ndarray, *, baseline: np.ndarray) -> float:
    """Pearson of (truth - baseline) against (prediction - baseline).

    ``baseline`` is the mean-effects (drug + cell line) prediction fitted on the same
    training fold, so a model scores only for what it predicts beyond additive means.
    """
    a, b = _valid(y_true, y_pred)
    base = np.asarray(baseline, dtype=np.float64).ravel()
    if base.shape != a.shape:
        raise ValueError(f"baseline has {base.size} values for {a.size} observations")
    resid = b - base
    # a model equal to the baseline up to float rounding (the drug mean under
    # leave-cell-line-out) has no residual signal: undefined, not a correlation of noise
    scale = max(float(np.abs(b).max(initial=0.0)), float(np.abs(base).max(initial=0.0)))
    if resid.size and np.ptp(resid) <= 1e-9 * scale:
        return float("nan")
    return pearson(a - base, resid)


METRICS: dict[str, Metric] = {
    "pearson": pearson,
    "spearman": spearman,
    "rmse": rmse,
    "mae": mae,
    "r2": r2,
}
#: Metrics where lower is better (used for "gain over baseline" signs).
LOWER_IS_BETTER = frozenset({"rmse", "mae"})


def grouped_metric(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    groups: np.ndarray,
    *,
    metric: Metric,
    min_size: int = 10,
) -> pd.Series:
    """``metric`` within each group with at least ``min_size`` observations.

    Groups whose truth is constant give NaN (correlation undefined) and are dropped.
    Returns a Series indexed by group.
    """
    a, b = _valid(y_true, y_pred)
    g = np.asarray(groups)
    if g.shape[0] != a.size:
        raise ValueError(f"groups has {g.shape[0]} entries for {a.size} observations")
    codes, uniques = pd.factorize(g)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    out: dict[object, float] = {}
    for chunk in np.split(order, bounds):
        if chunk.size < min_size:
            continue
        out[uniques[codes[chunk[0]]]] = metric(a[chunk], b[chunk])
    return pd.Series(out, dtype=float).dropna()


def group_summary_rows(values: pd.Series, *, metric: str, group_by: str) -> list[tuple[str, str, str, float]]:
    """(metric, group_by, group, value) rows: every group plus its mean and median."""
    rows = [(metric, group_by, str(k), float(v)) for k, v in values.items()]
    if len(values):
        rows.append((f"per_{group_by}_{metric}_mean", "all", "all", float(values.mean())))
        rows.append((f"per_{group_by}_{metric}_median", "all", "all", float(values.median())))
    return rows


def score_scalar(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    perturbations: np.ndarray,
    cell_lines: np.ndarray,
    baseline: np.ndarray | None = None,
    perturbation_kind: str = "drug",
    min_group_size: int = 10,
) -> pd.DataFrame:
    """All scalar-target metrics as a long table with columns metric, group_by, group, value.

    Overall: pearson, spearman, rmse, mae, r2 and (with ``baseline``) normalized_pearson.
    Within each perturbation and each cell line: the same, as per-group rows and their
    mean/median (e.g. ``per_drug_pearson_mean``).
    """
    rows: list[tuple[str, str, str, float]] = [(name, "all", "all", fn(y_true, y_pred)) for name, fn in METRICS.items()]
    group_sets = [(perturbation_kind, perturbations), ("cell_line", cell_lines)]
    for group_by, groups in group_sets:
        for name in ("pearson", "spearman", "rmse"):
            vals = grouped_metric(y_true, y_pred, groups, metric=METRICS[name], min_size=min_group_size)
            rows += group_summary_rows(vals, metric=name, group_by=group_by)
    if baseline is not None:
        rows.append(("normalized_pearson", "all", "all", normalized_pearson(y_true, y_pred, baseline=baseline)))
        resid_true = np.asarray(y_true, dtype=np.float64) - baseline
        resid_pred = np.asarray(y_pred, dtype=np.float64) - baseline
        vals = grouped_metric(resid_true, resid_pred, perturbations, metric=pearson, min_size=min_group_size)
        rows += group_summary_rows(vals, metric="normalized_pearson", group_by=perturbation_kind)
    return pd.DataFrame(rows, columns=["metric", "group_by", "group", "value"])


__all__ = [
    "LOWER_IS_BETTER",
    "METRICS",
    "group_summary_rows",
    "grouped_metric",
    "mae",
    "normalized_pearson",
    "pearson",
    "r2",
    "rmse",
    "score_scalar",
    "spearman",
]
