"""Metrics: pure functions in scikit-learn's ``(y_true, y_pred)`` order, grouped scores and
paired tests, for every task (scalar responses, expression signatures, dependencies)."""

from cellresponse.metrics._dependency import (
    DEPENDENCY_METRICS,
    auroc,
    auroc_convention,
    gene_sets_from_meta,
    paired_gene_tests,
    per_gene_scores,
    score_dependency,
)
from cellresponse.metrics._expression import (
    LOWER_IS_BETTER_EXPR,
    TOP_K,
    per_signature_delta_pearson,
    per_signature_metrics,
    per_signature_pearson,
    per_signature_precision_at_k,
    per_signature_rmse,
    per_signature_spearman,
    score_expression,
)
from cellresponse.metrics._paired import Alternative, paired_wilcoxon
from cellresponse.metrics._ranks import RankComparison, friedman_nemenyi, nemenyi_cd
from cellresponse.metrics._scalar import (
    LOWER_IS_BETTER,
    METRICS,
    group_summary_rows,
    grouped_metric,
    mae,
    normalized_pearson,
    pearson,
    r2,
    rmse,
    score_scalar,
    spearman,
)

__all__ = [
    "DEPENDENCY_METRICS",
    "LOWER_IS_BETTER",
    "LOWER_IS_BETTER_EXPR",
    "METRICS",
    "TOP_K",
    "Alternative",
    "RankComparison",
    "auroc",
    "auroc_convention",
    "friedman_nemenyi",
    "gene_sets_from_meta",
    "group_summary_rows",
    "grouped_metric",
    "mae",
    "nemenyi_cd",
    "normalized_pearson",
    "paired_gene_tests",
    "paired_wilcoxon",
    "pearson",
    "per_gene_scores",
    "per_signature_delta_pearson",
    "per_signature_metrics",
    "per_signature_pearson",
    "per_signature_precision_at_k",
    "per_signature_rmse",
    "per_signature_spearman",
    "r2",
    "rmse",
    "score_dependency",
    "score_expression",
    "score_scalar",
    "spearman",
]
