"""Report sections for model ranks, randomization tests and cross-study transfer.

Each reads only the written files of a results directory (summary, stats, extras) and
returns :class:`Section` objects; the Friedman / Nemenyi ranks are recomputed from the
fold-averaged per-group scores in ``summary.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse.results import Results
from cellresponse.tasks._base import ABLATION_SEP, ScoreContext, Section, Table, per_group_table

MIN_BLOCKS = 5


def rank_sections(res: Results, ctx: ScoreContext) -> list[Section]:
    """Critical-difference diagram of the run's models over the per-group Pearson."""
    from cellresponse.metrics import friedman_nemenyi
    from cellresponse.plotting import critical_difference

    table = per_group_table(res.summary, metric="pearson", group_by=ctx.kind)
    models = [m for m in ctx.models if m in table.columns and table[m].notna().any()]
    if len(models) < 3:
        return []
    comp = friedman_nemenyi(table[models])
    if comp.n_blocks < MIN_BLOCKS:
        return []
    kind = ctx.kind
    text = (
        f"Models ranked within each {kind} by Pearson (1 = best), ranks averaged over the {comp.n_blocks} {kind}s "
        f"every model was scored on. Friedman chi2 = {comp.statistic:.1f}, p = {comp.pvalue:.2g}; models joined by "
        f"a red bar differ by less than the Nemenyi critical difference (CD = {comp.cd:.2f} at alpha = {comp.alpha})."
    )
    fig = critical_difference(comp.ranks, cd=comp.cd, title=f"mean rank over {kind}s", highlight=ctx.baselines)
    pairs = comp.pairwise[comp.pairwise["significant"]]
    tables = [Table(pairs.set_index(["model", "reference"]), digits=4)] if len(pairs) else []
    return [Section(f"Critical difference over {kind}s", text, figures=[fig], tables=tables)]


def randomization_sections(res: Results, ctx: ScoreContext) -> list[Section]:
    """Drop of each model's per-group Pearson when one input is permuted across entities."""
    stats = res.stats
    metric = f"per_{ctx.kind}_pearson"
    rows = stats[(stats["metric"] == metric) & stats["reference"].str.contains(f"{ABLATION_SEP}permute_", regex=False)]
    if rows.empty:
        return []
    rows = rows.assign(input=rows["reference"].str.split(ABLATION_SEP).str[1].str.removeprefix("permute_"))
    rows = rows.assign(drop=rows["model_mean"] - rows["reference_mean"])
    drop = rows.pivot_table(index="model", columns="input", values="drop", sort=False)
    pval = rows.pivot_table(index="model", columns="input", values="pvalue", sort=False)
    view = drop.round(4).astype(str) + pval.map(lambda p: "" if np.isnan(p) else f" (p={p:.1g})")
    text = (
        f"Each model scored again on its test folds with one input permuted across entities (each cell line gets "
        f"another line's expression, mutation, copy number or tissue; each {ctx.kind} another {ctx.kind}'s structure). "
        f"Cells: drop of the mean per-{ctx.kind} Pearson (intact - permuted) and the one-sided paired Wilcoxon "
        f"p-value over {ctx.kind}s. A drop near zero means the model does not use that input."
    )
    order = [m for m in ctx.models if m in view.index]
    return [Section("Randomization tests", text, tables=[Table(view.reindex(order), highlight=ctx.baselines)])]


def transfer_sections(res: Results, ctx: ScoreContext) -> list[Section]:
    """Cross-study transfer: per-drug Spearman / Pearson (and AUROC) on the test study."""
    from cellresponse.plotting import transfer_per_drug

    summary = res.extras("summary").get("transfer")
    if summary is None or summary.empty:
        return []
    stats = res.extras("stats").get("transfer", pd.DataFrame())
    per_drug = res.extras("per_drug").get("transfer", pd.DataFrame())
    info = res.config.get("dataset_info", {}).get("cross_study", {})
    text = (
        f"Trained on {info.get('train', '?')} ({info.get('train_target', '?')}), tested on {info.get('test', '?')} "
        f"({info.get('test_target', '?')}{', sign flipped' if info.get('test_sign', 1) < 0 else ''}) on "
        f"{len(info.get('shared_drugs', []))} shared drugs and {info.get('n_test_lines', '?')} test lines "
        f"({info.get('n_test_lines_seen', '?')} also in training). The targets are on different scales, so only "
        "within-drug scores are shown: per-drug Spearman and Pearson (and AUROC of responders where the test rows "
        "have an mRECIST class), on all test lines and on the lines unseen in training. Expression alignment: "
        f"{info.get('align', 'none')}."
    )
    tables = [Table(summary.set_index(["subset", "model"]), highlight=ctx.baselines)]
    best = stats[stats["is_best_baseline"].astype(bool)] if len(stats) else stats
    if len(best):
        tables.append(Table(best.drop(columns=["is_best_baseline"]).set_index(["subset", "metric", "model"]), digits=4))
    figs = []
    scored = per_drug.dropna(subset=["spearman"]) if len(per_drug) else per_drug
    if len(scored):  # the unseen lines where they were scored, else all lines
        subset = "unseen" if (scored["subset"] == "unseen").any() else str(scored["subset"].iloc[0])
        models = [m for m in ctx.models if m not in ctx.baselines] + [m for m in ctx.baselines]
        figs.append(transfer_per_drug(scored[scored["subset"] == subset], models=models))
    return [Section("Cross-study transfer", text, figures=figs, tables=tables)]


__all__ = ["randomization_sections", "rank_sections", "transfer_sections"]
