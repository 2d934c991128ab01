"""Metrics (pure functions), the cross-validation runner, and the results schema."""

from cellresponse.evaluate._metrics import (
    METRICS,
    grouped_metric,
    mae,
    normalized_pearson,
    paired_wilcoxon,
    pearson,
    r2,
    rmse,
    score_scalar,
    spearman,
)
from cellresponse.evaluate._runner import (
    NAIVE_BASELINES,
    RESULT_COLUMNS,
    BenchmarkResult,
    best_naive,
    leaderboard,
    paired_tests,
    primary_metric,
    resolve_models,
    run_benchmark,
    summary_table,
)

__all__ = [
    "METRICS",
    "NAIVE_BASELINES",
    "RESULT_COLUMNS",
    "BenchmarkResult",
    "best_naive",
    "grouped_metric",
    "leaderboard",
    "mae",
    "normalized_pearson",
    "paired_tests",
    "paired_wilcoxon",
    "pearson",
    "primary_metric",
    "r2",
    "resolve_models",
    "rmse",
    "run_benchmark",
    "score_scalar",
    "spearman",
    "summary_table",
]

# Dependency task (issue 6): per-gene AUROC scoring; importing it registers its task scorer.
from cellresponse.evaluate._runner import (
    MEMBER_PREDICTIONS,
    STATS_COLUMNS,
    ScoreContext,
    TaskScorer,
    register_task_scorer,
    task_scorers,
)

__all__ += [
    "MEMBER_PREDICTIONS",
    "STATS_COLUMNS",
    "ScoreContext",
    "TaskScorer",
    "register_task_scorer",
    "task_scorers",
]
