"""Expression-task figures. Each function returns a matplotlib ``Figure``; no file I/O and
no pyplot global state (figures are built with ``matplotlib.figure.Figure``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def plot_model_comparison(results: pd.DataFrame, *, metric: str = "pearson") -> Figure:
    """Bars of each model's overall ``metric`` (mean over folds), intact vs. shuffled inputs.

    ``results`` is the long results table (ablated runs named ``"<model>|<ablation>"``).
    """
    sub = results[(results["group_by"] == "all") & (results["metric"] == metric)]
    if sub.empty:
        raise ValueError(f"results have no overall rows for metric {metric!r}")
    means = sub.groupby("model")["value"].mean()
    parts = means.index.to_series().str.split("|", n=1, expand=True)
    frame = pd.DataFrame(
        {
            "value": means.to_numpy(),
            "base": parts[0].to_numpy(),
            "cond": (parts[1] if parts.shape[1] > 1 else pd.Series([None] * len(parts))).fillna("intact").to_numpy(),
        }
    )
    table = frame.pivot_table(index="base", columns="cond", values="value")
    table = table.sort_values("intact") if "intact" in table.columns else table
    conds = list(table.columns)
    if "intact" in conds:
        conds = ["intact"] + [c for c in conds if c != "intact"]
    fig = Figure(figsize=(7, 0.45 * len(table) + 1.5))
    ax = fig.add_subplot()
    height = 0.8 / max(len(conds), 1)
    y = np.arange(len(table))
    for i, cond in enumerate(conds):
        ax.barh(y + i * height, table[cond].to_numpy(), height=height, label=cond)
    ax.set_yticks(y + 0.4 - height / 2, table.index)
    ax.set_xlabel(f"{metric} (mean over signatures, folds)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_signature_heatmap(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    gene_names: Sequence[str],
    row_labels: Sequence[str] | None = None,
    n_genes: int = 30,
    n_rows: int = 20,
) -> Figure:
    """Observed vs predicted heatmaps over the genes with the largest mean |observed| change.

    Parameters
    ----------
    y_true, y_pred
        ``(n_signatures, n_genes)``.
    gene_names
        Name of each gene column.
    row_labels
        Label of each signature (e.g. ``"compound @ dose"``).
    n_genes, n_rows
        Top genes shown; first ``n_rows`` signatures shown.
    """
    a = np.asarray(y_true, dtype=float)[:n_rows]
    b = np.asarray(y_pred, dtype=float)[:n_rows]
    if a.shape != b.shape:
        raise ValueError(f"y_true {a.shape} and y_pred {b.shape} differ")
    top = np.argsort(-np.abs(a).mean(0), kind="stable")[: min(n_genes, a.shape[1])]
    lim = float(np.nanpercentile(np.abs(a[:, top]), 98)) or 1.0
    fig = Figure(figsize=(12, 0.25 * len(a) + 2.5))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, mat, title in ((axes[0], a, "observed"), (axes[1], b, "predicted")):
        im = ax.imshow(mat[:, top], aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(title)
        ax.set_xticks(range(len(top)), [str(gene_names[g]) for g in top], rotation=90, fontsize=6)
    if row_labels is not None:
        axes[0].set_yticks(range(len(a)), list(row_labels)[:n_rows], fontsize=6)
    fig.colorbar(im, ax=axes, shrink=0.6)
    return fig


def plot_dose_response(
    obs: pd.DataFrame,
    y_true: np.ndarray,
    *,
    gene: str,
    gene_names: Sequence[str],
    compounds: Sequence[str],
    y_pred: np.ndarray | None = None,
    curves: pd.DataFrame | None = None,
) -> Figure:
    """Observed response of one gene vs log10 dose (points) per compound, with the model's
    prediction: a dense curve from ``curves`` (long table ``compound, dose, gene, value``
    written by the runner) or, without it, predictions at the observed doses (crosses).

    ``obs`` has ``perturbation`` and ``dose`` per row of ``y_true`` (and ``y_pred``).
    """
    names = list(gene_names)
    if gene not in names:
        raise KeyError(f"gene {gene!r} is not among the {len(names)} target genes")
    g = names.index(gene)
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for i, cmp in enumerate(compounds):
        color = f"C{i % 10}"
        rows = np.flatnonzero(obs["perturbation"].to_numpy() == cmp)
        ld = np.log10(obs["dose"].to_numpy()[rows])
        ax.plot(ld, np.asarray(y_true)[rows, g], "o", color=color, label=f"{cmp} (observed)")
        if curves is not None and len(curves):
            cur = curves[(curves["compound"] == cmp) & (curves["gene"] == gene)].sort_values("dose")
            ax.plot(np.log10(cur["dose"]), cur["value"], "-", color=color, label=f"{cmp} (predicted)")
        elif y_pred is not None:
            ax.plot(ld, np.asarray(y_pred)[rows, g], "x", color=color, label=f"{cmp} (predicted)")
    ax.axhline(0.0, color="grey", lw=0.5)
    ax.set_xlabel("log10 dose (µM)")
    ax.set_ylabel(gene)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


__all__ = ["plot_dose_response", "plot_model_comparison", "plot_signature_heatmap"]
