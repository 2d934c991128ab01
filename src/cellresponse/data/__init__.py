"""Core data objects: observations, feature views, datasets."""

from cellresponse.data._dataset import OBS_KEYS, OPTIONAL_OBS, Dataset
from cellresponse.data._ids import (
    AGGREGATE_RULES,
    ID_SYSTEMS,
    Aggregate,
    CellLineResolver,
    HarmonizationReport,
    ResponseColumns,
    aggregate_duplicates,
    harmonize_responses,
    normalize_name,
)
from cellresponse.data._views import FeatureView, ViewKind

__all__ = [
    "AGGREGATE_RULES",
    "ID_SYSTEMS",
    "OBS_KEYS",
    "OPTIONAL_OBS",
    "Aggregate",
    "CellLineResolver",
    "Dataset",
    "FeatureView",
    "HarmonizationReport",
    "ResponseColumns",
    "ViewKind",
    "aggregate_duplicates",
    "harmonize_responses",
    "normalize_name",
]
