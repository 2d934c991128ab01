"""Dependency metrics: per-gene AUROC / Pearson / Spearman across cell lines, by gene set.

Per-gene metrics compare, for one gene, the true and predicted values over the cell lines
where it was measured. For a leave-tissue-out split, score the pooled out-of-fold
predictions (each fold holds one tissue, too few lines for a per-gene score).

The result is one long table with the columns of the runner's schema:
``metric, group_by, group, value``; per-gene rows have ``group_by="gene"`` and per-set
summaries ``group_by="gene_set"`` (``per_gene_auroc_mean`` for ``selective``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cellresponse.metrics._paired import paired_wilcoxon

DEPENDENCY_METRICS = ("auroc", "pearson", "spearman")


def auroc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the ROC curve of ``y_score`` for binary ``y_true`` (ties count half).

    Returns NaN when only one class is present.

    Examples
    --------
    >>> auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(y_score, dtype=np.float64)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def per_gene_scores(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    genes: np.ndarray,
    threshold: float | None = 1.0,
    min_lines: int = 10,
    min_class: int = 3,
    metrics: Sequence[str] = DEPENDENCY_METRICS,
) -> pd.DataFrame:
    """Per-gene metrics over cell lines.

    Parameters
    ----------
    y_true, y_pred
        Truth and prediction per observation.
    genes
        Gene of each observation.
    threshold
        ``y_true >= threshold`` is "dependent" for AUROC (class codes: 1 = dependency).
        For a gene effect (negative = essential) pass ``-effect`` and ``-prediction``
        with ``threshold=0.5``. ``None`` skips AUROC.
    min_lines
        Genes with fewer observations are skipped.
    min_class
        AUROC needs at least this many lines in each class.
    metrics
        Subset of ``("auroc", "pearson", "spearman")``.

    Returns
    -------
    pandas.DataFrame
        Columns ``gene, metric, value`` (genes where a metric is undefined are absent).
    """
    bad = [m for m in metrics if m not in DEPENDENCY_METRICS]
    if bad:
        raise ValueError(f"unknown dependency metric(s) {bad}; choose from {DEPENDENCY_METRICS}")
    yt = np.asarray(y_true, dtype=np.float64)
    yp = np.asarray(y_pred, dtype=np.float64)
    g = np.asarray(genes)
    if not (yt.shape == yp.shape == g.shape):
        raise ValueError(f"y_true {yt.shape}, y_pred {yp.shape} and genes {g.shape} must have one shape")
    ok = np.isfinite(yt) & np.isfinite(yp)
    codes, uniques = pd.factorize(g[ok])
    yt, yp = yt[ok], yp[ok]
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    rows: list[tuple[str, str, float]] = []
    for chunk in np.split(order, bounds):
        if chunk.size < min_lines:
            continue
        gene = str(uniques[codes[chunk[0]]])
        a, b = yt[chunk], yp[chunk]
        if "auroc" in metrics and threshold is not None:
            lab = a >= threshold
            if min(lab.sum(), (~lab).sum()) >= min_class:
                rows.append((gene, "auroc", auroc(lab, b)))
        if np.ptp(a) > 0 and np.ptp(b) > 0:
            if "pearson" in metrics:
                rows.append((gene, "pearson", float(np.corrcoef(a, b)[0, 1])))
            if "spearman" in metrics:
                rows.append((gene, "spearman", float(stats.spearmanr(a, b).statistic)))
    return pd.DataFrame(rows, columns=["gene", "metric", "value"])


def score_dependency(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    genes: np.ndarray,
    gene_sets: Mapping[str, Sequence[str]] | None = None,
    threshold: float | None = 1.0,
    min_lines: int = 10,
) -> pd.DataFrame:
    """Long table ``metric, group_by, group, value``: per-gene rows and per-gene-set means.

    ``gene_sets`` maps a set name (``"selective"``, ``"common_essential"``) to its genes;
    every set gets ``per_gene_<metric>_mean`` / ``_median`` and ``n_genes_<metric>`` rows,
    and ``"all"`` covers every gene.
    """
    per_gene = per_gene_scores(y_true, y_pred, genes=genes, threshold=threshold, min_lines=min_lines)
    rows = [(m, "gene", gene, v) for gene, m, v in per_gene.itertuples(index=False)]
    sets = {"all": None, **dict(gene_sets or {})}
    for set_name, members in sets.items():
        sub = per_gene if members is None else per_gene[per_gene["gene"].isin(list(members))]
        for metric, vals in sub.groupby("metric")["value"]:
            rows.append((f"per_gene_{metric}_mean", "gene_set", set_name, float(vals.mean())))
            rows.append((f"per_gene_{metric}_median", "gene_set", set_name, float(vals.median())))
            rows.append((f"n_genes_{metric}", "gene_set", set_name, float(len(vals))))
    return pd.DataFrame(rows, columns=["metric", "group_by", "group", "value"])


def gene_sets_from_meta(meta: pd.DataFrame, *, column: str = "gene_set") -> dict[str, list[str]]:
    """``{set name: genes}`` from a per-gene annotation column (``perturbation_meta``)."""
    if column not in meta.columns:
        raise KeyError(f"gene annotations have no {column!r} column; columns: {list(meta.columns)}")
    return {str(k): list(map(str, v.index)) for k, v in meta.groupby(column)}


def paired_gene_tests(
    per_gene: pd.DataFrame,
    *,
    reference: str,
    metric: str = "auroc",
    genes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Wilcoxon signed-rank tests over genes: each model against ``reference``.

    Parameters
    ----------
    per_gene
        Columns ``model, gene, metric, value`` (per-gene scores of several models).
    reference
        Model every other model is compared with (alternative: model > reference).
    metric
        Which per-gene metric to compare.
    genes
        Restrict to these genes (a gene set).

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model, reference, metric, n, median_diff, statistic, pvalue``.
    """
    table = per_gene[per_gene["metric"] == metric]
    if genes is not None:
        table = table[table["gene"].isin(list(genes))]
    wide = table.pivot_table(index="gene", columns="model", values="value")
    if reference not in wide.columns:
        raise KeyError(f"reference model {reference!r} has no {metric!r} scores; models: {list(wide.columns)}")
    rows = []
    for model in wide.columns:
        if model == reference:
            continue
        res = paired_wilcoxon(wide[model], wide[reference])
        rows.append({"model": model, "reference": reference, "metric": metric, **res})
    return pd.DataFrame(rows, columns=["model", "reference", "metric", "n", "median_diff", "statistic", "pvalue"])


def auroc_convention(target: str) -> tuple[float, float]:
    """``(sign, threshold)`` so that ``sign * y >= threshold`` means "dependent".

    Class codes (``dependency_class``: 0 weak, 1 dependency, 2 strong): class >= 1.
    Gene effects (negative = essential): effect <= -0.5.
    """
    return (-1.0, 0.5) if target == "gene_effect" else (1.0, 1.0)


__all__ = [
    "DEPENDENCY_METRICS",
    "auroc",
    "auroc_convention",
    "gene_sets_from_meta",
    "paired_gene_tests",
    "per_gene_scores",
    "score_dependency",
]
