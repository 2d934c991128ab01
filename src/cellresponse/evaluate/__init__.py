"""The benchmark engine (one fold loop for every task), shard merging and the leaderboard.

Metrics are pure functions in :mod:`cellresponse.metrics`; tasks and
their scorers in :mod:`cellresponse.tasks`; the results layout in
:mod:`cellresponse.results`.
"""

from cellresponse.evaluate._cells import MEMBER_PREDICTIONS, CellResult, FoldData, run_cell
from cellresponse.evaluate._merge import merge_benchmarks
from cellresponse.evaluate._rows import RowFilter, apply_row_filter, restrict_split, rows_for_models
from cellresponse.evaluate._runner import BenchmarkResult, RunOptions, resolve_models, run_benchmark, seeded_params
from cellresponse.evaluate._scoring import ablation_table, leaderboard, score_predictions, summary_table
from cellresponse.evaluate._transfer import TRANSFER, best_transfer_baseline, transfer_scores, write_transfer_scores

__all__ = [
    "MEMBER_PREDICTIONS",
    "TRANSFER",
    "BenchmarkResult",
    "CellResult",
    "FoldData",
    "RowFilter",
    "RunOptions",
    "ablation_table",
    "apply_row_filter",
    "best_transfer_baseline",
    "leaderboard",
    "merge_benchmarks",
    "resolve_models",
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
