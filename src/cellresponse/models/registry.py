"""Name -> model class registry, with the ``cellresponse.models`` entry-point group.

The CLI's choices and the contract tests both read this registry, so adding a model is
one file and one decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cellresponse._registry import Registry

# Torch-backed modules are optional, so the registry works without the [torch] extra.
_REGISTRY: Registry[type] = Registry(
    "model",
    builtin=(
        "cellresponse.models.baselines",
        "cellresponse.models.expression._baselines",
        "cellresponse.models.leap",
        "cellresponse.models.multitask",
        "cellresponse.models.stack",
    ),
    optional=("cellresponse.models.expression._dosetime", "cellresponse.models.mlp", "cellresponse.models.vnn"),
    group="cellresponse.models",
)

T = TypeVar("T", bound=type)


def register_model(name: str) -> Callable[[T], T]:
    """Class decorator registering a model under ``name``; a duplicate name is an error."""

    def deco(cls: T) -> T:
        old = _REGISTRY.existing(name)
        if old is not None and old is not cls:
            raise ValueError(f"model name {name!r} is already registered to {old.__qualname__}")
        _REGISTRY.add(name, cls, same=True)
        cls.registry_name = name  # type: ignore[attr-defined]
        return cls

    return deco


def available_models(*, task: str | None = None) -> list[str]:
    """Registered model names (optionally only those supporting ``task``)."""
    names = _REGISTRY.names()
    if task is None:
        return names
    return [n for n in names if task in getattr(_REGISTRY.get(n), "tasks", ("response",))]


def get_model_class(name: str) -> Any:
    return _REGISTRY.get(name)


def make_model(name: str, **params: Any) -> Any:
    """Instantiate a registered model with hyperparameters.

    Nested keys follow sklearn's convention and are applied with ``set_params`` after
    construction, e.g. ``make_model("mlp_all", trainer__lr=1e-4)``. A class may convert
    plain values (a TOML table given for ``trainer``) in a ``coerce_params`` classmethod.

    Examples
    --------
    >>> make_model("ridge_per_drug").registry_name
    'ridge_per_drug'
    """
    cls = get_model_class(name)
    nested = {key: params.pop(key) for key in list(params) if "__" in key}
    coerce = getattr(cls, "coerce_params", None)  # every ResponseModel has it; entry-point classes may not
    model = cls(**(coerce(params) if coerce is not None else params))
    if nested:
        model.set_params(**nested)
    return model


__all__ = ["available_models", "get_model_class", "make_model", "register_model"]
