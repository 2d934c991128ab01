"""Figures of prediction intervals and novelty. Each function returns a Figure; no file I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def coverage_calibration(curve: pd.DataFrame) -> Figure:
    """Empirical against nominal coverage: one line per model and interval variant.

    Parameters
    ----------
    curve
        Columns ``model, variant, level, coverage`` (fold means).
    """
    fig, ax = plt.subplots(figsize=(5.5, 5))
    lo = float(min(curve["level"].min(), curve["coverage"].min(), 0.75)) - 0.02
    ax.plot([lo, 1], [lo, 1], color="black", lw=0.8, ls="--", label="nominal")
    for (model, variant), grp in curve.groupby(["model", "variant"], sort=False):
        grp = grp.sort_values("level")
        style = "-" if variant == "adaptive" else ":"
        ax.plot(grp["level"], grp["coverage"], style, marker="o", ms=3, label=f"{model} ({variant})")
    ax.set_xlim(lo, 1)
    ax.set_ylim(lo, 1)
    ax.set_xlabel("nominal coverage (level)")
    ax.set_ylabel("empirical coverage (fold mean)")
    ax.set_title("Calibration of the prediction intervals")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def group_coverage(rows: pd.DataFrame, *, level: float, tolerance: float, group: str) -> Figure:
    """Sorted per-group coverage for each (model, variant) of ``rows`` (summary rows with
    ``model, metric, group, value``), with the band ``level ± tolerance``."""
    fig, ax = plt.subplots(figsize=(9, 3.8))
    for (model, metric), grp in rows.groupby(["model", "metric"], sort=False):
        v = np.sort(grp["value"].to_numpy(dtype=float))
        within = float((np.abs(v - level) <= tolerance + 1e-12).mean()) if len(v) else float("nan")
        label = f"{model} {'standard' if 'standard' in metric else 'adaptive'} ({within:.0%} within)"
        ax.plot(np.linspace(0, 1, len(v)), v, label=label)
    ax.axhspan(level - tolerance, level + tolerance, color="#dddddd", zorder=0)
    ax.axhline(level, color="black", lw=0.8)
    ax.set_xlabel(f"{group}s, sorted by coverage (fraction)")
    ax.set_ylabel("coverage")
    ax.set_title(f"Per-{group} coverage at level {level:g}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def error_vs_novelty(rows: pd.DataFrame, *, axes: Sequence[str], labels: Mapping[str, str]) -> Figure:
    """Median absolute error per novelty group, one panel per axis, one line per model.

    Parameters
    ----------
    rows
        Summary rows with ``model, metric, group_by, group, value``; ``metric`` is
        ``median_abs_error`` or ``mean_novelty``, ``group_by`` is ``<axis>_group``.
    """
    fig, panels = plt.subplots(1, len(axes), figsize=(4.6 * len(axes), 3.8), squeeze=False)
    for ax, axis in zip(panels[0], axes, strict=True):
        sub = rows[(rows["group_by"] == f"{axis}_group") & (rows["metric"] == "median_abs_error")]
        for model, grp in sub.groupby("model", sort=False):
            keys = sorted(grp["group"].astype(str), key=lambda g: (not g.isdigit(), int(g) if g.isdigit() else g))
            vals = grp.set_index(grp["group"].astype(str))["value"].reindex(keys)
            ax.plot(range(len(keys)), vals.to_numpy(), marker="o", ms=3, label=str(model))
            ax.set_xticks(range(len(keys)), keys, fontsize=7)
        ax.set_xlabel(labels.get(axis, axis) + (" decile" if axis.endswith("novelty") else ""), fontsize=8)
        ax.set_ylabel("median |error|")
        ax.legend(fontsize=7)
    fig.suptitle("Error vs novelty (least novel left)", fontsize=10)
    fig.tight_layout()
    return fig


__all__ = ["coverage_calibration", "error_vs_novelty", "group_coverage"]
