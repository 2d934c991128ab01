"""Figures for LEAP ensembles: who carries the ensemble, and what it gains. No file I/O.

All functions read tidy tables and return a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def split_member_name(name: str) -> tuple[str, str]:
    """``"expression:ae:s0:ridge"`` -> (``"expression:ae"``, ``"ridge"``)."""
    parts = name.split(":")
    return ":".join(p for p in parts[:-1] if not (p.startswith("s") and p[1:].isdigit())), parts[-1]


def plot_combiner_weights(weights: pd.DataFrame, *, title: str = "LEAP combiner weights") -> Figure:
    """Heatmap of the mean combiner weight (over folds and seeds): representation x predictor.

    Parameters
    ----------
    weights
        Columns ``fold, member, weight`` (member names as written by ``LeapModel``).
    """
    table = weights.copy()
    parts = table["member"].map(split_member_name)
    table["representation"] = [p[0] for p in parts]
    table["predictor"] = [p[1] for p in parts]
    n_folds = max(table["fold"].nunique(), 1)
    grid = table.pivot_table(index="representation", columns="predictor", values="weight", aggfunc="sum") / n_folds
    fig = _figure(1.6 + 1.1 * grid.shape[1], 1.2 + 0.5 * grid.shape[0])
    ax = fig.add_subplot()
    im = ax.imshow(grid.to_numpy(), cmap="viridis", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), grid.columns)
    ax.set_yticks(range(grid.shape[0]), grid.index)
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="w" if v < grid.to_numpy().max() / 2 else "k")
    fig.colorbar(im, ax=ax, label="mean weight per fold (summed over seeds)")
    ax.set_title(title)
    return fig


def plot_model_scores(summary: pd.DataFrame, *, metric: str = "per-gene AUROC", title: str = "") -> Figure:
    """Horizontal bars: mean per-gene score of each model, coloured by role.

    Parameters
    ----------
    summary
        Columns ``model, value, role`` (role: ``ensemble``, ``member``, ``baseline``)
        and optionally ``err`` (e.g. a standard error).
    """
    table = summary.sort_values("value")
    colors = {"ensemble": "#d62728", "member": "#1f77b4", "baseline": "#7f7f7f"}
    fig = _figure(7.0, 1.0 + 0.28 * len(table))
    ax = fig.add_subplot()
    xerr = table["err"].to_numpy() if "err" in table.columns else None
    ax.barh(
        range(len(table)),
        table["value"],
        xerr=xerr,
        color=[colors.get(r, "#1f77b4") for r in table["role"]],
    )
    ax.set_yticks(range(len(table)), table["model"], fontsize=7)
    lo = float(np.nanmin(table["value"]))
    hi = float(np.nanmax(table["value"]))
    ax.set_xlim(lo - 0.1 * (hi - lo + 1e-9), hi + 0.1 * (hi - lo + 1e-9))
    ax.set_xlabel(f"mean {metric}")
    ax.set_title(title or f"{metric}: ensemble (red), members (blue), baselines (grey)")
    return fig


def plot_gain(per_gene: pd.DataFrame, *, model: str, references: list[str], metric: str = "auroc") -> Figure:
    """Per-gene scatter of ``model`` against each reference (diagonal = no gain).

    Parameters
    ----------
    per_gene
        Columns ``model, gene, metric, value``.
    """
    table = per_gene[per_gene["metric"] == metric].pivot_table(index="gene", columns="model", values="value")
    fig = _figure(3.4 * len(references), 3.4)
    for k, ref in enumerate(references):
        ax = fig.add_subplot(1, len(references), k + 1)
        both = table[[model, ref]].dropna()
        ax.scatter(both[ref], both[model], s=4, alpha=0.5)
        lo = float(np.nanmin(both.to_numpy())) if len(both) else 0.0
        hi = float(np.nanmax(both.to_numpy())) if len(both) else 1.0
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.8)
        gain = float((both[model] - both[ref]).mean()) if len(both) else float("nan")
        ax.set_xlabel(f"{ref}")
        ax.set_ylabel(model if k == 0 else "")
        ax.set_title(f"mean gain {gain:+.3f} ({len(both)} genes)", fontsize=9)
    return fig


__all__ = ["plot_combiner_weights", "plot_gain", "plot_model_scores", "split_member_name"]
