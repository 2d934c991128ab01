"""Critical-difference diagram (Demšar 2006) and per-drug transfer figures; no file I/O."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def _cliques(ranks: pd.Series, cd: float) -> list[tuple[int, int]]:
    """Maximal runs of models (in rank order) whose ranks differ by less than ``cd``."""
    values = ranks.to_numpy()
    out: list[tuple[int, int]] = []
    for i in range(len(values)):
        j = i
        while j + 1 < len(values) and values[j + 1] - values[i] < cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in out):
            out.append((i, j))
    return out


def critical_difference(
    ranks: pd.Series,
    *,
    cd: float,
    title: str = "",
    highlight: Sequence[str] = (),
) -> Figure:
    """Average ranks of models on an axis (1 = best, left), with the critical difference
    drawn above and thick bars joining models that do not differ significantly.

    Parameters
    ----------
    ranks
        Average rank per model (:attr:`cellresponse.metrics.RankComparison.ranks`).
    cd
        Nemenyi critical difference.
    title
        Figure title (say what the blocks are: drugs, datasets).
    highlight
        Models drawn in grey (the naive baselines).
    """
    ranks = ranks.sort_values(kind="stable")
    k = len(ranks)
    lo, hi = 1, max(k, 2)
    half = (k + 1) // 2
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.28 * max(half, k - half)))
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_ylim(-(max(half, k - half) + 1.5), 2.0)
    ax.axis("off")
    ax.hlines(0, lo, hi, color="black", lw=1)
    for r in range(lo, hi + 1):
        ax.vlines(r, 0, 0.15, color="black", lw=1)
        ax.text(r, 0.3, str(r), ha="center", va="bottom", fontsize=8)
    if np.isfinite(cd):
        ax.hlines(1.2, lo, lo + cd, color="black", lw=1.5)
        ax.text(lo + cd / 2, 1.35, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=8)
    for i, (model, rank) in enumerate(ranks.items()):
        left = i < half
        level = -(i + 1) if left else -(k - i)
        x_text = lo - 0.4 if left else hi + 0.4
        color = "#9e9e9e" if model in set(highlight) else "black"
        ax.plot([rank, rank, x_text], [0, level, level], color=color, lw=0.8)
        ax.text(x_text, level, f"{model} ({rank:.2f})", ha="right" if left else "left", va="center", fontsize=8,
                color=color)  # fmt: skip
    if np.isfinite(cd):
        for n, (i, j) in enumerate(_cliques(ranks, cd)):
            y = -0.35 - 0.22 * n
            ax.hlines(y, ranks.iloc[i] - 0.03, ranks.iloc[j] + 0.03, color="#d62728", lw=3)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def transfer_per_drug(per_drug: pd.DataFrame, *, models: Sequence[str], metric: str = "spearman") -> Figure:
    """Per-drug ``metric`` of each model (columns) on the test study, drugs sorted by the first model."""
    table = per_drug.pivot_table(index="drug", columns="model", values=metric, sort=False)
    cols = [m for m in models if m in table.columns]
    table = table[cols].sort_values(cols[0], ascending=False) if cols else table
    fig, ax = plt.subplots(figsize=(max(6, 0.22 * len(table) + 2), 3.6))
    x = np.arange(len(table))
    for j, col in enumerate(cols):
        ax.plot(x, table[col].to_numpy(), marker="o", ms=3, lw=0.8, label=col, alpha=0.85 if j else 1.0)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, table.index, rotation=90, fontsize=6)
    ax.set_ylabel(f"per-drug {metric}")
    if cols:
        ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    return fig


__all__ = ["critical_difference", "transfer_per_drug"]
