"""Built-in models: naive means, elastic net, random forest, LightGBM (global and per drug)."""

from cellresponse.models.baselines._means import (
    CellLineMean,
    GlobalMean,
    MeanEffects,
    PerturbationMean,
    TissueDrugMean,
)
from cellresponse.models.baselines._tabular import (
    ElasticNetGlobal,
    ElasticNetPerDrug,
    LightGBMGlobal,
    LightGBMPerDrug,
    RandomForestGlobal,
    RandomForestPerDrug,
    RidgePerDrug,
)

__all__ = [
    "CellLineMean",
    "ElasticNetGlobal",
    "ElasticNetPerDrug",
    "GlobalMean",
    "LightGBMGlobal",
    "LightGBMPerDrug",
    "MeanEffects",
    "PerturbationMean",
    "RandomForestGlobal",
    "RandomForestPerDrug",
    "RidgePerDrug",
    "TissueDrugMean",
]
