"""Naive baselines: means over entities. They run beside every model in a benchmark.

Unseen entities fall back along a fixed chain (tissue x drug -> drug -> global), so every
baseline predicts every row; the fallbacks used are counted in ``fallback_counts_``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models._group_means import group_means, lookup
from cellresponse.models._params import POSITIVE_INT, Interval, Real
from cellresponse.models.base import ResponseModel
from cellresponse.models.registry import register_model

SCALAR_TASKS = ("response", "dependency")


class _MeanModel(ResponseModel):
    """Shared state handling: named lookup tables + a global mean."""

    tasks: ClassVar[tuple[str, ...]] = SCALAR_TASKS
    is_naive_baseline: ClassVar[bool] = True

    def _check_scalar(self, data: Dataset) -> None:
        if data.is_vector_target:
            raise ValueError(f"{type(self).__name__} needs a scalar target; {data.name} has a vector target")

    def _store(self, data: Dataset, tables: dict[str, pd.Series]) -> None:
        self._check_scalar(data)
        self.global_mean_ = float(np.mean(data.y))
        self.tables_ = tables
        self.fallback_counts_: dict[str, int] = {}

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "global_mean": self.global_mean_,
            "tables": {k: [str(i) for i in t.index] for k, t in self.tables_.items()},
        }
        arrays = {k: t.to_numpy(np.float64) for k, t in self.tables_.items()}
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.global_mean_ = float(meta["global_mean"])
        self.tables_ = {k: pd.Series(arrays[k], index=pd.Index(ids, dtype=object)) for k, ids in meta["tables"].items()}
        self.fallback_counts_ = {}


@register_model("global_mean")
class GlobalMean(_MeanModel):
    """Predicts the training mean for every observation."""

    def __init__(self) -> None:
        pass

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._store(data, {})

    def _predict(self, data: Dataset) -> np.ndarray:
        return np.full(len(data), self.global_mean_)


@register_model("drug_mean")
class PerturbationMean(_MeanModel):
    """Mean of each drug (perturbation: drug, compound or gene) over training cell lines."""

    def __init__(self) -> None:
        pass

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        means, _ = group_means(data.perturbations, data.y)
        self._store(data, {"perturbation": means})

    def _predict(self, data: Dataset) -> np.ndarray:
        pred, n_missing = lookup(self.tables_["perturbation"], data.perturbations, self.global_mean_)
        self.fallback_counts_ = {"global": n_missing}
        return pred


@register_model("cell_line_mean")
class CellLineMean(_MeanModel):
    """Mean of each cell line over training perturbations."""

    def __init__(self) -> None:
        pass

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        means, _ = group_means(data.cell_lines, data.y)
        self._store(data, {"cell_line": means})

    def _predict(self, data: Dataset) -> np.ndarray:
        pred, n_missing = lookup(self.tables_["cell_line"], data.cell_lines, self.global_mean_)
        self.fallback_counts_ = {"global": n_missing}
        return pred


@register_model("mean_effects")
class MeanEffects(_MeanModel):
    """Additive model y = mu + a[drug] + b[cell line], fitted by alternating means.

    This is the reference of the *normalized* metrics: truth and prediction minus it
    leave only what is specific to the (cell line, drug) pair. Unseen entities get a zero
    effect. ``n_iter`` sweeps of back-fitting converge on the unbalanced GDSC design.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_iter": [POSITIVE_INT],
    }

    def __init__(self, *, n_iter: int = 10) -> None:
        self.n_iter = n_iter

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._check_scalar(data)
        y = data.y.astype(np.float64)
        mu = float(y.mean())
        pc, perts = pd.factorize(data.perturbations)
        cc, cells = pd.factorize(data.cell_lines)
        n_p = np.bincount(pc, minlength=len(perts))
        n_c = np.bincount(cc, minlength=len(cells))
        a = np.zeros(len(perts))
        b = np.zeros(len(cells))
        for _ in range(self.n_iter):
            a = np.bincount(pc, weights=y - mu - b[cc], minlength=len(perts)) / n_p
            b = np.bincount(cc, weights=y - mu - a[pc], minlength=len(cells)) / n_c
        self._store(
            data,
            {
                "perturbation": pd.Series(a, index=pd.Index(perts.astype(str), dtype=object)),
                "cell_line": pd.Series(b, index=pd.Index(cells.astype(str), dtype=object)),
            },
        )
        self.global_mean_ = mu

    def _predict(self, data: Dataset) -> np.ndarray:
        a, miss_p = lookup(self.tables_["perturbation"], data.perturbations, 0.0)
        b, miss_c = lookup(self.tables_["cell_line"], data.cell_lines, 0.0)
        self.fallback_counts_ = {"unseen_perturbation": miss_p, "unseen_cell_line": miss_c}
        return self.global_mean_ + a + b


@register_model("tissue_drug_mean")
class TissueDrugMean(_MeanModel):
    """Mean of each (tissue, drug) pair over training cell lines, shrunk toward the drug mean.

    prediction = (n * mean_td + shrinkage * mean_d) / (n + shrinkage), where n is the
    number of training lines of that tissue measured with that drug. ``shrinkage=0`` is
    the plain cell mean; the default of 2 keeps a one-line tissue from dominating.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "shrinkage": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, *, shrinkage: float = 2.0) -> None:
        self.shrinkage = shrinkage

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        if self.shrinkage < 0:
            raise ValueError(f"shrinkage must be >= 0, got {self.shrinkage}")
        drug_means, _ = group_means(data.perturbations, data.y)
        keys = _pair_key(data.tissues, data.perturbations)
        td_means, td_n = group_means(keys, data.y)
        drug_of = np.array([k.split("\x1f", 1)[1] for k in td_means.index], dtype=object)
        prior = drug_means.reindex(drug_of).to_numpy()
        n = td_n.to_numpy(dtype=np.float64)
        shrunk = (n * td_means.to_numpy() + self.shrinkage * prior) / (n + self.shrinkage)
        self._store(
            data,
            {"perturbation": drug_means, "tissue_perturbation": pd.Series(shrunk, index=td_means.index)},
        )

    def _predict(self, data: Dataset) -> np.ndarray:
        drug_pred, miss_d = lookup(self.tables_["perturbation"], data.perturbations, self.global_mean_)
        keys = _pair_key(data.tissues, data.perturbations)
        td = self.tables_["tissue_perturbation"].reindex(keys).to_numpy(dtype=np.float64)
        missing = np.isnan(td)
        td[missing] = drug_pred[missing]
        self.fallback_counts_ = {"drug_mean": int(missing.sum()), "global": miss_d}
        return td


def _pair_key(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # \x1f (unit separator) cannot occur in IDs read from CSV text, so keys never collide.
    return np.char.add(np.char.add(np.asarray(a, dtype=str), "\x1f"), np.asarray(b, dtype=str)).astype(object)


__all__ = ["CellLineMean", "GlobalMean", "MeanEffects", "PerturbationMean", "TissueDrugMean"]
