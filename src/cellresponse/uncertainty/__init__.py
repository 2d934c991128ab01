"""Prediction intervals and applicability domain for every model of every task.

- :class:`IntervalCalibrator`: split conformal intervals from held-out residuals, at any
  level, in four variants (standard, Mondrian by group, normalized by difficulty, both);
  :func:`prediction_sets` for ordered class targets, :func:`signature_confidence` for
  expression signatures.
- :class:`DomainModel`: novelty per axis (drug, cell line, tissue, dose, time) fitted on
  training data, an out-of-domain flag, and the difficulty estimates of the normalized
  intervals.
- :class:`CalibratedModel`: a fitted model with both, saved beside it
  (``<model dir>/calibration/``), behind ``cellresponse train`` / ``predict``.
- The benchmark engine calibrates every model on each fold's inner validation part
  (:func:`prepare_fold`, :func:`calibrate_cell`) and the tasks score coverage, width and
  error against novelty from the written predictions (:func:`interval_rows`,
  :func:`novelty_rows`, :func:`novelty_tests`).
"""

from cellresponse.uncertainty._calibrated import (
    CALIBRATION_DIR,
    CalibratedModel,
    Intervals,
    calibration_summary,
    load_calibrated,
    read_calibration,
    save_calibration,
)
from cellresponse.uncertainty._conformal import (
    CLASS_TARGETS,
    DEFAULT_LEVEL,
    DEFAULT_VARIANT,
    LEVELS,
    MIN_GROUP_SIZE,
    VARIANTS,
    IntervalCalibrator,
    check_level,
    check_levels,
    conformal_quantile,
    prediction_sets,
    quantile_rank,
    signature_confidence,
)
from cellresponse.uncertainty._domain import NOVELTY_AXES, NOVELTY_COLUMNS, DomainConfig, DomainModel, domain_reasons
from cellresponse.uncertainty._engine import (
    CellIntervals,
    FoldUncertainty,
    UncertaintyConfig,
    calibrate_cell,
    fold_intervals,
    interval_context,
    prepare_fold,
)
from cellresponse.uncertainty._scoring import (
    GROUP_TOLERANCE,
    calibration_summary_rows,
    default_level,
    interval_rows,
    metric_name,
    novelty_deciles,
    novelty_rows,
    novelty_tests,
)

__all__ = [
    "CALIBRATION_DIR",
    "CLASS_TARGETS",
    "DEFAULT_LEVEL",
    "DEFAULT_VARIANT",
    "GROUP_TOLERANCE",
    "LEVELS",
    "MIN_GROUP_SIZE",
    "NOVELTY_AXES",
    "NOVELTY_COLUMNS",
    "VARIANTS",
    "CalibratedModel",
    "CellIntervals",
    "DomainConfig",
    "DomainModel",
    "FoldUncertainty",
    "IntervalCalibrator",
    "Intervals",
    "UncertaintyConfig",
    "calibrate_cell",
    "calibration_summary",
    "calibration_summary_rows",
    "check_level",
    "check_levels",
    "conformal_quantile",
    "default_level",
    "domain_reasons",
    "fold_intervals",
    "interval_context",
    "interval_rows",
    "load_calibrated",
    "metric_name",
    "novelty_deciles",
    "novelty_rows",
    "novelty_tests",
    "prediction_sets",
    "prepare_fold",
    "quantile_rank",
    "read_calibration",
    "save_calibration",
    "signature_confidence",
]
