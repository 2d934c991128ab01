"""Models behind one contract (:class:`ResponseModel`) and a registry."""

from cellresponse.models._domain import DomainCheck, closest_ids, domain_check, normalize_id
from cellresponse.models._params import check_model_params
from cellresponse.models.base import NotFittedError, ResponseModel, load_model
from cellresponse.models.registry import available_models, get_model_class, make_model, register_model

__all__ = [
    "DomainCheck",
    "NotFittedError",
    "ResponseModel",
    "available_models",
    "check_model_params",
    "closest_ids",
    "domain_check",
    "get_model_class",
    "load_model",
    "make_model",
    "normalize_id",
    "register_model",
]
