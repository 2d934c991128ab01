"""Dependency-task scoring: per-gene AUROC / Pearson / Spearman across cell lines, by gene set.

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

from cellresponse.evaluate._metrics import group_summary_rows, paired_wilcoxon
from cellresponse.evaluate._runner import ScoreContext, TaskScorer, register_task_scorer

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


# ------------------------------------------------------------------ benchmark runner hook
def auroc_convention(target: str) -> tuple[float, float]:
    """``(sign, threshold)`` so that ``sign * y >= threshold`` means "dependent".

    Class codes (``dependency_class``: 0 weak, 1 dependency, 2 strong): class >= 1.
    Gene effects (negative = essential): effect <= -0.5.
    """
    return (-1.0, 0.5) if target == "gene_effect" else (1.0, 1.0)


def dependency_fold_scores(preds: pd.DataFrame, ctx: ScoreContext) -> pd.DataFrame:
    """Per-gene AUROC of every model on one fold (runner fold scorer of the dependency task).

    Rows ``model, metric="auroc", group_by=<kind>, group=<gene>`` plus per-fold
    ``per_<kind>_auroc_mean`` / ``_median``; the runner averages them over folds.
    """
    sign, threshold = auroc_convention(ctx.data.target)
    y = sign * preds["y_true"].to_numpy(dtype=np.float64)
    genes = preds[ctx.kind].to_numpy()
    frames = []
    for model in ctx.models:
        if model not in preds:
            continue
        per = per_gene_scores(y, sign * preds[model].to_numpy(dtype=np.float64), genes=genes,
                              threshold=threshold, min_lines=ctx.min_group_size, metrics=("auroc",))  # fmt: skip
        values = per.set_index("gene")["value"]
        rows = group_summary_rows(values, metric="auroc", group_by=ctx.kind)
        frames.append(pd.DataFrame(rows, columns=["metric", "group_by", "group", "value"]).assign(model=model))
    if not frames:
        return pd.DataFrame(columns=["model", "metric", "group_by", "group", "value"])
    return pd.concat(frames, ignore_index=True)


def _best_member(table: pd.DataFrame, model: str) -> str | None:
    """The member ``<model>/...`` with the highest mean in ``table`` (gene x model)."""
    members = [c for c in table.columns if str(c).startswith(f"{model}/")]
    if not members:
        return None
    return str(table[members].mean().idxmax())


def dependency_summary(results: pd.DataFrame, ctx: ScoreContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gene-set breakdown and paired tests over genes (runner summary scorer).

    Result rows (``fold="all"``, ``group_by="gene_set"``): ``per_gene_<metric>_mean`` /
    ``_median`` and ``n_genes_<metric>`` for every gene set of the dataset's
    ``perturbation_meta["gene_set"]`` (``other`` skipped) and ``all``, over the fold-averaged
    per-gene scores. Stats rows: paired Wilcoxon tests over genes (model > reference) of
    every model against every naive baseline, of a model with members
    (``<model>/<member>`` rows) against its best member in that gene set (best by the
    test score itself, which favours the member) and against every other model;
    metric ``per_gene_auroc`` (all genes)
    or ``per_gene_auroc[selective]``, and the same for Pearson within gene sets.
    """
    kind = ctx.kind
    pooled = results[(results["fold"] == "all") & (results["group_by"] == kind)]
    sets: dict[str, list[str] | None] = {"all": None}
    meta = ctx.data.perturbation_meta
    if "gene_set" in getattr(meta, "columns", []):
        sets.update({k: v for k, v in gene_sets_from_meta(meta).items() if k != "other"})
    best = _best_naive_name(results, ctx)
    rows, tests = [], []
    for metric in DEPENDENCY_METRICS:
        wide = pooled[pooled["metric"] == metric].pivot_table(index="group", columns="model", values="value")
        if wide.empty:
            continue
        for set_name, genes in sets.items():
            sub = wide if genes is None else wide[wide.index.isin(genes)]
            for model in sub.columns:
                vals = sub[model].dropna()
                if not len(vals):
                    continue
                rows += [(model, f"per_{kind}_{metric}_mean", set_name, float(vals.mean())),
                         (model, f"per_{kind}_{metric}_median", set_name, float(vals.median())),
                         (model, f"n_{kind}s_{metric}", set_name, float(len(vals)))]  # fmt: skip
            if metric != "auroc" and set_name == "all":
                continue  # the generic paired tests already cover per-gene Pearson/Spearman
            if metric == "spearman":
                continue
            label = f"per_{kind}_{metric}" + ("" if set_name == "all" else f"[{set_name}]")
            top = [m for m in ctx.models if "/" not in m and m in sub.columns]
            for model in top:
                refs = [r for r in top if r != model]  # naive baselines and the other models
                member = _best_member(sub, model)
                for ref in [*refs, *([member] if member else [])]:
                    test = paired_wilcoxon(sub[model], sub[ref])
                    tests.append({"model": model, "reference": ref, "metric": label,
                                  "is_best_naive": ref == best, **test})  # fmt: skip
    out = pd.DataFrame(rows, columns=["model", "metric", "group", "value"]).assign(fold="all", group_by="gene_set")
    stats_cols = ["model", "reference", "metric", "is_best_naive", "n", "median_diff", "statistic", "pvalue"]
    return out, pd.DataFrame(tests, columns=stats_cols)


def _best_naive_name(results: pd.DataFrame, ctx: ScoreContext) -> str | None:
    pooled = results[(results["fold"] == "all") & (results["group_by"] == "all")]
    scores = pooled[(pooled["metric"] == f"per_{ctx.kind}_pearson_mean") & pooled["model"].isin(ctx.naive)]
    scores = scores.dropna(subset=["value"])
    return None if scores.empty else str(scores.sort_values("value", ascending=False)["model"].iloc[0])


register_task_scorer(
    "dependency", TaskScorer("dependency_auroc", fold=dependency_fold_scores, summary=dependency_summary)
)


__all__ = [
    "DEPENDENCY_METRICS",
    "auroc",
    "auroc_convention",
    "dependency_fold_scores",
    "dependency_summary",
    "gene_sets_from_meta",
    "paired_gene_tests",
    "per_gene_scores",
    "score_dependency",
]
