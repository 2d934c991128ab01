"""Figures of the biomarker analysis and of model attributions.

Association figures read the association table (``cellresponse.biomarkers``'
``ASSOCIATION_COLUMNS``: ``drug``, ``feature``, ``effect``, ``pvalue``, ``fdr``, ...) and
the per-line points behind one association; attribution figures read the attribution
table (``cellresponse.explain``'s ``ATTRIBUTION_COLUMNS``: ``drug``, ``view``, ``feature``,
``method``, ``importance``, ...). No file I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

SENSITIVE_COLOR = "#1f77b4"
RESISTANT_COLOR = "#d62728"
NS_COLOR = "#bdbdbd"


def association_volcano(
    table: pd.DataFrame,
    *,
    fdr: float = 0.05,
    n_labels: int = 12,
    drug_names: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Volcano plot of associations: ``effect`` against -log10 p-value.

    Tests with ``fdr`` below the level are coloured by direction (blue: the feature goes
    with a lower response, e.g. sensitivity when the response is ln IC50); the
    ``n_labels`` smallest p-values are labelled ``drug: feature`` (``drug_names`` maps IDs).
    """
    t = table.dropna(subset=["pvalue", "effect"])
    p = np.clip(t["pvalue"].to_numpy(dtype=float), 1e-300, 1.0)
    y = -np.log10(p)
    sig = (t["fdr"] < fdr).to_numpy()
    effect = t["effect"].to_numpy(dtype=float)
    color = np.where(sig, np.where(effect < 0, SENSITIVE_COLOR, RESISTANT_COLOR), NS_COLOR)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    order = np.argsort(sig, kind="stable")  # significant points drawn on top
    ax.scatter(effect[order], y[order], c=color[order], s=7, alpha=0.75, linewidths=0, rasterized=True)
    if sig.any():
        ax.axhline(y[sig].min(), color="grey", lw=0.6, ls="--")
    names = drug_names or {}
    top = t.assign(nlogp=y).nsmallest(n_labels, "pvalue")
    for row in top.itertuples():
        label = f"{names.get(str(row.drug), row.drug)}: {row.feature}"
        ax.annotate(label, (row.effect, row.nlogp), fontsize=6, xytext=(3, 2), textcoords="offset points")
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel("effect (binary: difference of means; continuous: standardized coefficient)")
    ax.set_ylabel("-log10 p-value")
    n_sig = int(sig.sum())
    ax.set_title(title or f"Associations: {n_sig} of {len(t)} at FDR < {fdr:g}")
    fig.tight_layout()
    return fig


def association_boxplot(
    points: pd.DataFrame,
    *,
    title: str,
    response: str = "response",
    feature_type: str = "binary",
    random_state: int = 0,
) -> Figure:
    """The lines behind one association: response by feature group (box plot and points)
    for a binary feature, response against the feature (scatter and least-squares line)
    for a continuous one.

    ``points`` has columns ``value`` (the feature), ``response`` and optionally ``tissue``.
    """
    rng = np.random.default_rng(random_state)
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    x = points["value"].to_numpy(dtype=float)
    y = points["response"].to_numpy(dtype=float)
    if feature_type == "binary":
        groups = [y[x == 0], y[x == 1]]
        labels = [f"without\n(n={groups[0].size})", f"with\n(n={groups[1].size})"]
        ax.boxplot(groups, showfliers=False, widths=0.5)
        ax.set_xticks([1, 2], labels)
        for k, g in enumerate(groups):
            jitter = rng.uniform(-0.12, 0.12, g.size)
            ax.scatter(np.full(g.size, k + 1) + jitter, g, s=6, alpha=0.45, color=("#555555", RESISTANT_COLOR)[k])
    else:
        ax.scatter(x, y, s=6, alpha=0.5, color="#555555")
        if np.ptp(x) > 0:
            slope, intercept = np.polyfit(x, y, 1)
            grid = np.linspace(x.min(), x.max(), 50)
            ax.plot(grid, slope * grid + intercept, color=RESISTANT_COLOR, lw=1.2)
        ax.set_xlabel("feature value")
    ax.set_ylabel(response)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig


def attribution_bars(
    table: pd.DataFrame,
    *,
    drug: str,
    top: int = 15,
    title: str | None = None,
) -> Figure:
    """One panel per method (and model): the ``top`` features of ``drug`` by importance,
    bars coloured by direction where a method has one (red: higher feature value, higher
    predicted response)."""
    t = table[table["drug"].astype(str) == str(drug)]
    if t.empty:
        raise ValueError(f"no attributions for drug {drug!r}")
    keys = list(dict.fromkeys(zip(t["model"], t["method"], strict=True)))
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 0.22 * top + 1.4), squeeze=False)
    for ax, (model, method) in zip(axes[0], keys, strict=True):
        part = t[(t["model"] == model) & (t["method"] == method)].nlargest(top, "importance")[::-1]
        direction = part["direction"].to_numpy(dtype=float)
        colors = np.where(direction > 0, RESISTANT_COLOR, np.where(direction < 0, SENSITIVE_COLOR, "#777777"))
        labels = [
            f"{f} ({v})" if v not in ("expression", "genomic") else str(f)
            for f, v in zip(part["feature"], part["view"], strict=True)
        ]
        ax.barh(range(len(part)), part["importance"], color=colors)
        ax.set_yticks(range(len(part)), labels, fontsize=6)
        ax.set_title(f"{model}\n{method}", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(title or f"{drug}: top features", fontsize=9)
    fig.tight_layout()
    return fig


def agreement_boxes(agreement: pd.DataFrame, *, value: str = "spearman", title: str | None = None) -> Figure:
    """Distribution over drugs of the agreement between two rankings (one box per pair,
    e.g. ``ridge_per_drug: native vs permutation``); reads ``pair`` and ``value`` columns."""
    pairs = list(dict.fromkeys(agreement["pair"]))
    data = [agreement.loc[agreement["pair"] == p, value].dropna().to_numpy(dtype=float) for p in pairs]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(pairs) + 1.5), 3.8))
    ax.boxplot(data, showfliers=False, widths=0.5)
    ax.set_xticks(range(1, len(pairs) + 1), pairs, rotation=25, ha="right", fontsize=7)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_ylabel(value.replace("_", " "))
    ax.set_title(title or f"Agreement between rankings ({value}, one point per drug)", fontsize=9)
    fig.tight_layout()
    return fig


__all__ = ["agreement_boxes", "association_boxplot", "association_volcano", "attribution_bars"]
