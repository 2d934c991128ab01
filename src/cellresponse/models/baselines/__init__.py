"""Built-in models: naive means, elastic net, random forest, LightGBM (global and per drug)."""

from cellresponse.models.baselines._global import ElasticNetGlobal, LightGBMGlobal, RandomForestGlobal
from cellresponse.models.baselines._means import (
    CellLineMean,
    GlobalMean,
    MeanEffects,
    PerturbationMean,
    TissueDrugMean,
)
from cellresponse.models.baselines._per_drug import (
    ElasticNetPerDrug,
    LightGBMPerDrug,
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
