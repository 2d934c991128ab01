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
from cellresponse.pipeline._biomarkers import BiomarkerConfig, run_biomarkers
from cellresponse.pipeline._bundle import (
    BUNDLE_FORMAT,
    BUNDLE_JSON,
    Bundle,
    BundleReference,
    TrainingRecord,
    is_bundle,
    read_bundle,
    write_bundle,
)
from cellresponse.pipeline._cross import load_cross_study
from cellresponse.pipeline._defaults import DEFAULT_BUNDLES, DefaultBundle, default_bundles
from cellresponse.pipeline._query import OnUnknown, QueryError, known_cell_lines, predict_response, suggest
from cellresponse.pipeline._signatures import (
    RepurposingResult,
    check_dose_time,
    default_doses,
    expression_dose_curve,
    known_compounds,
    predict_expression,
    predict_signatures,
    repurpose,
)
from cellresponse.pipeline._studies import benchmark_seeds, compare_runs, randomization_test
from cellresponse.pipeline._train import (
    MODEL_FILES,
    cv_scores,
    describe_calibration,
    pairs_dataset,
    predict,
    predict_signature_table,
    train,
    write_table,
)

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_JSON",
    "DEFAULT_BUNDLES",
    "MODEL_FILES",
    "BiomarkerConfig",
    "Bundle",
    "BundleReference",
    "DEConfig",
    "DefaultBundle",
    "EnrichConfig",
    "ExploreConfig",
    "OnUnknown",
    "QueryError",
    "RepurposingResult",
    "TrainingRecord",
    "benchmark",
    "benchmark_seeds",
    "cell_line_resolver",
    "check_dose_time",
    "compare_runs",
    "config_summary",
    "cv_scores",
    "default_bundles",
    "default_doses",
    "describe_calibration",
    "expression_dose_curve",
    "is_bundle",
    "known_cell_lines",
    "known_compounds",
    "load_cross_study",
    "load_for_config",
    "pairs_dataset",
    "predict",
    "predict_expression",
    "predict_response",
    "predict_signature_table",
    "predict_signatures",
    "randomization_test",
    "read_bundle",
    "repurpose",
    "run_biomarkers",
    "run_de",
    "run_enrich",
    "run_explore",
    "split_for_config",
    "suggest",
    "train",
    "write_bundle",
    "write_table",
]
