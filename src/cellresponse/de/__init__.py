"""Differential expression: DESeq2 on counts, Welch / Mann-Whitney on normalised data.

Every method returns a :class:`DEResult` whose ``table`` follows :data:`DE_COLUMNS`;
:func:`differential_expression` runs a whole analysis (align, check, filter, test).
"""

from cellresponse.de._analysis import DE_METHODS, DEAnalysis, DESettings, differential_expression
from cellresponse.de._deseq2 import deseq2, design_factors
from cellresponse.de._result import DE_COLUMNS, DEResult, validate_de_table
from cellresponse.de._stats import bh_fdr, two_group_test
from cellresponse.de._validate import (
    align_samples,
    check_groups,
    check_integer_counts,
    filter_low_counts,
)

__all__ = [
    "DE_COLUMNS",
    "DE_METHODS",
    "DEAnalysis",
    "DEResult",
    "DESettings",
    "align_samples",
    "bh_fdr",
    "check_groups",
    "check_integer_counts",
    "deseq2",
    "design_factors",
    "differential_expression",
    "filter_low_counts",
    "two_group_test",
    "validate_de_table",
]
