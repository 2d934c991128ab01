"""Library functions behind the CLI: one per subcommand, usable from Python.

The CLI modules parse arguments, call these and print; everything here works without
the command line.
"""

from cellresponse.pipeline._analysis import (
    DEConfig,
    EnrichConfig,
    ExploreConfig,
    run_de,
    run_enrich,
    run_explore,
)
from cellresponse.pipeline._benchmark import (
    benchmark,
    cell_line_resolver,
    config_summary,
    load_for_config,
    split_for_config,
)
from cellresponse.pipeline._cross import load_cross_study
from cellresponse.pipeline._studies import benchmark_seeds, compare_runs, randomization_test
from cellresponse.pipeline._train import pairs_dataset, predict, train, write_table

__all__ = [
    "DEConfig",
    "EnrichConfig",
    "ExploreConfig",
    "benchmark",
    "benchmark_seeds",
    "cell_line_resolver",
    "compare_runs",
    "config_summary",
    "load_cross_study",
    "load_for_config",
    "pairs_dataset",
    "predict",
    "randomization_test",
    "run_de",
    "run_enrich",
    "run_explore",
    "split_for_config",
    "train",
    "write_table",
]
