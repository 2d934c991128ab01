"""Figures for DE results: volcano, MA, sample PCA, heatmap of top genes.

Each function reads the common DE table (:data:`cellresponse.de.DE_COLUMNS`) and/or a
samples x genes log-expression matrix, and returns a matplotlib Figure; no file I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

UP_COLOR = "#d62728"
DOWN_COLOR = "#1f77b4"
NS_COLOR = "#bdbdbd"


def _labels(genes: pd.Series, gene_labels: Mapping[str, str] | None) -> list[str]:
    if gene_labels is None:
        return genes.astype(str).tolist()
    return [gene_labels.get(g, g) for g in genes.astype(str)]


def _colors(table: pd.DataFrame, alpha: float, lfc_threshold: float) -> np.ndarray:
    sig = (table["padj"] < alpha).to_numpy()
    lfc = table["log2fc"].to_numpy(dtype=float)
    col = np.full(len(table), NS_COLOR, dtype=object)
    col[sig & (lfc >= lfc_threshold)] = UP_COLOR
    col[sig & (lfc <= -lfc_threshold)] = DOWN_COLOR
    return col


def volcano(
    table: pd.DataFrame,
    *,
    alpha: float = 0.1,
    lfc_threshold: float = 1.0,
    n_labels: int = 10,
    gene_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Volcano plot: log2 fold change against -log10 p-value.

    Genes with ``padj < alpha`` and ``|log2fc| >= lfc_threshold`` are coloured; the
    ``n_labels`` smallest p-values are labelled (``gene_labels`` maps IDs to symbols).
    """
    t = table.dropna(subset=["pvalue", "log2fc"])
    p = np.clip(t["pvalue"].to_numpy(dtype=float), 1e-300, 1.0)
    y = -np.log10(p)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(
        t["log2fc"],
        y,
        c=_colors(t, alpha, lfc_threshold),
        s=6,
        alpha=0.7,
        linewidths=0,
        rasterized=True,
    )
    for x0 in (-lfc_threshold, lfc_threshold):
        ax.axvline(x0, color="grey", lw=0.6, ls="--")
    top = t.assign(nlogp=y).nsmallest(n_labels, "pvalue")
    for name, row in zip(_labels(top["gene"], gene_labels), top.itertuples(), strict=True):
        ax.annotate(name, (row.log2fc, row.nlogp), fontsize=7, xytext=(3, 3), textcoords="offset points")
    n_up = int(((t["padj"] < alpha) & (t["log2fc"] >= lfc_threshold)).sum())
    n_down = int(((t["padj"] < alpha) & (t["log2fc"] <= -lfc_threshold)).sum())
    ax.set_xlabel("log2 fold change")
    ax.set_ylabel("-log10 p-value")
    ax.set_title(title or f"Volcano: {n_up} up, {n_down} down (padj < {alpha})")
    fig.tight_layout()
    return fig


def ma_plot(
    table: pd.DataFrame,
    *,
    alpha: float = 0.1,
    shrunk: bool = True,
    title: str | None = None,
) -> Figure:
    """MA plot: log10 mean expression against log2 fold change.

    Uses ``log2fc_shrunk`` when ``shrunk`` and that column has values, else ``log2fc``.
    """
    col = "log2fc"
    if shrunk and "log2fc_shrunk" in table and table["log2fc_shrunk"].notna().any():
        col = "log2fc_shrunk"
    t = table.dropna(subset=[col, "base_mean"])
    base = t["base_mean"].to_numpy(dtype=float)
    x = np.log10(base + 1.0) if (base >= 0).all() else base
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(x, t[col], c=_colors(t, alpha, 0.0), s=5, alpha=0.7, linewidths=0, rasterized=True)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("log10(base mean + 1)" if (base >= 0).all() else "base mean")
    ax.set_ylabel(col.replace("_", " "))
    ax.set_title(title or f"MA plot (red/blue: padj < {alpha})")
    fig.tight_layout()
    return fig


def _top_variable(matrix: pd.DataFrame, n: int) -> pd.DataFrame:
    var = matrix.var(axis=0)
    return matrix.loc[:, var.nlargest(min(n, matrix.shape[1])).index]


def pca_samples(
    log_expression: pd.DataFrame,
    labels: pd.Series,
    *,
    n_top_genes: int = 500,
    title: str | None = None,
) -> Figure:
    """PCA of samples on the ``n_top_genes`` most variable genes, coloured by label.

    Axis labels carry the explained-variance percentage of each component.

    Raises
    ------
    ValueError
        If fewer than 3 samples, or ``labels`` lacks a sample of the matrix.
    """
    from sklearn.decomposition import PCA

    if log_expression.shape[0] < 3:
        raise ValueError(f"PCA needs >= 3 samples, got {log_expression.shape[0]}")
    missing = [s for s in log_expression.index if s not in labels.index]
    if missing:
        raise ValueError(f"labels lack samples {missing[:5]}")
    x = _top_variable(log_expression, n_top_genes)
    x = x - x.mean(axis=0)
    pca = PCA(n_components=2)
    pc = pca.fit_transform(x.to_numpy(dtype=float))
    ev = pca.explained_variance_ratio_ * 100
    lab = labels.loc[log_expression.index].astype(str)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    cmap = plt.get_cmap("tab10")
    for i, level in enumerate(sorted(lab.unique())):
        m = (lab == level).to_numpy()
        ax.scatter(pc[m, 0], pc[m, 1], label=level, color=cmap(i % 10), s=40)
    for name, (x0, y0) in zip(log_expression.index, pc, strict=True):
        ax.annotate(str(name), (x0, y0), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"PC1 ({ev[0]:.1f}% variance)")
    ax.set_ylabel(f"PC2 ({ev[1]:.1f}% variance)")
    ax.legend(title=labels.name if labels.name else None, fontsize=8)
    ax.set_title(title or f"Sample PCA ({x.shape[1]} most variable genes)")
    fig.tight_layout()
    return fig


def heatmap_top_genes(
    log_expression: pd.DataFrame,
    table: pd.DataFrame,
    labels: pd.Series,
    *,
    n_genes: int = 30,
    gene_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Heatmap of the ``n_genes`` smallest-p genes (row z-scores), samples by label."""
    top = table.dropna(subset=["pvalue"]).nsmallest(n_genes, "pvalue")["gene"].astype(str)
    top = [g for g in top if g in log_expression.columns]
    if not top:
        raise ValueError("no tested gene of the table is a column of log_expression")
    lab = labels.loc[log_expression.index].astype(str)
    order = lab.sort_values(kind="stable").index
    x = log_expression.loc[order, top].T.to_numpy(dtype=float)
    sd = x.std(axis=1, keepdims=True)
    z = (x - x.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(order) + 2.5), 0.22 * len(top) + 1.8))
    im = ax.imshow(z, aspect="auto", cmap="RdBu_r", vmin=-2.5, vmax=2.5)
    ax.set_yticks(range(len(top)), _labels(pd.Series(top), gene_labels), fontsize=6)
    ax.set_xticks(range(len(order)), [f"{s} ({lab[s]})" for s in order], rotation=90, fontsize=6)
    fig.colorbar(im, ax=ax, label="row z-score", shrink=0.6)
    ax.set_title(title or f"Top {len(top)} genes by p-value")
    fig.tight_layout()
    return fig


def de_figures(
    table: pd.DataFrame, log_expression: pd.DataFrame, labels: pd.Series, *, alpha: float = 0.1
) -> dict[str, Figure]:
    """The figures of a DE report: ``volcano``, ``ma``, ``pca`` and ``heatmap``, in that order.

    Parameters
    ----------
    table
        DE result table (common schema).
    log_expression
        Samples x genes log expression (``DEResult.log_expression``).
    labels
        Contrast level per sample (colours the PCA, orders the heatmap).
    alpha
        FDR level that colours significant genes.
    """
    return {
        "volcano": volcano(table, alpha=alpha),
        "ma": ma_plot(table, alpha=alpha),
        "pca": pca_samples(log_expression, labels),
        "heatmap": heatmap_top_genes(log_expression, table, labels),
    }


__all__ = ["de_figures", "heatmap_top_genes", "ma_plot", "pca_samples", "volcano"]
