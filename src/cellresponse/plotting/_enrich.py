"""Dot plot of GO enrichment results. No file I/O."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def enrichment_dotplot(table: pd.DataFrame, *, n_terms: int = 20, title: str | None = None) -> Figure:
    """Top terms by p-value: x = fold enrichment, dot size = overlap, colour = -log10 padj.

    ``table`` is the output of :func:`cellresponse.enrich.go_enrichment`.
    """
    t = table.nsmallest(n_terms, "pvalue").iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * max(len(t), 1) + 1.5))
    if t.empty:
        ax.text(0.5, 0.5, "no terms tested", ha="center", va="center")
        return fig
    color = -np.log10(np.clip(t["padj"].to_numpy(dtype=float), 1e-300, 1))
    sc = ax.scatter(
        t["fold_enrichment"],
        range(len(t)),
        s=20 + 8 * np.sqrt(t["overlap"]),
        c=color,
        cmap="viridis",
    )
    names = [f"{n[:55]} ({g})" for n, g in zip(t["term"], t["go_id"], strict=True)]
    ax.set_yticks(range(len(t)), names, fontsize=7)
    ax.set_xlabel("fold enrichment")
    fig.colorbar(sc, ax=ax, label="-log10 padj", shrink=0.7)
    ax.set_title(title or "GO biological process enrichment")
    fig.tight_layout()
    return fig


__all__ = ["enrichment_dotplot"]
