"""The results directory of a benchmark: one versioned layout, one writer, one reader."""

from cellresponse.results._layout import (
    ABLATION_COLUMNS,
    FORMAT_VERSION,
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
from cellresponse.results._predictions import Predictions, read_predictions

__all__ = [
    "ABLATION_COLUMNS",
    "FORMAT_VERSION",
    "RESULT_COLUMNS",
    "STATS_COLUMNS",
    "SUMMARY_COLUMNS",
    "TABLES",
    "TIMING_COLUMNS",
    "Predictions",
    "Results",
    "ResultsWriter",
    "atomic_write_bytes",
    "read_config",
    "read_predictions",
    "read_results",
    "table_bytes",
]
