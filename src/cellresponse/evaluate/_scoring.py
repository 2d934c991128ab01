"""Scoring a run from its predictions: per fold, then across folds, then the leaderboard.

Shared by the benchmark runner and the merge of shards, so a merged run is scored exactly
as one run would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cellresponse.results import ABLATION_COLUMNS, RESULT_COLUMNS, Predictions
from cellresponse.tasks import ABLATION_SEP, ScoreContext, Task, get_task


def score_predictions(preds: Predictions, ctx: ScoreContext, task: Task) -> pd.DataFrame:
    """Per-fold result rows (``fold`` an integer) of every fold in ``preds``."""
    frames = []
    for fold in preds.folds:
        rows = task.score_fold(preds.fold(fold), ctx)
        if len(rows):
            frames.append(rows.assign(fold=int(fold))[RESULT_COLUMNS])
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["fold"] = out["fold"].astype(int)
    return out


def ablation_table(summary: pd.DataFrame, task: Task) -> pd.DataFrame:
    """Each ``model|ablation`` against its model on every overall metric.

    ``drop`` is intact - ablated (ablated - intact for lower-is-better metrics), so a
    positive drop always means the shuffled input hurt.
    """
    overall = summary[summary["group_by"] == "all"].set_index(["model", "metric"])["value"]
    rows = []
    for (name, metric), value in overall.items():
        if ABLATION_SEP not in name:
            continue
        model, ablation = name.split(ABLATION_SEP, 1)
        if (model, metric) not in overall.index:
            continue
        intact = float(overall[(model, metric)])
        drop = (value - intact) if metric in task.lower_is_better else (intact - value)
        rows.append((model, ablation, metric, intact, float(value), float(drop)))
    return pd.DataFrame(rows, columns=ABLATION_COLUMNS)


def leaderboard(
    summary: pd.DataFrame, results: pd.DataFrame, *, ctx: ScoreContext, task: Task
) -> tuple[pd.DataFrame, str | None]:
    """One row per model of the run: headline metrics (fold means / fold-averaged group
    scores), the primary metric's fold mean and sd, how many groups it was scored on, and
    the gain of every metric over the best baseline. Sorted by the primary metric."""
    kind = ctx.kind
    primary = task.primary_metric(kind)
    metrics = [m.format(k=kind) for m in task.leaderboard_metrics]
    pooled = summary[summary["group_by"] == "all"].pivot_table(index="model", columns="metric", values="value")
    models = list(ctx.models)
    board = pooled.reindex(index=models, columns=[m for m in metrics if m in pooled.columns])
    board.index.name = "model"
    per_fold = results[(results["group_by"] == "all") & (results["metric"] == primary)]
    agg = per_fold.groupby("model")["value"].agg(["mean", "std"])
    board[f"{primary} (fold mean)"] = agg["mean"].reindex(board.index)
    board[f"{primary} (fold sd)"] = agg["std"].reindex(board.index)
    g_metric, g_by = task.primary_groups(kind)
    scored = summary[(summary["group_by"] == g_by) & (summary["metric"] == g_metric)]
    board[f"n {g_by}s scored"] = scored.groupby("model")["group"].nunique().reindex(board.index).fillna(0).astype(int)
    best = task.best_baseline(summary, ctx)
    if best is not None and best in board.index:
        for m in [c for c in metrics if c in pooled.columns]:
            sign = -1.0 if m in task.lower_is_better else 1.0
            board[f"gain {m}"] = sign * (board[m] - board.loc[best, m])
    board.insert(0, "baseline", [m in ctx.baselines for m in board.index])
    if primary in board.columns:
        ascending = primary in task.lower_is_better
        board = board.sort_values(primary, ascending=ascending, kind="stable", na_position="last")
    return board, best


def summary_table(board: pd.DataFrame, config: Mapping[str, Any]) -> pd.DataFrame:
    """The short leaderboard the CLI prints: the primary metric, its gain over the best
    baseline and the next headline metrics."""
    primary = str(config["primary_metric"])
    best = config.get("best_baseline")
    kind = str(config["perturbation_kind"])
    rest = [m.format(k=kind) for m in get_task(str(config["task"])).summary_metrics]
    cols = [primary, f"gain {primary}", *rest]
    out = board[[c for c in cols if c in board.columns]].copy()
    if best:
        out = out.rename(columns={f"gain {primary}": f"gain vs {best}"})
    return out


__all__ = ["ablation_table", "leaderboard", "score_predictions", "summary_table"]
