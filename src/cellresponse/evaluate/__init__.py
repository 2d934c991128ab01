"""The benchmark engine (one fold loop for every task), shard merging and the leaderboard.

Metrics are pure functions in :mod:`cellresponse.metrics`; tasks and
their scorers in :mod:`cellresponse.tasks`; the results layout in
:mod:`cellresponse.results`.
"""

from cellresponse.evaluate._cells import MEMBER_PREDICTIONS, CellResult, FoldData, run_cell
from cellresponse.evaluate._executors import EXECUTORS, ExecutorConfig, check_executor
from cellresponse.evaluate._merge import merge_benchmarks
from cellresponse.evaluate._runner import BenchmarkResult, RunOptions, resolve_models, run_benchmark, seeded_params
from cellresponse.evaluate._scoring import ablation_table, leaderboard, score_predictions, summary_table
from cellresponse.evaluate._tuning import TUNING_COLUMNS, TuneOptions, check_search_space, resolve_search_spaces

__all__ = [
    "EXECUTORS",
    "MEMBER_PREDICTIONS",
    "TUNING_COLUMNS",
    "BenchmarkResult",
    "CellResult",
    "ExecutorConfig",
    "FoldData",
    "RunOptions",
    "TuneOptions",
    "ablation_table",
    "check_executor",
    "check_search_space",
    "leaderboard",
    "merge_benchmarks",
    "resolve_models",
    "resolve_search_spaces",
    "run_benchmark",
    "run_cell",
    "score_predictions",
    "seeded_params",
    "summary_table",
]
