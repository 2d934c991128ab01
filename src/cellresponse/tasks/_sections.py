"""Report sections of the scalar tasks: what the leaderboard hides, and ensemble members.

Each builder reads a results directory (:class:`cellresponse.results.Results`) and
returns :class:`Section` objects with figures and tables; nothing is scored here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cellresponse.results import Results
from cellresponse.tasks._base import MEMBER_SEP, ScoreContext, Section, Table, per_group_table

if TYPE_CHECKING:
    from cellresponse.tasks._base import Task


def best_models(res: Results, ctx: ScoreContext) -> tuple[str | None, str | None]:
    """(best non-baseline model, best baseline) by the leaderboard order."""
    board = res.leaderboard
    ranked = [m for m in board.index if m in ctx.models]
    fitted = [m for m in ranked if m not in ctx.baselines]
    best = fitted[0] if fitted else (ranked[0] if ranked else None)
    base = board.attrs.get("best_baseline") or res.config.get("best_baseline")
    return best, (str(base) if base else None)


def scalar_sections(res: Results, ctx: ScoreContext, task: Task) -> list[Section]:
    """Global vs within-group correlation, predicted vs observed, per-group waterfall."""
    from cellresponse import plotting as plots

    kind, primary = ctx.kind, task.primary_metric(ctx.kind)
    sections = []
    board = res.leaderboard
    if len(board):
        sections.append(
            Section(
                f"Global vs within-{kind} correlation",
                "The gap between the global Pearson and the within-group scores is what memorising each "
                f"{kind}'s average effect buys.",
                figures=[plots.global_vs_within(board.drop(columns=["baseline"], errors="ignore"), primary=primary)],
            )
        )
    best, base = best_models(res, ctx)
    if best is None:
        return sections
    frame = res.predictions.frame()
    shown = [m for m in dict.fromkeys([best, base, "drug_mean"]) if m is not None and m in frame.columns]
    sections.append(
        Section("Predicted vs observed", figures=[plots.predicted_vs_observed(frame, models=shown, target=ctx.target)])
    )
    table = per_group_table(res.summary, metric="pearson", group_by=kind)
    if best in table.columns:
        reference = table[base] if base in table.columns else None
        fig = plots.per_group_waterfall(
            table[best].dropna(), reference=reference, model=best, reference_name=base, group=kind
        )
        sections.append(Section(f"Per-{kind} Pearson of the best model", figures=[fig]))
    return sections


def member_sections(res: Results, ctx: ScoreContext, task: Task) -> list[Section]:
    """Members table and combiner-weight heatmap of every ensemble (``extras/<model>.combiner.csv``)."""
    from cellresponse.plotting import plot_combiner_weights

    headline = task.primary_metric(ctx.kind)
    if ctx.task == "dependency" and (res.summary["metric"] == f"per_{ctx.kind}_auroc_mean").any():
        headline = f"per_{ctx.kind}_auroc_mean"
    pooled = res.summary[res.summary["group_by"] == "all"]
    scores = pooled[pooled["metric"] == headline].set_index("model")["value"]
    sections = []
    for model, table in res.extras("combiner").items():
        members = table[table["member"] != "ensemble"]
        per_member = members.groupby("member", sort=False).agg(
            representation=("representation", "first"),
            predictor=("predictor", "first"),
            weight=("weight", "mean"),
            valid_pearson=("valid_pearson", "mean"),
        )
        per_member[f"test {headline}"] = [scores.get(f"{model}{MEMBER_SEP}{m}", float("nan")) for m in per_member.index]
        per_member = per_member.sort_values("weight", ascending=False)
        ens = table[table["member"] == "ensemble"]["valid_pearson"].mean()
        by_kind = (
            members.assign(kind=members["representation"].astype(str) + " × " + members["predictor"].astype(str))
            .groupby("kind")["weight"]
            .sum()
            .div(max(members["fold"].nunique(), 1))
            .sort_values(ascending=False)
        )
        carriers = ", ".join(f"{k} ({v:.2f})" for k, v in by_kind.head(3).items())
        text = (
            f"{model}: {len(per_member)} members. Mean combiner weight per fold, summed over seeds: {carriers}. "
            f"Inner-validation Pearson of the combined members {ens:.3f} (best member "
            f"{per_member['valid_pearson'].max():.3f}). The member to beat is the one best on inner validation, "
            "not on test."
        )
        valid_best = per_member["valid_pearson"].idxmax() if per_member["valid_pearson"].notna().any() else None
        per_fold = scores.get(f"{model}{MEMBER_SEP}valid_best")
        if per_fold is not None:
            text += (
                f" Test {headline}: ensemble {scores.get(model, float('nan')):.3f}, the member best on each "
                f"fold's inner validation (valid_best) {per_fold:.3f}."
            )
        elif valid_best is not None:
            member_score = per_member.loc[valid_best, f"test {headline}"]
            text += (
                f" Test {headline}: ensemble {scores.get(model, float('nan')):.3f}, member best on inner "
                f"validation ({valid_best}) {member_score:.3f}."
            )
        tables = [Table(per_member)]
        gains = res.stats[(res.stats["model"] == model) & res.stats["reference"].str.startswith(f"{model}{MEMBER_SEP}")]
        if len(gains):
            tables.append(Table(gains.set_index(["metric", "reference"]).drop(columns=["model"]), digits=4))
        fig = plot_combiner_weights(members[["fold", "member", "weight"]], title=f"{model}: combiner weights")
        sections.append(Section(f"Ensemble members: {model}", text, figures=[fig], tables=tables))
    return sections


def gene_set_section(res: Results, ctx: ScoreContext) -> list[Section]:
    by_set = res.summary[res.summary["group_by"] == "gene_set"]
    if by_set.empty:
        return []
    shown = by_set[by_set["metric"].str.endswith("_mean")]
    wide = shown.pivot_table(index="model", columns=["metric", "group"], values="value")
    order = [m for m in ctx.models if m in wide.index] + [m for m in wide.index if m not in ctx.models]
    wide.columns = [f"{m} [{g}]" for m, g in wide.columns]
    return [
        Section(
            "Scores by gene set",
            "Mean per-gene scores over the genes of each set (selectively essential, common-essential, all), from "
            "the fold-averaged per-gene scores; rows named model/member are ensemble members.",
            tables=[Table(wide.reindex(order), highlight=ctx.baselines)],
        )
    ]


__all__ = ["best_models", "gene_set_section", "member_sections", "scalar_sections"]
