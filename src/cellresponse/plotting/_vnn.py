"""Figures for visible neural networks: top RLIPP terms and embedding PCA plots.

Functions return matplotlib figures and do no file I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def plot_rlipp_top(
    table: pd.DataFrame,
    *,
    n: int = 20,
    drug: str | None = None,
    term_names: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Horizontal bars of the ``n`` highest RLIPP terms (one drug, or averaged over drugs).

    Parameters
    ----------
    table
        Output of :func:`cellresponse.explain.rlipp`.
    n
        Number of terms shown.
    drug
        Show this drug only; default: mean RLIPP per term over the table's drugs.
    term_names
        Optional ``term id -> readable name`` for labels.
    title
        Figure title.

    Raises
    ------
    ValueError
        If the table lacks the RLIPP columns or ``drug`` is not in it.
    """
    missing = {"term", "drug", "rlipp"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks columns {sorted(missing)}; pass the output of explain.rlipp")
    sub = table
    if drug is not None:
        sub = table[table["drug"] == drug]
        if sub.empty:
            raise ValueError(f"drug {drug!r} is not in the RLIPP table")
    scores = sub.groupby("term")["rlipp"].mean().dropna().sort_values(ascending=False).head(n)
    labels = [f"{t} {term_names[t]}" if term_names and t in term_names else t for t in scores.index]
    fig = Figure(figsize=(7, 0.3 * len(scores) + 1.2))
    ax = fig.add_subplot()
    ax.barh(np.arange(len(scores))[::-1], scores.to_numpy(), color="#4c72b0")
    ax.set_yticks(np.arange(len(scores))[::-1], labels, fontsize=8)
    ax.set_xlabel("RLIPP")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_title(title or (f"Top RLIPP terms ({drug})" if drug else "Top RLIPP terms (mean over drugs)"))
    fig.tight_layout()
    return fig


_MAX_CATEGORIES = 10  # categories with their own colour; the rest share one


def plot_embedding_pca(
    embedding: pd.DataFrame,
    *,
    color: pd.Series | None = None,
    color_label: str = "",
    title: str = "",
) -> Figure:
    """First two principal components of an embedding (rows: entities), optionally coloured.

    ``color`` is aligned on the embedding's index: numeric values use a colour map
    (e.g. a gene's expression, mean response), others are categories (e.g. drug target),
    the 10 most frequent in their own colour and the rest in one; entities without a value
    are light grey.

    Raises
    ------
    ValueError
        If the embedding has fewer than 2 rows or columns.
    """
    if embedding.shape[0] < 2 or embedding.shape[1] < 2:
        raise ValueError(f"embedding must be at least 2 x 2, got {embedding.shape}")
    x = embedding.to_numpy(dtype=np.float64)
    x = x - x.mean(axis=0)
    u, sv, _ = np.linalg.svd(x, full_matrices=False)
    pcs = u[:, :2] * sv[:2]
    var = sv**2 / max((sv**2).sum(), 1e-12)
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.add_subplot()
    if color is None:
        ax.scatter(pcs[:, 0], pcs[:, 1], s=12, color="#4c72b0")
    else:
        c = color.reindex(embedding.index)
        known = c.notna().to_numpy()
        if not known.all():
            ax.scatter(pcs[~known, 0], pcs[~known, 1], s=8, color="lightgrey", label="unknown")
        if pd.api.types.is_numeric_dtype(c):
            sc = ax.scatter(pcs[known, 0], pcs[known, 1], s=12, c=c[known].to_numpy(dtype=float), cmap="viridis")
            fig.colorbar(sc, ax=ax, label=color_label)
            if not known.all():
                ax.legend(fontsize=7, loc="best")
        else:
            labels = c.astype(str).to_numpy()
            top = pd.Series(labels[known]).value_counts().index[:_MAX_CATEGORIES]
            rest = known & ~np.isin(labels, top)
            if rest.any():  # the smaller categories stay visible, in one colour
                n_rest = len(np.unique(labels[rest]))
                ax.scatter(pcs[rest, 0], pcs[rest, 1], s=10, color="darkgrey", label=f"{n_rest} others")
            for cat in top:
                m = (labels == cat) & known  # a category named like a missing value stays apart
                ax.scatter(pcs[m, 0], pcs[m, 1], s=14, label=cat)
            ax.legend(fontsize=7, title=color_label, loc="best")
    ax.set_xlabel(f"PC1 ({100 * var[0]:.0f}%)")
    ax.set_ylabel(f"PC2 ({100 * var[1]:.0f}%)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


__all__ = ["plot_embedding_pca", "plot_rlipp_top"]
