"""Figures for benchmark results. Each function returns a matplotlib Figure; no file I/O."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

NAIVE_COLOR = "#9e9e9e"
MODEL_COLOR = "#1f77b4"


def global_vs_within(board: pd.DataFrame, *, primary: str) -> Figure:
    """Global Pearson beside the within-drug Pearson and normalized Pearson, per model.

    The gap between the first bar and the others is what memorising drug potency buys.
    """
    cols = [c for c in ("pearson", primary, "normalized_pearson") if c in board.columns]
    data = board[cols].astype(float)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(data) + 1.5))
    y = np.arange(len(data))
    h = 0.8 / max(len(cols), 1)
    colors = ["#bdbdbd", "#1f77b4", "#ff7f0e"]
    for i, col in enumerate(cols):
        ax.barh(y + i * h, data[col].fillna(0).to_numpy(), height=h, label=col, color=colors[i % 3])
    ax.set_yticks(y + h * (len(cols) - 1) / 2, data.index)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("correlation")
    ax.set_title("Global Pearson rewards memorising drug potency; within-drug scores do not")
    _legend(ax, loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def _legend(ax: plt.Axes, **kwargs: object) -> None:
    """A legend when something is labelled (an empty table has nothing to label, and an
    empty legend is a matplotlib warning)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)  # type: ignore[arg-type]


def predicted_vs_observed(predictions: pd.DataFrame, *, models: Sequence[str], target: str = "y") -> Figure:
    """Hexbin of predicted vs observed for each model in ``models``, with global r."""
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 4), squeeze=False)
    y = predictions["y_true"].to_numpy()
    lo, hi = np.percentile(y, [0.5, 99.5])
    for ax, name in zip(axes[0], models, strict=True):
        p = predictions[name].to_numpy()
        ok = np.isfinite(p)
        ax.hexbin(y[ok], p[ok], gridsize=40, bins="log", cmap="viridis", extent=(lo, hi, lo, hi), mincnt=1)
        ax.plot([lo, hi], [lo, hi], color="red", lw=0.8)
        r = np.corrcoef(y[ok], p[ok])[0, 1] if ok.sum() > 2 and np.ptp(p[ok]) > 0 else float("nan")
        ax.set_title(f"{name}  (global r = {r:.3f})", fontsize=10)
        ax.set_xlabel(f"observed {target}")
        ax.set_ylabel(f"predicted {target}")
    fig.tight_layout()
    return fig


def per_group_waterfall(
    values: pd.Series, *, reference: pd.Series | None, model: str, reference_name: str | None, group: str
) -> Figure:
    """Sorted within-group Pearson of ``model`` per drug; reference values as dots."""
    v = values.sort_values(ascending=False)
    fig, ax = plt.subplots(figsize=(10, 3.8))
    x = np.arange(len(v))
    colors = [MODEL_COLOR if val >= 0 else "#d62728" for val in v.to_numpy()]
    ax.bar(x, v.to_numpy(), width=0.85 if len(v) < 60 else 1.0, color=colors, label=model)
    if reference is not None:
        ref = reference.reindex(v.index).to_numpy()
        ax.scatter(x, ref, s=6, color="black", label=reference_name, zorder=3)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlim(-0.5, len(v) - 0.5)
    ax.set_xticks([])
    ax.set_xlabel(f"{group}s, sorted ({len(v)})")
    ax.set_ylabel(f"Pearson within {group}")
    ax.set_title(f"Per-{group} Pearson of {model} (mean {v.mean():.3f}, median {v.median():.3f})")
    _legend(ax, fontsize=8)
    fig.tight_layout()
    return fig


def fold_boxes(per_fold: pd.DataFrame, *, metrics: Sequence[str], order: Sequence[str]) -> Figure:
    """Box plots across folds of each metric, one box per model."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 0.35 * len(order) + 2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        sub = per_fold[per_fold["metric"] == metric]
        data = [sub.loc[sub["model"] == m, "value"].dropna().to_numpy() for m in order]
        ax.boxplot(data, orientation="horizontal", tick_labels=list(order))
        for i, d in enumerate(data):
            ax.scatter(d, np.full(len(d), i + 1), s=8, color="black", zorder=3)
        ax.invert_yaxis()
        ax.set_title(f"{metric} across folds", fontsize=10)
    fig.tight_layout()
    return fig


def significance(stats: pd.DataFrame, *, metric: str) -> Figure:
    """Median paired difference vs the best baseline, annotated with Wilcoxon p."""
    sub = stats[(stats["metric"] == metric) & stats["is_best_baseline"].astype(bool)].sort_values("median_diff")
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(sub) + 1.5))
    y = np.arange(len(sub))
    colors = [
        MODEL_COLOR if p < 0.01 and d > 0 else NAIVE_COLOR
        for p, d in zip(sub["pvalue"], sub["median_diff"], strict=True)
    ]
    ax.barh(y, sub["median_diff"].to_numpy(), color=colors)
    for yi, (d, p) in enumerate(zip(sub["median_diff"], sub["pvalue"], strict=True)):
        ax.text(d, yi, f"  p={p:.2g}" if np.isfinite(p) else "  n/a", va="center", fontsize=8)
    ax.set_yticks(y, sub["model"])
    ax.axvline(0, color="black", lw=0.8)
    ref = sub["reference"].iloc[0] if len(sub) else "baseline"
    ax.set_xlabel(f"median paired difference in {metric} vs {ref}")
    ax.set_title("Paired Wilcoxon over groups (blue: p < 0.01 and better)")
    fig.tight_layout()
    return fig


__all__ = ["fold_boxes", "global_vs_within", "per_group_waterfall", "predicted_vs_observed", "significance"]
