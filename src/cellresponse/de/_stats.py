"""Two-group tests for normalised or log-scale data, and Benjamini-Hochberg FDR."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from cellresponse.de._result import DEResult, finish_table
from cellresponse.de._validate import align_samples, check_groups

TestMethod = Literal["welch", "mannwhitney"]


def bh_fdr(pvalues: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values.

    NaN p-values stay NaN and do not count towards the number of tests.

    Parameters
    ----------
    pvalues
        1-D array of p-values in [0, 1] (NaN allowed).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same shape; ``padj >= p`` and monotone in ``p``.

    Raises
    ------
    ValueError
        If the input is not 1-D or a value lies outside [0, 1].

    Examples
    --------
    >>> bh_fdr([0.01, 0.04, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be 1-D, got shape {p.shape}")
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        bad = p[ok][(p[ok] < 0) | (p[ok] > 1)][0]
        raise ValueError(f"pvalues must lie in [0, 1]; found {bad}")
    out = np.full_like(p, np.nan)
    pv = p[ok]
    m = pv.size
    if m == 0:
        return out
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    out[ok] = adj
    return out


def welch_t(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Welch's t statistic and two-sided p-value per column of ``a`` (group 1) vs ``b``.

    Same result as ``scipy.stats.ttest_ind(a, b, equal_var=False)``, computed with
    two-pass variances so near-constant genes do not trigger scipy's precision warning.
    Columns with zero variance in both groups get NaN.
    """
    from scipy import stats

    na, nb = a.shape[0], b.shape[0]
    va = a.var(axis=0, ddof=1) / na
    vb = b.var(axis=0, ddof=1) / nb
    se2 = va + vb
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (a.mean(axis=0) - b.mean(axis=0)) / np.sqrt(se2)
        df = se2**2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    t = np.where(se2 > 0, t, np.nan)
    p = np.where(se2 > 0, 2.0 * stats.t.sf(np.abs(t), np.where(se2 > 0, df, 1.0)), np.nan)
    return t, p


def paired_t(
    d: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Paired t statistic and two-sided p-value per column of differences ``d``.

    Same result as ``scipy.stats.ttest_rel``; columns with constant ``d`` get NaN.
    """
    from scipy import stats

    n = d.shape[0]
    sd = d.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = d.mean(axis=0) / (sd / np.sqrt(n))
    t = np.where(sd > 0, t, np.nan)
    p = np.where(sd > 0, 2.0 * stats.t.sf(np.abs(t), n - 1), np.nan)
    return t, p


def two_group_test(
    data: pd.DataFrame,
    samples: pd.DataFrame,
    *,
    contrast: tuple[str, str, str],
    method: TestMethod = "welch",
    log_scale: bool = True,
    pair_by: str | None = None,
) -> DEResult:
    """Per-gene two-group test on normalised or log-scale expression.

    Parameters
    ----------
    data
        Samples x genes matrix of normalised values (e.g. log2 CPM, z-scores, TPM).
    samples
        Sample table indexed by sample ID; must contain the contrast factor.
    contrast
        ``(factor, test_level, reference_level)``. Samples at other levels are dropped.
    method
        ``"welch"`` (Welch's unequal-variance t-test) or ``"mannwhitney"`` (two-sided
        Mann-Whitney U). With ``pair_by`` they become the paired t-test and the Wilcoxon
        signed-rank test.
    log_scale
        ``True`` when ``data`` is already log2-scale: ``log2fc`` is the difference of
        group means. ``False`` for linear data: ``log2fc = log2((mean_test + 1) /
        (mean_ref + 1))`` and the tests run on ``log2(x + 1)``.
    pair_by
        Sample-table column that pairs samples (e.g. ``"donor"``); each pair value must
        occur once in each group.

    Returns
    -------
    DEResult
        Table in the common schema; ``padj`` is BH over the tested genes. Genes that are
        constant within both groups get NaN p-values.

    Raises
    ------
    ValueError
        If the matrix has missing values, the sample table does not match, a group has
        fewer than two samples, or the pairing is incomplete.
    KeyError
        If ``contrast[0]`` or ``pair_by`` is not a column of the sample table.
    """
    from scipy import stats

    if method not in ("welch", "mannwhitney"):
        raise ValueError(f"method must be 'welch' or 'mannwhitney', got {method!r}")
    factor, test_level, ref_level = contrast
    data, samples = align_samples(data, samples)
    col = check_groups(samples, factor=factor, test_level=test_level, reference_level=ref_level)
    values = data.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        i, j = (int(v[0]) for v in np.nonzero(~np.isfinite(values)))
        raise ValueError(f"data has a non-finite value at sample {data.index[i]!r}, gene {data.columns[j]!r}")
    if not log_scale:
        if (values < 0).any():
            raise ValueError("log_scale=False needs non-negative linear data; got negatives")
        values = np.log2(values + 1.0)
    is_test = (col == test_level).to_numpy()
    is_ref = (col == ref_level).to_numpy()
    notes: list[str] = []
    if pair_by is not None:
        a_idx, b_idx = _pairs(samples, col, pair_by=pair_by, test=test_level, ref=ref_level)
        a, b = values[a_idx], values[b_idx]
        method_name = "paired_t" if method == "welch" else "wilcoxon"
    else:
        a, b = values[is_test], values[is_ref]
        method_name = method
    constant = (np.ptp(a, axis=0) == 0) & (np.ptp(b, axis=0) == 0)
    if pair_by is not None:
        constant = np.ptp(a - b, axis=0) == 0
    stat = np.full(values.shape[1], np.nan)
    pval = np.full(values.shape[1], np.nan)
    ok = ~constant
    if ok.any():
        if method_name == "welch":
            stat[ok], pval[ok] = welch_t(a[:, ok], b[:, ok])
        elif method_name == "paired_t":
            stat[ok], pval[ok] = paired_t(a[:, ok] - b[:, ok])
        elif method_name == "mannwhitney":
            res = stats.mannwhitneyu(a[:, ok], b[:, ok], axis=0, alternative="two-sided")
            stat[ok], pval[ok] = res.statistic, res.pvalue
        else:
            res = stats.wilcoxon(a[:, ok], b[:, ok], axis=0)
            stat[ok], pval[ok] = res.statistic, res.pvalue
    if constant.any():
        notes.append(f"{int(constant.sum())} genes constant within groups were not tested")
    raw = data.to_numpy(dtype=float)
    keep = is_test | is_ref
    if log_scale:
        lfc = values[is_test].mean(axis=0) - values[is_ref].mean(axis=0)
    else:
        lfc = np.log2((raw[is_test].mean(axis=0) + 1.0) / (raw[is_ref].mean(axis=0) + 1.0))
    table = pd.DataFrame(
        {
            "gene": data.columns.astype(str),
            "base_mean": raw[keep].mean(axis=0),
            "log2fc": lfc,
            "statistic": stat,
            "pvalue": pval,
            "padj": bh_fdr(pval),
        }
    )
    design = f"{method_name} test of {factor}: {test_level} vs {ref_level}"
    if pair_by is not None:
        design += f", paired by {pair_by}"
    return DEResult(
        table=finish_table(table),
        method=method_name,
        design=design,
        contrast=(factor, test_level, ref_level),
        log_expression=pd.DataFrame(values[keep], index=data.index[keep], columns=data.columns),
        notes=tuple(notes),
        params={"method": method, "log_scale": log_scale, "pair_by": pair_by},
    )


def _pairs(
    samples: pd.DataFrame, col: pd.Series, *, pair_by: str, test: str, ref: str
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Row positions of (test, reference) samples matched by ``pair_by``."""
    if pair_by not in samples.columns:
        raise KeyError(
            f"pair_by {pair_by!r} is not a column of the sample table; columns: {', '.join(map(str, samples.columns))}"
        )
    key = samples[pair_by].astype(str).to_numpy()
    pos = {}
    for level in (test, ref):
        rows = np.flatnonzero(col.to_numpy() == level)
        keys = key[rows]
        uniq, n = np.unique(keys, return_counts=True)
        if (n > 1).any():
            raise ValueError(
                f"{pair_by}={uniq[n > 1][0]!r} occurs {int(n.max())} times in group {level!r}; "
                "paired tests need one sample per pair and group"
            )
        pos[level] = dict(zip(keys, rows, strict=True))
    unpaired = sorted(set(pos[test]) ^ set(pos[ref]))
    if unpaired:
        raise ValueError(f"{pair_by} values without a partner in the other group: {', '.join(unpaired[:5])}")
    order = sorted(pos[test])
    if len(order) < 2:
        raise ValueError(f"paired test needs at least 2 pairs, got {len(order)}")
    return (
        np.array([pos[test][k] for k in order], dtype=np.intp),
        np.array([pos[ref][k] for k in order], dtype=np.intp),
    )


__all__ = ["bh_fdr", "paired_t", "two_group_test", "welch_t"]
