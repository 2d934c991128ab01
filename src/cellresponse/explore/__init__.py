"""Exploratory ML on expression: embeddings, univariate scores, nested-CV classifiers."""

from cellresponse.explore._analysis import (
    SELECTION_METRIC,
    ExploreAnalysis,
    ExploreSettings,
    explore_classification,
)
from cellresponse.explore._embed import embed, univariate_scores
from cellresponse.explore._labels import (
    PRESETS,
    LabelledSamples,
    labelled_samples,
    lineage_labels,
    preset_samples,
)
from cellresponse.explore._nested import (
    DEFAULT_MODELS,
    MODEL_NAMES,
    CVScheme,
    NestedCVResult,
    make_pipeline,
    most_common_params,
    nested_cv,
    ovr_macro_auc,
    permutation_test,
    top_genes,
)

__all__ = [
    "DEFAULT_MODELS",
    "MODEL_NAMES",
    "PRESETS",
    "SELECTION_METRIC",
    "CVScheme",
    "ExploreAnalysis",
    "ExploreSettings",
    "LabelledSamples",
    "NestedCVResult",
    "embed",
    "explore_classification",
    "labelled_samples",
    "lineage_labels",
    "make_pipeline",
    "most_common_params",
    "nested_cv",
    "ovr_macro_auc",
    "permutation_test",
    "preset_samples",
    "top_genes",
    "univariate_scores",
]
