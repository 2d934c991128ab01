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
]
