"""Metrics (pure functions), the cross-validation runner, and the results schema."""

from cellresponse.evaluate._merge import merge_benchmarks
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
    "merge_benchmarks",
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

# Dependency task (issue 6): per-gene AUROC scoring and paired tests between fitted models
# and against ensemble members; importing them registers their task scorers.
from cellresponse.evaluate._comparisons import model_comparisons
from cellresponse.evaluate._dependency import (
    DEPENDENCY_METRICS,
    auroc,
    auroc_convention,
    dependency_fold_scores,
    dependency_summary,
    gene_sets_from_meta,
    paired_gene_tests,
    per_gene_scores,
    score_dependency,
)
from cellresponse.evaluate._runner import (
    MEMBER_PREDICTIONS,
    STATS_COLUMNS,
    ScoreContext,
    TaskScorer,
    register_task_scorer,
    task_scorers,
)

__all__ += [
    "DEPENDENCY_METRICS",
    "MEMBER_PREDICTIONS",
    "STATS_COLUMNS",
    "ScoreContext",
    "TaskScorer",
    "auroc",
    "auroc_convention",
    "dependency_fold_scores",
    "dependency_summary",
    "gene_sets_from_meta",
    "model_comparisons",
    "paired_gene_tests",
    "per_gene_scores",
    "register_task_scorer",
    "score_dependency",
    "task_scorers",
]
