"""Rank-based comparison of several models over many blocks (drugs, datasets, seeds):
the Friedman test and the Nemenyi post-hoc test with its critical difference (Demšar 2006).

Within each block the models are ranked (1 = best, ties share the average rank); the
Friedman test asks whether the average ranks differ at all, and two models whose
average ranks differ by more than the critical difference
``q_alpha * sqrt(k (k + 1) / (6 N))`` (``q_alpha`` from the studentized range with
infinite degrees of freedom, divided by sqrt 2) differ at level ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class RankComparison:
    """Result of :func:`friedman_nemenyi`.

    Attributes
    ----------
    ranks
        Average rank of each model (1 = best), sorted best first.
    n_blocks
        Blocks with a score for every model (the others are left out).
    statistic, pvalue
        Friedman chi-square and its p-value (NaN for fewer than 3 models or 2 blocks).
    cd
        Nemenyi critical difference of average ranks at ``alpha``.
    alpha
        Level of the post-hoc test.
    pairwise
        One row per pair: ``model``, ``reference``, ``rank_diff`` (reference rank minus
        model rank; > 0: the model ranks better), ``pvalue`` (Nemenyi), ``significant``.
    """

    ranks: pd.Series
    n_blocks: int
    statistic: float
    pvalue: float
    cd: float
    alpha: float
    pairwise: pd.DataFrame


def nemenyi_cd(k: int, n: int, *, alpha: float = 0.05) -> float:
    """Critical difference of average ranks of ``k`` models over ``n`` blocks.

    Examples
    --------
    >>> round(nemenyi_cd(5, 30), 3)  # q_0.05 = 2.728 for 5 models (Demšar's table)
    1.114
    """
    if k < 2 or n < 1:
        return float("nan")
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(k * (k + 1) / (6.0 * n)))


def friedman_nemenyi(scores: pd.DataFrame, *, higher_is_better: bool = True, alpha: float = 0.05) -> RankComparison:
    """Friedman test and Nemenyi post-hoc test of the models (columns) over blocks (rows).

    Parameters
    ----------
    scores
        Blocks x models (e.g. drugs x models of per-drug Pearson). Blocks with a
        missing score are left out.
    higher_is_better
        False for error metrics.
    alpha
        Level of the critical difference and of ``significant``.

    Raises
    ------
    ValueError
        For fewer than two models.
    """
    if scores.shape[1] < 2:
        raise ValueError(f"a rank comparison needs at least two models, got {list(scores.columns)}")
    table = scores.astype(float).dropna(axis=0, how="any")
    n, k = table.shape
    signed = table.to_numpy() if not higher_is_better else -table.to_numpy()
    ranks = stats.rankdata(signed, axis=1) if n else np.zeros((0, k))
    avg = pd.Series(ranks.mean(axis=0) if n else np.full(k, np.nan), index=table.columns, name="rank")
    statistic = pvalue = float("nan")
    if k >= 3 and n >= 2 and not np.allclose(ranks, ranks[:1]):
        res = stats.friedmanchisquare(*[ranks[:, j] for j in range(k)])
        statistic, pvalue = float(res.statistic), float(res.pvalue)
    se = np.sqrt(k * (k + 1) / (6.0 * n)) if n else float("nan")
    rows = []
    cols = list(table.columns)
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            diff = float(avg[b] - avg[a])
            p = float(stats.studentized_range.sf(abs(diff) / se * np.sqrt(2), k, np.inf)) if n else float("nan")
            rows.append({"model": a, "reference": b, "rank_diff": diff, "pvalue": p, "significant": p < alpha})
    return RankComparison(
        ranks=avg.sort_values(kind="stable"),
        n_blocks=n,
        statistic=statistic,
        pvalue=pvalue,
        cd=nemenyi_cd(k, n, alpha=alpha),
        alpha=alpha,
        pairwise=pd.DataFrame(rows, columns=["model", "reference", "rank_diff", "pvalue", "significant"]),
    )


__all__ = ["RankComparison", "friedman_nemenyi", "nemenyi_cd"]
