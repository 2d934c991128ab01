"""Models behind one contract (:class:`ResponseModel`) and a registry."""

from cellresponse.models.base import NotFittedError, ResponseModel, load_model
from cellresponse.models.registry import available_models, get_model_class, make_model, register_model

__all__ = [
    "NotFittedError",
    "ResponseModel",
    "available_models",
    "get_model_class",
    "load_model",
    "make_model",
    "register_model",
]
