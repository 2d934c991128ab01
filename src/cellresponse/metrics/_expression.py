"""Metrics for predicted expression signatures: pure functions in sklearn's argument order.

Arrays are ``(n_signatures, n_genes)``. ``per_signature_*`` functions return one value per
signature; :func:`score_expression` averages them overall and per group into the long
results schema (``metric, group_by, group, value``).

Convention: a correlation with a *constant* prediction (e.g. the all-zero baseline, or
the train-mean baseline for the delta metric) carries no information about which genes
move and is scored 0, not NaN, so baselines stay comparable in tables and paired tests.
A constant *truth* gives NaN (the signature is undefined for correlation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

TOP_K = (50, 100)
LOWER_IS_BETTER_EXPR = frozenset({"rmse"})


def _pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y_true, dtype=np.float64)
    b = np.asarray(y_pred, dtype=np.float64)
    if a.ndim == 1:
        a, b = a[None, :], b.reshape(1, -1)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"y_true has shape {a.shape} but y_pred has shape {b.shape}; expected equal 2-D")
    return a, b


def _rowwise_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    na = np.sqrt((a * a).sum(1))
    nb = np.sqrt((b * b).sum(1))
    num = (a * b).sum(1)
    out = np.full(len(a), np.nan)
    ok = (na > 0) & (nb > 0)
    out[ok] = num[ok] / (na[ok] * nb[ok])
    out[(na > 0) & (nb == 0)] = 0.0
    return out


def per_signature_pearson(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Pearson correlation across genes, one value per signature.

    Examples
    --------
    >>> per_signature_pearson([[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.5]]).round(3)
    array([0.998])
    """
    return _rowwise_corr(*_pair(y_true, y_pred))


def per_signature_spearman(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Spearman correlation across genes, one value per signature."""
    a, b = _pair(y_true, y_pred)
    return _rowwise_corr(stats.rankdata(a, axis=1), stats.rankdata(b, axis=1))


def per_signature_delta_pearson(y_true: np.ndarray, y_pred: np.ndarray, *, reference: np.ndarray) -> np.ndarray:
    """Pearson of (truth - reference) vs (prediction - reference); ``reference`` is the
    training mean signature (n_genes,). Removes the shared "average response" that makes
    plain Pearson look good for any model."""
    a, b = _pair(y_true, y_pred)
    ref = np.asarray(reference, dtype=np.float64).reshape(1, -1)
    if ref.shape[1] != a.shape[1]:
        raise ValueError(f"reference has {ref.shape[1]} genes; signatures have {a.shape[1]}")
    out = _rowwise_corr(a - ref, b - ref)
    # A prediction equal to the reference up to float32 rounding carries no signal.
    same = np.abs(b - ref).max(axis=1) <= 1e-5 * (np.abs(ref).max() + 1e-12)
    out[same & np.isfinite(out)] = 0.0
    return out


def per_signature_rmse(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Root mean squared error across genes, one value per signature."""
    a, b = _pair(y_true, y_pred)
    return np.sqrt(((a - b) ** 2).mean(axis=1))


def per_signature_precision_at_k(
    y_true: np.ndarray, y_pred: np.ndarray, *, k: int = 50, direction: str = "up"
) -> np.ndarray:
    """Fraction of the predicted top-``k`` up (or down) genes that are in the true top-``k``.

    Ties are broken by gene order (stable sort).
    """
    a, b = _pair(y_true, y_pred)
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', got {direction!r}")
    if not 1 <= k <= a.shape[1]:
        raise ValueError(f"k must be in [1, {a.shape[1]}], got {k}")
    sign = -1.0 if direction == "up" else 1.0
    top_true = np.argsort(sign * a, axis=1, kind="stable")[:, :k]
    top_pred = np.argsort(sign * b, axis=1, kind="stable")[:, :k]
    mask = np.zeros(a.shape, dtype=bool)
    np.put_along_axis(mask, top_true, True, axis=1)
    hits = np.take_along_axis(mask, top_pred, axis=1).sum(1)
    out = hits / k
    const = np.ptp(b, axis=1) == 0
    out[const] = 0.0  # a constant prediction ranks nothing
    return out


def per_signature_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, *, reference: np.ndarray, top_k: Sequence[int] = TOP_K
) -> pd.DataFrame:
    """All per-signature metrics as a (n_signatures x metrics) frame."""
    a, b = _pair(y_true, y_pred)
    cols: dict[str, np.ndarray] = {
        "pearson": per_signature_pearson(a, b),
        "spearman": per_signature_spearman(a, b),
        "delta_pearson": per_signature_delta_pearson(a, b, reference=reference),
        "rmse": per_signature_rmse(a, b),
    }
    for k in top_k:
        if int(k) >= a.shape[1]:
            continue  # top-k of all genes is trivially 1
        cols[f"precision_up@{k}"] = per_signature_precision_at_k(a, b, k=int(k), direction="up")
        cols[f"precision_down@{k}"] = per_signature_precision_at_k(a, b, k=int(k), direction="down")
    return pd.DataFrame(cols)


def score_expression(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    reference: np.ndarray,
    groups: Mapping[str, np.ndarray] | None = None,
    top_k: Sequence[int] = TOP_K,
    min_group_size: int = 1,
) -> pd.DataFrame:
    """Mean of each per-signature metric overall (``group_by="all"``) and per group.

    Parameters
    ----------
    y_true, y_pred
        ``(n_signatures, n_genes)``.
    reference
        Training mean signature, for ``delta_pearson``.
    groups
        ``group_by`` name -> key per signature (e.g. ``{"compound": ..., "cell_line": ...}``).
    min_group_size
        Groups with fewer signatures get no per-group rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, group_by, group, value``.
    """
    per = per_signature_metrics(y_true, y_pred, reference=reference, top_k=top_k)
    rows = [(m, "all", "all", float(np.nanmean(per[m])) if per[m].notna().any() else np.nan) for m in per]
    for group_by, keys in (groups or {}).items():
        keys = np.asarray(keys)
        if len(keys) != len(per):
            raise ValueError(f"groups[{group_by!r}] has {len(keys)} keys for {len(per)} signatures")
        sizes = pd.Series(keys).value_counts()
        means = per.groupby(keys).mean()
        means = means[means.index.isin(sizes.index[sizes >= min_group_size])]
        for metric in per.columns:
            rows += [(metric, group_by, str(g), float(v)) for g, v in means[metric].items()]
    return pd.DataFrame(rows, columns=["metric", "group_by", "group", "value"])


__all__ = [
    "LOWER_IS_BETTER_EXPR",
    "TOP_K",
    "per_signature_delta_pearson",
    "per_signature_metrics",
    "per_signature_pearson",
    "per_signature_precision_at_k",
    "per_signature_rmse",
    "per_signature_spearman",
    "score_expression",
]
