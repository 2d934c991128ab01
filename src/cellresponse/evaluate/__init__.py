"""The benchmark engine (one fold loop for every task), shard merging and the leaderboard.

Metrics are pure functions in :mod:`cellresponse.metrics` (re-exported here); tasks and
their scorers in :mod:`cellresponse.tasks`; the results layout in
:mod:`cellresponse.results`.
"""

from cellresponse.evaluate._cells import MEMBER_PREDICTIONS, CellResult, FoldData, run_cell
from cellresponse.evaluate._merge import merge_benchmarks
from cellresponse.evaluate._runner import BenchmarkResult, RunOptions, resolve_models, run_benchmark, seeded_params
from cellresponse.evaluate._scoring import ablation_table, leaderboard, score_predictions, summary_table
from cellresponse.metrics import (
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

__all__ = [
    "MEMBER_PREDICTIONS",
    "METRICS",
    "BenchmarkResult",
    "CellResult",
    "FoldData",
    "RunOptions",
    "ablation_table",
    "grouped_metric",
    "leaderboard",
    "mae",
    "merge_benchmarks",
    "normalized_pearson",
    "paired_wilcoxon",
    "pearson",
    "r2",
    "resolve_models",
    "rmse",
    "run_benchmark",
    "run_cell",
    "score_predictions",
    "score_scalar",
    "seeded_params",
    "spearman",
    "summary_table",
]
