"""Figures for exploratory ML: embeddings, nested-CV scores, top genes. No file I/O."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def embedding_scatter(
    coords: pd.DataFrame,
    labels: pd.Series,
    *,
    explained: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Scatter of the first two embedding columns coloured by label.

    ``explained`` (column -> variance ratio, from :func:`cellresponse.explore.embed`)
    is written into the axis labels for PCA.
    """
    lab = labels.loc[coords.index].astype(str)
    levels = sorted(lab.unique())
    cmap = plt.get_cmap("tab20")
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    c1, c2 = coords.columns[:2]
    for i, level in enumerate(levels):
        m = (lab == level).to_numpy()
        ax.scatter(
            coords.loc[m, c1],
            coords.loc[m, c2],
            s=10,
            color=cmap(i % 20),
            label=f"{level} ({int(m.sum())})",
            alpha=0.8,
            linewidths=0,
        )
    ev = explained or {}
    ax.set_xlabel(f"{c1} ({ev[c1] * 100:.1f}% variance)" if c1 in ev else str(c1))
    ax.set_ylabel(f"{c2} ({ev[c2] * 100:.1f}% variance)" if c2 in ev else str(c2))
    ax.legend(fontsize=6, markerscale=1.5, bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.set_title(title or f"{c1[:-1]} embedding coloured by class")
    fig.tight_layout()
    return fig


def cv_scores(
    scores: pd.DataFrame,
    *,
    chance: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Outer-fold scores per model (points) with means (bars), one panel per metric.

    ``scores`` is :attr:`NestedCVResult.scores`; ``chance`` draws a reference line per
    metric (e.g. 0.5 for AUC, 1/n_classes for balanced accuracy).
    """
    metrics = list(dict.fromkeys(scores["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        d = scores[scores["metric"] == metric]
        models = list(dict.fromkeys(d["model"]))
        means = [d.loc[d["model"] == m, "value"].mean() for m in models]
        ax.bar(range(len(models)), means, color="#9ecae1")
        for i, m in enumerate(models):
            v = d.loc[d["model"] == m, "value"].to_numpy()
            ax.scatter(np.full(len(v), i), v, color="#08519c", s=12, zorder=3)
        if chance and metric in chance:
            ax.axhline(chance[metric], color="#d62728", ls="--", lw=1, label="chance")
            ax.legend(fontsize=7)
        ax.set_xticks(range(len(models)), models, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1.02)
        ax.set_title(metric.replace("_", " "))
    fig.suptitle(title or "Nested-CV scores on held-out outer folds")
    fig.tight_layout()
    return fig


def top_genes_bar(table: pd.DataFrame, *, n: int = 25, title: str | None = None) -> Figure:
    """Horizontal bars of ``importance`` for the top ``n`` genes of :func:`top_genes`."""
    t = table.nlargest(n, "importance").iloc[::-1]
    fig, ax = plt.subplots(figsize=(5.5, 0.22 * len(t) + 1.2))
    ax.barh(t["gene"].astype(str), t["importance"], color="#6a51a3")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("importance")
    ax.set_title(title or "Top discriminating genes")
    fig.tight_layout()
    return fig


def permutation_hist(perm: Mapping[str, float], *, title: str | None = None) -> Figure:
    """Real score against the permutation null (mean +/- sd), as a simple bar + line."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    mu, sd = perm["permutation_mean"], perm["permutation_std"]
    ax.errorbar([0], [mu], yerr=[sd], fmt="o", color="grey", label="permuted labels")
    ax.scatter([1], [perm["score"]], color="#d62728", zorder=3, label="real labels")
    ax.set_xticks([0, 1], ["permuted", "real"])
    ax.set_ylabel("CV balanced accuracy")
    ax.set_xlim(-0.5, 1.5)
    ax.set_title(title or f"Permutation test p = {perm['pvalue']:.3g}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def explore_figures(
    embedding: pd.DataFrame,
    labels: pd.Series,
    *,
    explained: Mapping[str, float] | None,
    scores: pd.DataFrame,
    top_genes: pd.DataFrame,
    best_model: str,
    permutation: Mapping[str, float] | None = None,
) -> dict[str, Figure]:
    """The figures of an explore report, caption -> figure, in report order.

    Parameters
    ----------
    embedding, labels, explained
        Sample coordinates (``PC1, PC2`` or ``UMAP1, UMAP2``), their classes and PCA's
        variance ratios (see :func:`embedding_scatter`).
    scores
        Nested-CV outer-fold scores (:attr:`NestedCVResult.scores`); chance lines are
        drawn at 0.5 AUC and 1 / n_classes balanced accuracy.
    top_genes, best_model
        Top genes of the best model (see :func:`top_genes_bar`).
    permutation
        Permutation-test result; its figure is left out when None.
    """
    n_classes = int(labels.nunique())
    # embed() names its columns PC1.. or UMAP1..; the caption names the method
    prefix = str(embedding.columns[0]).rstrip("0123456789")
    method = "PCA" if prefix == "PC" else prefix
    figs = {
        f"{method} of samples": embedding_scatter(embedding, labels, explained=explained),
        "Nested-CV scores": cv_scores(scores, chance={"roc_auc_ovr_macro": 0.5, "balanced_accuracy": 1 / n_classes}),
        f"Top genes ({best_model})": top_genes_bar(top_genes),
    }
    if permutation is not None:
        figs["Permutation test"] = permutation_hist(permutation)
    return figs


__all__ = ["cv_scores", "embedding_scatter", "explore_figures", "permutation_hist", "top_genes_bar"]
