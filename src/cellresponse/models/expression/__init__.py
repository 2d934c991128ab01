"""Expression-task models: baselines (always run beside a model) and the dose/time model.

Importing this package does not import torch; ``expr_dosetime`` loads it in ``fit``.
"""

from cellresponse.models.expression._baselines import (
    ExprAdditive,
    ExprCellMean,
    ExprCompoundMean,
    ExprDrugBlind,
    ExpressionModel,
    ExprRidge,
    ExprTanimotoKNN,
    ExprTrainMean,
    ExprZero,
)
from cellresponse.models.expression._predict import predict_signature

__all__ = [
    "ExprAdditive",
    "ExprCellMean",
    "ExprCompoundMean",
    "ExprDrugBlind",
    "ExprRidge",
    "ExprTanimotoKNN",
    "ExprTrainMean",
    "ExprZero",
    "ExpressionModel",
    "predict_signature",
]
