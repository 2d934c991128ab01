"""Hyperparameters checked at the boundary, the scikit-learn way.

Every model declares ``_parameter_constraints`` (scikit-learn's convention:
``{name: [constraint, ...]}`` with :class:`~sklearn.utils._param_validation.Interval`,
:class:`~sklearn.utils._param_validation.StrOptions`, ``"boolean"``, ``None``, types).
:func:`check_model_params` checks names, types and ranges of the parameters a user gives
(``--param``, a TOML file, ``make_model``) before any fold runs, and says which model,
which parameter and what it accepts. The tuple-valued parameters of this package
(views, hidden sizes, alpha grids) get :class:`TupleOf`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    _Constraint,
    validate_parameter_constraints,
)

from cellresponse.errors import InputError

__all__ = [
    "CELL_FEATURE_CONSTRAINTS",
    "DRUG_FEATURE_CONSTRAINTS",
    "FOREST_CONSTRAINTS",
    "LIGHTGBM_CONSTRAINTS",
    "N_JOBS",
    "POSITIVE_INT",
    "POSITIVE_INT_OR_NONE",
    "SEED",
    "Integral",
    "Interval",
    "Real",
    "RealNotInt",
    "StrOptions",
    "TupleOf",
    "check_model_params",
    "check_rules",
]


class TupleOf(HasMethods):
    """A non-empty tuple (or list) whose items are ``kind`` (``str``, ``int`` or ``float``),
    optionally from ``options`` or within ``[low, high]``.

    Examples
    --------
    >>> TupleOf(str, options=("a", "b")).is_satisfied_by(("a",))
    True
    >>> TupleOf(int, low=1).is_satisfied_by((0, 2))
    False
    """

    def __init__(
        self,
        kind: type,
        *,
        options: Iterable[str] | None = None,
        low: float | None = None,
        high: float | None = None,
        strict: bool = False,
        allow_empty: bool = False,
    ) -> None:
        # scikit-learn accepts only its own constraint classes; this one derives from
        # HasMethods for that check alone and replaces everything HasMethods does
        _Constraint.__init__(self)
        self.kind = kind
        self.options = tuple(options) if options is not None else None
        self.low, self.high = low, high
        self.strict = strict  # the bounds themselves excluded
        self.allow_empty = allow_empty

    def _item_ok(self, item: Any) -> bool:
        if isinstance(item, bool):
            return False
        if self.kind is str:
            return isinstance(item, str) and (self.options is None or item in self.options)
        if self.kind is int and not isinstance(item, Integral):
            return False
        if self.kind is float and not isinstance(item, Real):
            return False
        value = float(item)
        if value != value:  # NaN
            return False
        if self.low is not None and (value < self.low or (self.strict and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (self.strict and value == self.high))

    def is_satisfied_by(self, val: Any) -> bool:
        if not isinstance(val, tuple | list):
            return False
        if not val and not self.allow_empty:
            return False
        return all(self._item_ok(v) for v in val)

    def __str__(self) -> str:
        what = {str: "strings", int: "integers", float: "numbers"}.get(self.kind, self.kind.__name__)
        cond = ""
        if self.options is not None:
            cond = f" among {list(self.options)}"
        elif self.low is not None or self.high is not None:
            lo, hi = ("(", ")") if self.strict else ("[", "]")
            low = self.low if self.low is not None else "-inf"
            high = self.high if self.high is not None else "inf"
            cond = f" in {lo}{low}, {high}{hi}"
        return f"a {'' if self.allow_empty else 'non-empty '}list of {what}{cond}"


POSITIVE_INT = Interval(Integral, 1, None, closed="left")
POSITIVE_INT_OR_NONE = [POSITIVE_INT, None]
SEED = [Interval(Integral, 0, 2**32 - 1, closed="both"), None]
N_JOBS = [POSITIVE_INT, Options(Integral, {-1})]
#: the cell-line featurizer's parameters (views, top genes, PCs, tissue), shared by the tabular models
CELL_FEATURE_CONSTRAINTS: dict[str, list[Any]] = {
    "cell_views": [TupleOf(str)],
    "n_top_genes": POSITIVE_INT_OR_NONE,
    "cell_components": POSITIVE_INT_OR_NONE,
    "one_hot_tissue": ["boolean"],
}
#: LightGBM's parameters, per drug and global
LIGHTGBM_CONSTRAINTS: dict[str, list[Any]] = {
    "n_estimators": [POSITIVE_INT],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "num_leaves": [Interval(Integral, 2, None, closed="left")],
    "min_child_samples": [POSITIVE_INT],
    "early_stopping_rounds": [Interval(Integral, 0, None, closed="left")],
    "n_jobs": N_JOBS,
    "random_state": SEED,
}
#: the random forest's parameters, per drug and global
FOREST_CONSTRAINTS: dict[str, list[Any]] = {
    "n_estimators": [POSITIVE_INT],
    "min_samples_leaf": [POSITIVE_INT],
    "max_features": [Interval(RealNotInt, 0, 1, closed="right"), POSITIVE_INT, StrOptions({"sqrt", "log2"}), None],
    "n_jobs": N_JOBS,
    "random_state": SEED,
}
#: the drug featurizer's parameters of the global models
DRUG_FEATURE_CONSTRAINTS: dict[str, list[Any]] = {
    "drug_views": [TupleOf(str, allow_empty=True)],
    "drug_components": POSITIVE_INT_OR_NONE,
    "drug_offset": ["boolean"],
}


def check_rules(model: object, checks: Mapping[str, bool], rules: str, *, name: str = "") -> None:
    """Raise ``ValueError`` naming every parameter of ``model`` whose check failed, its value
    and ``rules`` (the conditions in words): the cross-element checks the declared
    constraints cannot express, made at fit time. ``name`` defaults to the class name."""
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        shown = ", ".join(f"{k}={getattr(model, k)!r}" for k in bad)
        raise ValueError(f"invalid {name or type(model).__name__} parameters: {shown} ({rules})")


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_model_params(name: str, params: Mapping[str, Any]) -> Any:
    """Model ``name`` built with ``params``, after checking their names, types and ranges.

    Parameters
    ----------
    name
        A registered model name.
    params
        Hyperparameters as a user gives them (plain TOML/JSON values; nested ones such as
        ``trainer__lr``).

    Returns
    -------
    ResponseModel
        The unfitted model.

    Raises
    ------
    InputError
        For an unknown parameter name (with the closest known one), a value of the wrong
        type or out of range (naming what the parameter accepts), or settings the model's
        constructor refuses.

    Examples
    --------
    >>> check_model_params("ridge_per_drug", {"n_top_genes": 100}).n_top_genes
    100
    >>> check_model_params("ridge_per_drug", {"n_top_genes": -5})
    Traceback (most recent call last):
    ...
    cellresponse.errors.InputError: model 'ridge_per_drug': the 'n_top_genes' parameter must be ...
    """
    from cellresponse.models.registry import get_model_class, make_model

    cls = get_model_class(name)
    known = list(cls().get_params(deep=False))
    for key in params:
        top = key.split("__", 1)[0]
        if top not in known:
            raise InputError(
                f"model {name!r} has no parameter {key!r}{_suggest(top, known)}; its parameters: {sorted(known)}",
                source=f"{name}.{key}",
            )
    top_level = {k: v for k, v in params.items() if "__" not in k}
    coerce = getattr(cls, "coerce_params", None)
    try:
        coerced = coerce(top_level) if coerce is not None else dict(top_level)
    except (TypeError, ValueError) as err:
        raise InputError(f"model {name!r}: {err}", source=name) from None
    constraints = getattr(cls, "_parameter_constraints", None) or {}
    try:
        validate_parameter_constraints(constraints, coerced, caller_name=f"model {name!r}")
    except InvalidParameterError as err:
        raise InputError(_reword(str(err), name), source=name) from None
    try:
        return make_model(name, **dict(params))
    except (TypeError, ValueError) as err:
        raise InputError(f"model {name!r}: {err}", source=name) from None


def _reword(message: str, name: str) -> str:
    # scikit-learn: "The 'x' parameter of model 'm' must be ... Got -5 instead."
    prefix = "The '"
    if message.startswith(prefix) and f" parameter of model {name!r} " in message:
        param = message[len(prefix) :].split("'", 1)[0]
        rest = message.split(f" parameter of model {name!r} ", 1)[1]
        return f"model {name!r}: the {param!r} parameter {rest}"
    return f"model {name!r}: {message}"
