"""The gene-dependency task: one gene effect or dependency class per (cell line, gene).

Beside the scalar metrics, every gene gets an AUROC of the predictions for "is a
dependency" over the cell lines it was tested in, scores are broken down by gene set
(``perturbation_meta["gene_set"]``: selective, common-essential, ...), and models are
compared by paired tests over genes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.metrics import auroc_convention, group_summary_rows, paired_wilcoxon, per_gene_scores
from cellresponse.results import Predictions, Results
from cellresponse.tasks._base import FOLD_ROW_COLUMNS, ScoreContext, Section, per_group_table, stats_frame
from cellresponse.tasks._registry import register_task
from cellresponse.tasks._scalar import ScalarTask, _best_member, valid_best_member

GENE_SET = "gene_set"


@register_task("dependency")
class DependencyTask(ScalarTask):
    """Gene essentiality in unseen cell lines and tissues."""

    split_modes: ClassVar[tuple[str, ...]] = ("cell_line", "perturbation", "pair", "tissue", "both")
    default_split: ClassVar[str] = "cell_line"
    validation_mode: ClassVar[str] = "cell_line"
    default_models: ClassVar[tuple[str, ...]] = ("leap",)
    leaderboard_metrics: ClassVar[tuple[str, ...]] = ("per_{k}_auroc_mean", *ScalarTask.leaderboard_metrics)
    summary_metrics: ClassVar[tuple[str, ...]] = ("per_{k}_auroc_mean", *ScalarTask.summary_metrics)

    def annotate(self, data: Dataset) -> pd.DataFrame:
        out = super().annotate(data)
        meta = data.perturbation_meta
        if GENE_SET in meta.columns:
            out[GENE_SET] = meta[GENE_SET].reindex(data.perturbations).fillna("").astype(str).to_numpy()
        return out

    def score_fold(self, preds: Predictions, ctx: ScoreContext) -> pd.DataFrame:
        """Scalar rows plus per-gene AUROC (``metric="auroc"``, ``group_by=<kind>``)."""
        frames = [super().score_fold(preds, ctx)]
        sign, threshold = auroc_convention(ctx.target)
        y = sign * preds.y_true.astype(np.float64)
        genes = preds.obs[ctx.kind].to_numpy()
        for name, values in preds.values.items():
            if np.isnan(values).all():
                continue
            per = per_gene_scores(
                y,
                sign * values.astype(np.float64),
                genes=genes,
                threshold=threshold,
                min_lines=ctx.min_group_size,
                metrics=("auroc",),
            )
            rows = group_summary_rows(per.set_index("gene")["value"], metric="auroc", group_by=ctx.kind)
            frames.append(pd.DataFrame(rows, columns=["metric", "group_by", "group", "value"]).assign(model=name))
        return pd.concat([f[FOLD_ROW_COLUMNS] for f in frames if len(f)], ignore_index=True)

    def summarize(
        self, results: pd.DataFrame, preds: Predictions, ctx: ScoreContext
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Scalar summary and tests, plus per-gene-set rows (``group_by="gene_set"``) and
        paired tests over genes of AUROC (all genes and each set) and Pearson (each set)."""
        summary, stats = super().summarize(results, preds, ctx)
        sets: dict[str, list[str] | None] = {"all": None}
        if GENE_SET in preds.obs.columns:
            genes = preds.obs[[ctx.kind, GENE_SET]].drop_duplicates()
            for name, grp in genes.groupby(GENE_SET, sort=True):
                if name not in ("", "other"):
                    sets[str(name)] = grp[ctx.kind].astype(str).tolist()
        best = self.best_baseline(summary, ctx)
        rows: list[tuple[str, str, str, str, float]] = []
        tests: list[dict[str, Any]] = []
        for metric in ("auroc", "pearson", "spearman"):
            wide = per_group_table(summary, metric=metric, group_by=ctx.kind)
            if wide.empty:
                continue
            for set_name, members in sets.items():
                sub = wide if members is None else wide[wide.index.isin(members)]
                for model in sub.columns:
                    vals = sub[model].dropna()
                    if len(vals):
                        rows += [
                            (model, f"per_{ctx.kind}_{metric}_mean", "gene_set", set_name, float(vals.mean())),
                            (model, f"per_{ctx.kind}_{metric}_median", "gene_set", set_name, float(vals.median())),
                            (model, f"n_{ctx.kind}s_{metric}", "gene_set", set_name, float(len(vals))),
                        ]
                if metric == "spearman" or (metric != "auroc" and set_name == "all"):
                    continue  # the scalar tests already cover per-gene Pearson over all genes
                top = [m for m in ctx.models if m in sub.columns]
                for model in top:
                    members = [*_best_member(sub, model), *valid_best_member(sub, model)]
                    for ref in [*(r for r in top if r != model), *members]:
                        test = paired_wilcoxon(sub[model], sub[ref])
                        tests.append(
                            {
                                "model": model,
                                "reference": ref,
                                "metric": f"per_{ctx.kind}_{metric}",
                                "over": ctx.kind,
                                "subset": "" if set_name == "all" else set_name,
                                "is_best_baseline": ref == best,
                                **test,
                            }
                        )
        extra = pd.DataFrame(rows, columns=["model", "metric", "group_by", "group", "value"])
        summary = pd.concat([summary, extra[summary.columns]], ignore_index=True)
        return summary, stats_frame([*stats.to_dict("records"), *tests])

    def report_sections(self, res: Results, ctx: ScoreContext) -> list[Section]:
        from cellresponse.tasks._sections import gene_set_section

        return super().report_sections(res, ctx) + gene_set_section(res, ctx)


__all__ = ["GENE_SET", "DependencyTask"]
