"""Leakage-proof splits for every task, and split files.

:func:`make_split` is the one entry point for every mode (``cell_line``, ``both``,
``compound_scaffold``, ``dose_interpolation``, ...); :func:`read_split_file` reads a
split written by this package or another tool. Both build the folds from an assignment
table through the same code, so a written ``split.csv`` reads back to the same folds.
"""

from cellresponse.chem import BUTINA_CUTOFF, butina_clusters, murcko_scaffolds
from cellresponse.splits import _compound_groups  # noqa: F401  (registers the structure split modes)
from cellresponse.splits._assign import key_columns
from cellresponse.splits._file import check_training_coverage, read_split_file
from cellresponse.splits._holdouts import dose_holdout_split, time_holdout_split
from cellresponse.splits._modes import (
    MODE_ALIASES,
    SplitMode,
    available_split_modes,
    canonical_mode,
    make_split,
    register_split_mode,
    split_mode_descriptions,
)
from cellresponse.splits._predefined import predefined_split
from cellresponse.splits._split import SPLIT_FORMAT_VERSION, TRAIN_ONLY, Fold, Split
from cellresponse.splits._study import cross_study_assignment  # registers the cross_study mode

__all__ = [
    "BUTINA_CUTOFF",
    "MODE_ALIASES",
    "SPLIT_FORMAT_VERSION",
    "TRAIN_ONLY",
    "Fold",
    "Split",
    "SplitMode",
    "available_split_modes",
    "butina_clusters",
    "canonical_mode",
    "check_training_coverage",
    "cross_study_assignment",
    "dose_holdout_split",
    "key_columns",
    "make_split",
    "murcko_scaffolds",
    "predefined_split",
    "read_split_file",
    "register_split_mode",
    "split_mode_descriptions",
    "time_holdout_split",
]
