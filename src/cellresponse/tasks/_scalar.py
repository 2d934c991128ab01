"""Scoring shared by the scalar-target tasks (drug response, gene dependency).

Per fold, every scored name gets the overall metrics (Pearson, Spearman, RMSE, MAE, R²),
the same within each perturbation and each cell line (groups of at least
``min_group_size`` test observations), and the normalized Pearson: truth and prediction
minus the additive mean-effects baseline of the same fold. Across folds, every model is
compared with every baseline, and every fitted model with every other one and with its
best ensemble member, by paired Wilcoxon tests over perturbations.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.metrics import paired_wilcoxon, score_scalar
from cellresponse.results import Predictions, Results
from cellresponse.tasks._base import (
    ABLATION_SEP,
    FOLD_ROW_COLUMNS,
    MEMBER_SEP,
    ScoreContext,
    Section,
    Task,
    empty_rows,
    fold_summary,
    is_top_level,
    per_group_table,
    stats_frame,
)
from cellresponse.tasks._calibration import calibration_fold_rows, calibration_summary

#: the baseline whose predictions normalized metrics subtract
NORMALIZER = "mean_effects"
NAIVE_MEANS = ("global_mean", "drug_mean", "cell_line_mean", "mean_effects", "tissue_drug_mean")


class ScalarTask(Task):
    """A task with one number per (cell line, perturbation) observation."""

    baselines: ClassVar[tuple[str, ...]] = NAIVE_MEANS
    leaderboard_metrics: ClassVar[tuple[str, ...]] = (
        "per_{k}_pearson_mean",
        "per_{k}_normalized_pearson_mean",
        "normalized_pearson",
        "per_{k}_spearman_mean",
        "per_cell_line_pearson_mean",
        "pearson",
        "spearman",
        "rmse",
        "r2",
    )
    summary_metrics: ClassVar[tuple[str, ...]] = (
        "per_{k}_normalized_pearson_mean",
        "normalized_pearson",
        "pearson",
        "rmse",
    )

    def score_fold(self, preds: Predictions, ctx: ScoreContext) -> pd.DataFrame:
        obs = preds.obs
        normalizer = preds.values.get(NORMALIZER)
        frames = []
        for name, values in preds.values.items():
            if np.isnan(values).all():  # the model failed on this fold
                continue
            scored = score_scalar(
                preds.y_true,
                values,
                perturbations=obs[ctx.kind].to_numpy(),
                cell_lines=obs["cell_line"].to_numpy(),
                baseline=normalizer,
                perturbation_kind=ctx.kind,
                min_group_size=ctx.min_group_size,
            )
            frames.append(scored.assign(model=name))
        if not frames:
            return empty_rows()
        frames.append(calibration_fold_rows(preds, ctx))
        return pd.concat([f for f in frames if len(f)], ignore_index=True)[FOLD_ROW_COLUMNS]

    def summarize(
        self, results: pd.DataFrame, preds: Predictions, ctx: ScoreContext
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        summary = fold_summary(results)
        extra, tests = calibration_summary(summary, preds, ctx, best_baseline=self.best_baseline(summary, ctx))
        if len(extra):
            summary = pd.concat([summary, extra[summary.columns]], ignore_index=True)
        return summary, stats_frame([*self.paired_rows(summary, ctx), *tests])

    def paired_rows(self, summary: pd.DataFrame, ctx: ScoreContext) -> list[dict[str, Any]]:
        """Paired tests over perturbations on the fold-averaged per-perturbation scores:
        every model vs every baseline; every fitted model vs every other and vs its best
        member; every model vs itself with a shuffled input (``model|ablation``)."""
        kind = ctx.kind
        best = self.best_baseline(summary, ctx)
        fitted = [m for m in ctx.models if m not in ctx.baselines]
        rows: list[dict[str, Any]] = []
        for metric in ("pearson", "normalized_pearson"):
            table = per_group_table(summary, metric=metric, group_by=kind)
            label = f"per_{kind}_{metric}"
            for model in [m for m in ctx.models if m in table.columns]:
                refs = [r for r in ctx.baselines if r != model and r in table.columns]
                if model in fitted:
                    refs += [r for r in fitted if r != model and r in table.columns]
                    refs += _best_member(table, model) + valid_best_member(table, model)
                for ref in refs:
                    test = paired_wilcoxon(table[model], table[ref])
                    rows.append(
                        {
                            "model": model,
                            "reference": ref,
                            "metric": label,
                            "over": kind,
                            "is_best_baseline": ref == best,
                            **test,
                        }
                    )
                for ablated in [c for c in table.columns if c.startswith(f"{model}{ABLATION_SEP}")]:
                    test = paired_wilcoxon(table[model], table[ablated])
                    rows.append({"model": model, "reference": ablated, "metric": label, "over": kind, **test})
        return rows

    def report_note(self, ctx: ScoreContext, best_baseline: str | None) -> str:
        k = ctx.kind
        return (
            f"Over all pairs, Pearson is dominated by how strongly each {k} acts on average: predicting each "
            f"{k}'s training mean already scores a high global Pearson while saying nothing about which cell "
            f"lines respond. Models are therefore ranked by {self.primary_metric(k)} (Pearson within each {k}, "
            f"averaged over {k}s), judged by the normalized Pearson (truth and prediction minus the additive "
            f"mean-effects baseline) and compared with the best baseline ({best_baseline or 'n/a'}) by a paired "
            f"Wilcoxon test over {k}s. Every score is computed within a fold and then averaged over folds."
        )

    def report_sections(self, res: Results, ctx: ScoreContext) -> list[Section]:
        from cellresponse.tasks._attribution_section import attribution_sections
        from cellresponse.tasks._sections import member_sections, scalar_sections
        from cellresponse.tasks._study_sections import randomization_sections, rank_sections, transfer_sections

        return (
            transfer_sections(res, ctx)
            + scalar_sections(res, ctx, self)
            + rank_sections(res, ctx)
            + randomization_sections(res, ctx)
            + member_sections(res, ctx, self)
            + attribution_sections(res, ctx)
        )


#: The member column an ensemble writes for the member best on its inner validation part.
VALID_BEST_MEMBER = "valid_best"


def _best_member(table: pd.DataFrame, model: str) -> list[str]:
    """The member ``model/...`` with the highest mean in ``table`` (best by the test score
    itself, which favours the member), as a one-element list."""
    valid_best = f"{model}{MEMBER_SEP}{VALID_BEST_MEMBER}"
    members = [c for c in table.columns if str(c).startswith(f"{model}{MEMBER_SEP}") and c != valid_best]
    return [str(table[members].mean().idxmax())] if members else []


def valid_best_member(table: pd.DataFrame, model: str) -> list[str]:
    """``model/valid_best`` if ``table`` has it: per fold, the member that scored best on
    that fold's inner validation part (chosen without the test part), as a list."""
    name = f"{model}{MEMBER_SEP}{VALID_BEST_MEMBER}"
    return [name] if name in table.columns else []


def top_level(names: list[str]) -> list[str]:
    return [n for n in names if is_top_level(n)]


__all__ = ["NAIVE_MEANS", "NORMALIZER", "VALID_BEST_MEMBER", "ScalarTask", "top_level", "valid_best_member"]
