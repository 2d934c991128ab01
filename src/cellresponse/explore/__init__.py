"""Exploratory ML on expression: embeddings, univariate scores, nested-CV classifiers."""

from cellresponse.explore._embed import embed, univariate_scores
from cellresponse.explore._labels import lineage_labels
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
    "CVScheme",
    "NestedCVResult",
    "embed",
    "lineage_labels",
    "make_pipeline",
    "most_common_params",
    "nested_cv",
    "ovr_macro_auc",
    "permutation_test",
    "top_genes",
    "univariate_scores",
]
