"""Core data objects: observations, feature views, datasets."""

from cellresponse.data._aliases import (
    ALIAS_COLUMNS,
    alias_map,
    normalize_drug_name,
    packaged_alias_path,
    packaged_aliases,
    read_alias_table,
)
from cellresponse.data._dataset import OBS_KEYS, OPTIONAL_OBS, Dataset
from cellresponse.data._drugs import DrugMatch, DrugResolver
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
    "ALIAS_COLUMNS",
    "ID_SYSTEMS",
    "OBS_KEYS",
    "OPTIONAL_OBS",
    "Aggregate",
    "CellLineResolver",
    "Dataset",
    "DrugMatch",
    "DrugResolver",
    "FeatureView",
    "HarmonizationReport",
    "ResponseColumns",
    "ViewKind",
    "aggregate_duplicates",
    "alias_map",
    "harmonize_responses",
    "normalize_drug_name",
    "normalize_name",
    "packaged_alias_path",
    "packaged_aliases",
    "read_alias_table",
]
