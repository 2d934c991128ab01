"""The benchmark engine (one fold loop for every task), shard merging and the leaderboard.

Metrics are pure functions in :mod:`cellresponse.metrics`; tasks and
their scorers in :mod:`cellresponse.tasks`; the results layout in
:mod:`cellresponse.results`.
"""

from cellresponse.evaluate._cells import MEMBER_PREDICTIONS, CellResult, FoldData, run_cell
from cellresponse.evaluate._executors import EXECUTORS, ExecutorConfig, check_executor
from cellresponse.evaluate._merge import merge_benchmarks
from cellresponse.evaluate._rows import RowFilter, apply_row_filter, restrict_split, rows_for_models
from cellresponse.evaluate._runner import BenchmarkResult, RunOptions, resolve_models, run_benchmark, seeded_params
from cellresponse.evaluate._scoring import ablation_table, leaderboard, score_predictions, summary_table
from cellresponse.evaluate._transfer import TRANSFER, best_transfer_baseline, transfer_scores, write_transfer_scores
from cellresponse.evaluate._tuning import TUNING_COLUMNS, TuneOptions, check_search_space, resolve_search_spaces

__all__ = [
    "EXECUTORS",
    "MEMBER_PREDICTIONS",
    "TRANSFER",
    "TUNING_COLUMNS",
    "BenchmarkResult",
    "CellResult",
    "ExecutorConfig",
    "FoldData",
    "RowFilter",
    "RunOptions",
    "TuneOptions",
    "ablation_table",
    "apply_row_filter",
    "best_transfer_baseline",
    "check_executor",
    "check_search_space",
    "leaderboard",
    "merge_benchmarks",
    "resolve_models",
    "resolve_search_spaces",
    "restrict_split",
    "rows_for_models",
    "run_benchmark",
    "run_cell",
    "score_predictions",
    "seeded_params",
    "summary_table",
    "transfer_scores",
    "write_transfer_scores",
]
