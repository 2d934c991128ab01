"""explain: which features drive a model's predictions, for every response model.

:func:`attributions` is the one interface: native attributions where a model has them
(standardized coefficients of linear models, LightGBM's TreeSHAP contributions) and
permutation importance on held-out data for every model, in one long table
(:data:`ATTRIBUTION_COLUMNS`). :func:`top_features` lists the features behind single
predictions; :func:`method_agreement`, :func:`association_agreement` and
:func:`rank_stability` compare rankings. RLIPP scores the terms of visible networks.
"""

from cellresponse.explain._agreement import (
    AGREEMENT_COLUMNS,
    association_agreement,
    feature_ranks,
    method_agreement,
    rank_stability,
)
from cellresponse.explain._attributions import (
    ATTRIBUTION_COLUMNS,
    CONTRIBUTION_COLUMNS,
    FOLD_PERMUTED_FEATURES,
    METHODS,
    ExplainSettings,
    aggregate_folds,
    attributions,
    fold_attributions,
    rank_attributions,
    top_features,
)
from cellresponse.explain._native import (
    NATIVE_COLUMNS,
    RowContributions,
    contributions,
    native_importance,
    native_method,
)
from cellresponse.explain._permutation import PermutationSettings, per_drug_pearson, permutation_importance
from cellresponse.explain._rlipp import RLIPP_COLUMNS, RLIPPProbe, drug_embedding, genotype_embedding, rlipp

__all__ = [
    "AGREEMENT_COLUMNS",
    "ATTRIBUTION_COLUMNS",
    "CONTRIBUTION_COLUMNS",
    "FOLD_PERMUTED_FEATURES",
    "METHODS",
    "NATIVE_COLUMNS",
    "RLIPP_COLUMNS",
    "ExplainSettings",
    "PermutationSettings",
    "RLIPPProbe",
    "RowContributions",
    "aggregate_folds",
    "association_agreement",
    "attributions",
    "contributions",
    "drug_embedding",
    "feature_ranks",
    "fold_attributions",
    "genotype_embedding",
    "method_agreement",
    "native_importance",
    "native_method",
    "per_drug_pearson",
    "permutation_importance",
    "rank_attributions",
    "rank_stability",
    "rlipp",
    "top_features",
]
