"""``stack``: registered models combined per drug, with weights learned on inner validation.

How a fold is fitted (``train`` and ``valid`` are the parts the engine passes to ``fit``;
nothing else is read):

1. Member predictions for ``valid`` that no member has learned from: each member is
   fitted on ``train`` minus a carved part ``V0`` (10 % of ``train``'s groups, held out
   the way ``valid`` is held out from ``train``: cell lines, drugs or pairs), with ``V0``
   as its own validation part for early stopping or tuning, and predicts ``valid``.
2. Combination weights (:class:`~cellresponse.models._combine.GroupWeights`): around the
   drug's training mean ``m``, ``m + sum_k w_dk (p_k - m)`` with ``w_dk >= 0``; per drug
   where the drug has at least ``min_rows`` validation rows, shrunk toward one global
   combination by a strength chosen by cross-validation over ``valid``'s cell lines.
3. Each member is fitted again as the engine would fit it alone (``fit(train,
   valid=valid)``; members that refit on training + validation, such as
   ``multitask_ridge``, do so) and the final prediction combines these fits with the
   weights of step 2.

So every member is fitted twice per fold. ``benchmark_extras`` gives the runner each
member's test predictions (``stack/<member>``), the predictions of the member that
scored best on inner validation (``stack/valid_best``: the member to beat, chosen
without the test part) and the combiner weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models._combine import DEFAULT_TAUS, GroupWeights
from cellresponse.models._group_means import group_means, lookup
from cellresponse.models._params import Integral, Interval, Real, TupleOf
from cellresponse.models.base import ResponseModel
from cellresponse.models.multitask import per_group_pearson, union
from cellresponse.models.registry import available_models, get_model_class, make_model, register_model

#: The member best on inner validation, as a scored column ``stack/valid_best``.
VALID_BEST = "valid_best"


def carve_like(train: Dataset, valid: Dataset | None, *, fraction: float, random_state: int) -> np.ndarray:
    """Boolean mask over ``train``'s rows of a part held out the way ``valid`` is held out.

    Whole cell lines when ``valid`` shares none with ``train`` (also without ``valid``),
    whole perturbations when it shares none of those, single rows otherwise.
    """
    rng = np.random.default_rng(random_state)
    if valid is None or not np.isin(valid.cell_lines, train.cell_lines).any():
        keys = train.cell_lines
    elif not np.isin(valid.perturbations, train.perturbations).any():
        keys = train.perturbations
    else:
        keys = np.arange(len(train)).astype(str)
    groups = np.unique(keys)
    if len(groups) < 2:
        raise ValueError(f"cannot carve a validation part from {len(groups)} group(s)")
    n_out = min(len(groups) - 1, max(1, round(fraction * len(groups))))
    return np.isin(keys, rng.choice(groups, size=n_out, replace=False))


@register_model("stack")
class Stack(ResponseModel):
    """Members combined per drug (see the module notes).

    Parameters
    ----------
    members
        Registered model names (at least one; each once; no ``stack``).
    member_params
        Hyperparameters per member name (nested ones as ``trainer__lr``); a member's
        ``random_state`` defaults to the stack's.
    taus
        Shrinkage strengths of the per-drug weights toward the global ones, chosen by
        cross-validation over validation cell lines (``inf``: global weights only).
    min_rows
        Drugs with fewer validation rows use the global weights.
    carve_fraction
        Share of the training groups held out in step 1.
    random_state
        Seeds the carved part, the cross-validation parts and the members.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        # registered, each once, not ``stack`` itself: checked in ``_check_params``
        "members": [TupleOf(str)],
        "member_params": [Mapping, None],
        "taus": [TupleOf(float, low=0, strict=True)],
        "min_rows": [Interval(Integral, 2, None, closed="left")],
        "carve_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both")],
    }

    tasks: ClassVar[tuple[str, ...]] = ("response", "dependency")
    format_version: ClassVar[int] = 1

    def __init__(
        self,
        *,
        members: tuple[str, ...] = ("multitask_ridge", "ridge_per_drug", "tissue_drug_mean", "mean_effects"),
        member_params: Mapping[str, Mapping[str, Any]] | None = None,
        taus: tuple[float, ...] = DEFAULT_TAUS,
        min_rows: int = 8,
        carve_fraction: float = 0.1,
        random_state: int = 0,
    ) -> None:
        self.members = members
        self.member_params = member_params
        self.taus = taus
        self.min_rows = min_rows
        self.carve_fraction = carve_fraction
        self.random_state = random_state

    def required_views(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        cell: dict[str, None] = {}
        pert: dict[str, None] = {}
        for name in self.members:
            c, p = self._member(name).required_views()
            cell |= dict.fromkeys(c)
            pert |= dict.fromkeys(p)
        return tuple(cell), tuple(pert)

    # --------------------------------------------------------------- members
    def _check_params(self) -> None:
        if not self.members or len(set(self.members)) != len(self.members):
            raise ValueError(f"members must name at least one model, each once; got {self.members!r}")
        if type(self).registry_name in self.members:
            raise ValueError(f"a {type(self).registry_name} cannot be its own member")
        for name in self.members:
            get_model_class(name)  # a KeyError lists the registered names
        unknown = sorted(set(self.member_params or {}) - set(self.members))
        if unknown:
            raise ValueError(f"member_params names models that are not members: {unknown}; members: {self.members}")
        if not 0 < self.carve_fraction < 1:
            raise ValueError(f"carve_fraction must be in (0, 1), got {self.carve_fraction}")
        if self.min_rows < 2:
            raise ValueError(f"min_rows must be >= 2, got {self.min_rows}")
        if not self.taus or any(not t > 0 for t in self.taus):
            raise ValueError(f"taus must be positive (inf allowed), got {self.taus}")

    @classmethod
    def coerce_params(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """As :meth:`ResponseModel.coerce_params`, and each member's parameters in the
        types that member takes (JSON writes its tuples as lists)."""
        out = super().coerce_params(params)
        known = available_models()
        named = [*(out.get("members") or ()), *(out.get("member_params") or {})]
        unknown = [m for m in named if isinstance(m, str) and m not in known]
        if unknown:
            raise ValueError(f"stack members must be registered models; unknown: {unknown}; registered: {known}")
        nested = out.get("member_params")
        if isinstance(nested, Mapping):
            out["member_params"] = {
                name: get_model_class(name).coerce_params(dict(values)) if isinstance(values, Mapping) else values
                for name, values in nested.items()
            }
        return out

    def _member(self, name: str) -> ResponseModel:
        params = dict((self.member_params or {}).get(name, {}))
        if "random_state" in get_model_class(name)().get_params(deep=False):
            params.setdefault("random_state", self.random_state)
        return make_model(name, **params)

    def _fit_members(self, train: Dataset, valid: Dataset | None) -> list[ResponseModel]:
        return [self._member(name).fit(train, valid=valid) for name in self.members]

    # ------------------------------------------------------------------ fit
    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._check_params()
        if data.is_vector_target:
            raise ValueError(f"{type(self).__name__} needs a scalar target; {data.name} has a vector target")
        if valid is None or len(valid) == 0:
            held = carve_like(data, None, fraction=self.carve_fraction, random_state=self.random_state)
            data, valid = data.subset(~held), data.subset(held)
        held = carve_like(data, valid, fraction=self.carve_fraction, random_state=self.random_state + 1)
        inner, carved = data.subset(~held), data.subset(held)
        first = self._fit_members(inner, carved)
        preds = np.column_stack([np.asarray(m.predict(valid), dtype=np.float64) for m in first])
        means, _ = group_means(inner.perturbations, inner.y.astype(np.float64))
        base = lookup(means, valid.perturbations, float(np.mean(inner.y)))[0]
        self.valid_scores_ = {
            name: per_group_pearson(valid.y, preds[:, k], valid.perturbations) for k, name in enumerate(self.members)
        }
        self.combiner_ = GroupWeights(taus=self.taus, min_rows=self.min_rows, random_state=self.random_state).fit(
            preds - base[:, None], valid.y - base, groups=valid.perturbations, cv_groups=valid.cell_lines
        )
        combined = self.combiner_.combine(base, preds, valid.perturbations)
        self.valid_scores_["ensemble"] = per_group_pearson(valid.y, combined, valid.perturbations)
        scored = {k: v for k, v in self.valid_scores_.items() if k != "ensemble" and np.isfinite(v)}
        self.valid_best_ = max(scored, key=lambda k: scored[k]) if scored else self.members[0]
        # step 3: the members as the engine fits them alone
        self.members_ = self._fit_members(data, valid)
        full = union(data, valid)
        self.drug_means_, _ = group_means(full.perturbations, full.y.astype(np.float64))
        self.global_mean_ = float(np.mean(full.y))

    # -------------------------------------------------------------- predict
    def _member_predictions(self, data: Dataset) -> np.ndarray:
        return np.column_stack([np.asarray(m.predict(data), dtype=np.float64) for m in self.members_])

    def _predict(self, data: Dataset) -> np.ndarray:
        preds = self._member_predictions(data)
        base, n_unseen = lookup(self.drug_means_, data.perturbations, self.global_mean_)
        self.fallback_counts_ = {"unseen_perturbation": n_unseen}
        return self.combiner_.combine(base, preds, data.perturbations)

    def benchmark_extras(self, data: Dataset) -> dict[str, pd.DataFrame]:
        """Member predictions on ``data`` (one column per member and ``valid_best``) and the
        combiner table (member, global weight, mean per-drug weight, inner-validation r)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "n_train_")
        preds = self._member_predictions(data)
        members = pd.DataFrame({name: preds[:, k] for k, name in enumerate(self.members)})
        members[VALID_BEST] = members[self.valid_best_]
        mean_w = self.combiner_.weights_.mean(0) if len(self.combiner_.weights_) else self.combiner_.global_
        rows = [
            {"member": name, "representation": "stack", "predictor": name, "weight": float(self.combiner_.global_[k]),
             "mean_drug_weight": float(mean_w[k]), "valid_pearson": self.valid_scores_[name],
             "valid_best": name == self.valid_best_, "tau": self.combiner_.tau_}
            for k, name in enumerate(self.members)
        ]  # fmt: skip
        rows.append({"member": "ensemble", "weight": float("nan"), "valid_pearson": self.valid_scores_["ensemble"]})
        return {"member_predictions": members, "combiner": pd.DataFrame(rows)}

    # ---------------------------------------------------------------- saving
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta: dict[str, Any] = {"members": [], "valid_scores": self.valid_scores_, "valid_best": self.valid_best_}
        arrays: dict[str, np.ndarray] = {}
        for k, model in enumerate(self.members_):
            m_meta, m_arrays = model._get_state()
            meta["members"].append({"name": self.members[k], "n_train": int(model.n_train_), "state": m_meta,
                                    "params": _member_params(model)})  # fmt: skip
            arrays |= {f"member{k}.{key}": value for key, value in m_arrays.items()}
        c_meta, c_arrays = self.combiner_.get_state("combiner")
        meta["combiner"] = c_meta
        meta["drug_means"] = [str(i) for i in self.drug_means_.index]
        meta["global_mean"] = self.global_mean_
        arrays |= c_arrays
        arrays["drug_mean_values"] = self.drug_means_.to_numpy(np.float64)
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        members = []
        for k, doc in enumerate(meta["members"]):
            cls = get_model_class(doc["name"])
            model = cls(**cls.coerce_params(doc["params"]))
            prefix = f"member{k}."
            model._set_state(
                doc["state"], {key[len(prefix) :]: v for key, v in arrays.items() if key.startswith(prefix)}
            )
            model.n_train_ = int(doc["n_train"])
            members.append(model)
        self.members_ = members
        self.valid_scores_ = {k: float(v) for k, v in meta["valid_scores"].items()}
        self.valid_best_ = str(meta["valid_best"])
        self.combiner_ = GroupWeights.from_state(meta["combiner"], arrays, "combiner")
        index = pd.Index(meta["drug_means"], dtype=object)
        self.drug_means_ = pd.Series(np.asarray(arrays["drug_mean_values"], dtype=np.float64), index=index)
        self.global_mean_ = float(meta["global_mean"])


def _member_params(model: ResponseModel) -> dict[str, Any]:
    from cellresponse._util import jsonable

    return dict(jsonable(model.get_params(deep=False), strict=True))


__all__ = ["VALID_BEST", "Stack", "carve_like"]
