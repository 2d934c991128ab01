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
from cellresponse.pipeline._train import (
    MODEL_FILES,
    pairs_dataset,
    predict,
    predict_signature_table,
    train,
    write_table,
)

__all__ = [
    "MODEL_FILES",
    "DEConfig",
    "EnrichConfig",
    "ExploreConfig",
    "benchmark",
    "cell_line_resolver",
    "config_summary",
    "load_for_config",
    "pairs_dataset",
    "predict",
    "predict_signature_table",
    "run_de",
    "run_enrich",
    "run_explore",
    "split_for_config",
    "train",
    "write_table",
]
