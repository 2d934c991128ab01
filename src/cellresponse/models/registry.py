"""Name -> model class registry, with the ``cellresponse.models`` entry-point group.

The CLI's choices and the contract tests both read this registry, so adding a model is
one file and one decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, TypeVar

_REGISTRY: dict[str, type] = {}
_LOADED = False
# Modules whose import registers the built-in models. Torch-backed modules are imported
# only if torch is installed, so the registry works without the [torch] extra.
_BUILTIN_MODULES = (
    "cellresponse.models.baselines",
    "cellresponse.models.expression._baselines",
    "cellresponse.models.leap",
)
_OPTIONAL_MODULES: tuple[str, ...] = (
    "cellresponse.models.expression._dosetime",
    "cellresponse.models.mlp",
    "cellresponse.models.vnn",
)

T = TypeVar("T", bound=type)


def register_model(name: str) -> Callable[[T], T]:
    """Class decorator registering a model under ``name``; a duplicate name is an error."""

    def deco(cls: T) -> T:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"model name {name!r} is already registered to {_REGISTRY[name].__qualname__}")
        _REGISTRY[name] = cls
        cls.registry_name = name  # type: ignore[attr-defined]
        return cls

    return deco


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for module in _BUILTIN_MODULES:
        import_module(module)
    for module in _OPTIONAL_MODULES:
        try:
            import_module(module)
        except ImportError as err:  # pragma: no cover - depends on installed extras
            if "torch" not in str(err):
                raise
    for ep in entry_points(group="cellresponse.models"):
        ep.load()


def available_models(*, task: str | None = None) -> list[str]:
    """Registered model names (optionally only those supporting ``task``)."""
    _load_all()
    names = sorted(_REGISTRY)
    if task is None:
        return names
    return [n for n in names if task in getattr(_REGISTRY[n], "tasks", ("response",))]


def get_model_class(name: str) -> Any:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(sorted(_REGISTRY))}") from None


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
