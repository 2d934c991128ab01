"""Interval and novelty scores of every task, and the calibration section of the report.

The scoring math lives in :mod:`cellresponse.uncertainty`; this module feeds it a task's
fold predictions and context, and renders what was scored. Results directories written
without intervals (before they existed, or with ``RunOptions(uncertainty=None)``) score
and render as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cellresponse.results import Predictions, Results
from cellresponse.tasks._base import FOLD_ROW_COLUMNS, ScoreContext, Section, Table
from cellresponse.uncertainty import (
    CLASS_TARGETS,
    GROUP_TOLERANCE,
    NOVELTY_AXES,
    calibration_summary_rows,
    interval_rows,
    novelty_rows,
    novelty_tests,
)

AXIS_LABELS = {
    "perturbation_novelty": "{k} novelty (1 - max Tanimoto to training {k}s)",
    "cell_line_novelty": "cell-line novelty (percentile of distance to training lines)",
    "tissue_unseen": "tissue unseen in training",
    "dose_outside": "dose outside the training range (log10)",
    "time_outside": "time outside the training range (h)",
}


def _calibrated_models(preds: Predictions, ctx: ScoreContext) -> list[str]:
    names = {key.split("/")[2] for key in preds.context if key.split("/")[1:2] == ["interval"]}
    return [m for m in ctx.models if m in names]


def calibration_fold_rows(preds: Predictions, ctx: ScoreContext) -> pd.DataFrame:
    """Interval and novelty rows of one fold (``model, metric, group_by, group, value``)."""
    frames = [
        interval_rows(preds, kind=ctx.kind, min_group_size=ctx.min_group_size, classes=CLASS_TARGETS.get(ctx.target)),
        novelty_rows(preds, kind=ctx.kind, models=_calibrated_models(preds, ctx)),
    ]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)[FOLD_ROW_COLUMNS] if frames else pd.DataFrame(columns=FOLD_ROW_COLUMNS)


def calibration_summary(
    summary: pd.DataFrame, preds: Predictions, ctx: ScoreContext, *, best_baseline: str | None
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Across-fold interval rows to add to ``summary`` and novelty tests for ``stats``."""
    rows = calibration_summary_rows(summary, models=ctx.models, best_baseline=best_baseline)
    tests = novelty_tests(preds, kind=ctx.kind, models=_calibrated_models(preds, ctx))
    return rows, tests


# --------------------------------------------------------------------------- report
def _levels(summary: pd.DataFrame) -> list[float]:
    metrics = summary.loc[summary["metric"].str.match(r"^coverage@[0-9.]+$"), "metric"].unique()
    return sorted(float(m.split("@", 1)[1]) for m in metrics)


def calibration_sections(res: Results, ctx: ScoreContext) -> list[Section]:
    """Calibration plot, coverage/width table, per-group coverage, and error vs novelty."""
    from cellresponse import plotting as plots

    summary = res.summary
    levels = _levels(summary)
    if not levels:
        return []
    overall = summary[summary["group_by"] == "all"].set_index(["model", "metric"])["value"].sort_index()
    models = [m for m in res.leaderboard.index if m in ctx.models] or list(ctx.models)
    models = [m for m in models if (m, f"coverage@{levels[0]:g}") in overall.index]
    level = 0.9 if 0.9 in levels else levels[len(levels) // 2]
    cal = _calibration_table(overall, models, levels, level, ctx)
    base = res.config.get("best_baseline")
    plotted = [m for m in models if m not in ctx.baselines or m == base]  # fitted models and the best baseline
    curve = [
        {"model": m, "variant": v, "level": lev, "coverage": float(overall[(m, f"{stem}@{lev:g}")])}
        for m in plotted
        for v, stem in (("adaptive", "coverage"), ("standard", "coverage_standard"))
        for lev in levels
        if (m, f"{stem}@{lev:g}") in overall.index
    ]
    best = [m for m in models if m not in ctx.baselines][:1] + [m for m in models if m in ctx.baselines][:1]
    text = (
        "Split conformal intervals calibrated on each fold's inner validation part (held out like the test part). "
        f"Adaptive: Mondrian by {ctx.kind} (groups with fewer calibration points use the pooled quantile) and "
        "normalized by a difficulty estimate fitted on the training part; standard: one quantile for every "
        "prediction. Coverage is the fraction of test observations inside their interval (nominal: the level); "
        "width the mean interval width; ratios below 1 mean narrower intervals than the reference. "
        f"'{ctx.kind}s within {GROUP_TOLERANCE:g}': the fraction of {ctx.kind}s whose fold-averaged coverage is "
        "within that distance of the level."
    )
    sections = [
        Section(
            "Calibration: nominal vs empirical coverage",
            text,
            figures=[plots.coverage_calibration(pd.DataFrame(curve))] if curve else [],
            tables=[Table(cal, highlight=ctx.baselines)],
        )
    ]
    groups = summary[
        (summary["group_by"] == ctx.kind)
        & summary["metric"].isin([f"coverage@{level:g}", f"coverage_standard@{level:g}"])
    ]
    shown = groups[groups["model"].isin(best)]
    if len(shown):
        sections.append(
            Section(
                f"Per-{ctx.kind} coverage at {level:g}",
                f"Fold-averaged coverage of each {ctx.kind} for the best model and the best baseline, adaptive "
                f"(Mondrian) vs standard intervals; the band marks ±{GROUP_TOLERANCE:g} around the level.",
                figures=[plots.group_coverage(shown, level=level, tolerance=GROUP_TOLERANCE, group=ctx.kind)],
            )
        )
    sections += _novelty_section(res, ctx, best)
    return sections


def _calibration_table(
    overall: pd.Series, models: list[str], levels: list[float], level: float, ctx: ScoreContext
) -> pd.DataFrame:
    cols: dict[str, str] = {}
    for lev in levels:
        cols[f"coverage@{lev:g}"] = f"coverage {lev:g}"
        cols[f"width@{lev:g}"] = f"width {lev:g}"
    cols[f"coverage_standard@{level:g}"] = f"standard coverage {level:g}"
    cols[f"width_ratio_standard@{level:g}"] = f"width / standard {level:g}"
    cols[f"width_ratio_best_baseline@{level:g}"] = f"width / best baseline {level:g}"
    cols[f"per_{ctx.kind}_coverage@{level:g}_within_{GROUP_TOLERANCE:g}"] = f"{ctx.kind}s within {GROUP_TOLERANCE:g}"
    cols[f"per_{ctx.kind}_coverage_standard@{level:g}_within_{GROUP_TOLERANCE:g}"] = (
        f"{ctx.kind}s within {GROUP_TOLERANCE:g} (standard)"
    )
    cols[f"set_size@{level:g}"] = f"set size {level:g}"
    cols[f"signature_confidence@{level:g}"] = "signature confidence"
    cols[f"spearman_confidence_vs_pearson@{level:g}"] = "Spearman(confidence, Pearson)"
    table = pd.DataFrame(
        {label: [overall.get((m, metric), np.nan) for m in models] for metric, label in cols.items()},
        index=pd.Index(models, name="model"),
    )
    return table.dropna(axis=1, how="all")


def _novelty_section(res: Results, ctx: ScoreContext, shown: list[str]) -> list[Section]:
    from cellresponse import plotting as plots

    summary = res.summary
    grouped = summary[summary["group_by"].str.endswith("_group") & summary["model"].isin(shown)]
    rho = summary[(summary["group_by"] == "all") & summary["metric"].str.startswith("spearman_abs_error_vs_")]
    if grouped.empty and rho.empty:
        return []
    table = rho.assign(axis=rho["metric"].str.replace("spearman_abs_error_vs_", "", regex=False)).pivot_table(
        index="model", columns="axis", values="value", sort=False
    )
    table.columns = [f"Spearman |error| vs {c}" for c in table.columns]
    tests = res.stats[res.stats["subset"] == "most vs least novel decile"]
    tables = [Table(table, highlight=ctx.baselines)]
    if len(tests):
        view = tests[["model", "metric", "over", "n", "model_mean", "reference_mean", "median_diff", "pvalue"]]
        tables.append(
            Table(
                view.rename(columns={"model_mean": "most novel", "reference_mean": "least novel"}).set_index("model"),
                digits=4,
            )
        )
    axes = [a for a in NOVELTY_AXES if (grouped["group_by"] == f"{a}_group").any()]
    labels = {a: AXIS_LABELS[a].format(k=ctx.kind) for a in axes}
    figs = [plots.error_vs_novelty(grouped, axes=axes, labels=labels)] if axes else []
    text = (
        "Does error grow with novelty? Spearman correlation of each prediction's absolute error with each novelty "
        "score (computed per fold, averaged); median absolute error per novelty decile (entity axes: deciles of "
        "the test drugs or cell lines of each fold, least novel = 1), and a one-sided test of the most against "
        "the least novel decile, paired over the other entity (every fold pooled). Axes that do not vary under "
        "this split are absent; a Spearman near zero means the score carries no information about error."
    )
    return [Section("Error vs novelty", text, figures=figs, tables=tables)]


__all__ = ["calibration_fold_rows", "calibration_sections", "calibration_summary"]
