"""Core data objects: observations, feature views, datasets."""

from cellresponse.data._dataset import OBS_KEYS, OPTIONAL_OBS, Dataset
from cellresponse.data._ids import (
    AGGREGATE_RULES,
    ID_SYSTEMS,
    CellLineResolver,
    HarmonizationReport,
    aggregate_duplicates,
    harmonize_responses,
    normalize_name,
)
from cellresponse.data._views import FeatureView

__all__ = [
    "AGGREGATE_RULES",
    "ID_SYSTEMS",
    "OBS_KEYS",
    "OPTIONAL_OBS",
    "CellLineResolver",
    "Dataset",
    "FeatureView",
    "HarmonizationReport",
    "aggregate_duplicates",
    "harmonize_responses",
    "normalize_name",
]
