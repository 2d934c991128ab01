"""Leakage-proof splits and split files."""

from cellresponse.splits._split import (
    KEY_COLUMNS,
    MODE_ALIASES,
    Fold,
    Split,
    available_split_modes,
    canonical_mode,
    check_training_coverage,
    make_split,
    read_split_file,
    register_split_mode,
)

__all__ = [
    "KEY_COLUMNS",
    "MODE_ALIASES",
    "Fold",
    "Split",
    "available_split_modes",
    "canonical_mode",
    "check_training_coverage",
    "make_split",
    "read_split_file",
    "register_split_mode",
]
