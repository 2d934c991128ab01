"""The results directory of a benchmark: one versioned layout, one writer, one reader; the
store of completed cells an interrupted run resumes from; output checks and locks."""

from cellresponse.results._layout import (
    ABLATION_COLUMNS,
    FORMAT_VERSION,
    LAYOUT_ENTRIES,
    RESULT_COLUMNS,
    STATS_COLUMNS,
    SUMMARY_COLUMNS,
    TABLES,
    TIMING_COLUMNS,
    Results,
    ResultsWriter,
    atomic_write_bytes,
    read_config,
    read_results,
    table_bytes,
)
from cellresponse.results._outdir import EXISTING, LOCK_FILE, Existing, RunLock, check_output_file, prepare_output_dir
from cellresponse.results._predictions import Predictions, read_predictions
from cellresponse.results._store import STORE_DIR, CellRecord, CellStore, cell_key

__all__ = [
    "ABLATION_COLUMNS",
    "EXISTING",
    "FORMAT_VERSION",
    "LAYOUT_ENTRIES",
    "LOCK_FILE",
    "RESULT_COLUMNS",
    "STATS_COLUMNS",
    "STORE_DIR",
    "SUMMARY_COLUMNS",
    "TABLES",
    "TIMING_COLUMNS",
    "CellRecord",
    "CellStore",
    "Existing",
    "Predictions",
    "Results",
    "ResultsWriter",
    "RunLock",
    "atomic_write_bytes",
    "cell_key",
    "check_output_file",
    "prepare_output_dir",
    "read_config",
    "read_predictions",
    "read_results",
    "table_bytes",
]
