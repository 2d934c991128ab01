"""Global tabular models: one elastic net, random forest or LightGBM over
[cell-line features, drug features].

Features are compact per-entity matrices from :class:`EntityFeaturizer` fitted on the
training fold; the design matrix of a fold is gathered by ID from them, one row per
training pair. Unlike the per-drug models, these can predict drugs unseen in training
(through their fingerprints).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from cellresponse.data import Dataset
from cellresponse.features import EntityFeaturizer
from cellresponse.models._drug_offset import DrugOffset
from cellresponse.models._params import (
    CELL_FEATURE_CONSTRAINTS,
    DRUG_FEATURE_CONSTRAINTS,
    FOREST_CONSTRAINTS,
    LIGHTGBM_CONSTRAINTS,
    POSITIVE_INT,
    Interval,
    Real,
    RealNotInt,
)
from cellresponse.models.base import ResponseModel
from cellresponse.models.baselines._means import SCALAR_TASKS
from cellresponse.models.baselines._tabular import (
    _booster_from_array,
    _booster_to_array,
    _estimator_bytes,
    _estimator_from_bytes,
    _fit_lgbm,
    _random_forest,
)
from cellresponse.models.registry import register_model


class _GlobalTabular(ResponseModel):
    """One estimator over [cell features, drug features] gathered per training pair."""

    tasks: ClassVar[tuple[str, ...]] = SCALAR_TASKS
    perturbation_views: ClassVar[tuple[str, ...]] = ("morgan",)

    def required_views(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self.cell_views), (tuple(self.drug_views) if self.drug_views else ())

    def _offset(self, data: Dataset) -> np.ndarray:
        """Each drug's training mean when ``drug_offset`` (see :mod:`cellresponse.models._drug_offset`), else 0."""
        if not self.drug_offset:
            return np.zeros(len(data))
        return self.offset_(data.perturbations)

    def _featurizers(self, data: Dataset) -> None:
        self.offset_ = DrugOffset.fit(data)
        self.cell_featurizer_ = EntityFeaturizer(
            tuple(self.cell_views), "cell_line", self.n_top_genes, self.cell_components, self.one_hot_tissue
        ).fit(data)
        self.drug_featurizer_ = (
            EntityFeaturizer(tuple(self.drug_views), "perturbation", None, self.drug_components).fit(data)
            if self.drug_views
            else None
        )

    def _design(self, data: Dataset) -> np.ndarray:
        """Gather [cell, drug] feature rows for each observation (unique entities transformed once)."""
        cells, cell_idx = np.unique(data.cell_lines, return_inverse=True)
        parts = [self.cell_featurizer_.transform(data, cells)[cell_idx]]
        if self.drug_featurizer_ is not None:
            drugs, drug_idx = np.unique(data.perturbations, return_inverse=True)
            parts.append(self.drug_featurizer_.transform(data, drugs)[drug_idx])
        return np.hstack(parts)

    def _featurizer_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta_c, arr = self.cell_featurizer_.get_state("cell")
        meta_o, arr_o = self.offset_.state()
        meta: dict[str, Any] = {"cell": meta_c, "drug": None, **meta_o}
        arr |= arr_o
        if self.drug_featurizer_ is not None:
            meta_d, arr_d = self.drug_featurizer_.get_state("drug")
            meta["drug"] = meta_d
            arr |= arr_d
        return meta, arr

    def _restore_featurizers(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.offset_ = DrugOffset.from_state(meta, arrays)
        self.cell_featurizer_ = EntityFeaturizer.from_state(meta["cell"], arrays, "cell")
        self.drug_featurizer_ = (
            EntityFeaturizer.from_state(meta["drug"], arrays, "drug") if meta["drug"] is not None else None
        )


@register_model("elastic_net")
class ElasticNetGlobal(_GlobalTabular):
    """Elastic net over [cell-line PCs, drug fingerprint PCs]: additive, no interactions."""

    #: what ``--tune`` searches (see :mod:`cellresponse.evaluate`)
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "alpha": {"float": [1e-4, 1.0], "log": True},
        "l1_ratio": {"float": [0.05, 1.0]},
    }

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CELL_FEATURE_CONSTRAINTS,
        **DRUG_FEATURE_CONSTRAINTS,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        *,
        cell_views: tuple[str, ...] = ("expression", "mutation", "cnv"),
        drug_views: tuple[str, ...] = ("morgan",),
        n_top_genes: int | None = 2000,
        cell_components: int | None = 100,
        drug_components: int | None = 32,
        one_hot_tissue: bool = True,
        drug_offset: bool = True,
        alpha: float = 0.01,
        l1_ratio: float = 0.5,
    ) -> None:
        self.cell_views = cell_views
        self.drug_views = drug_views
        self.n_top_genes = n_top_genes
        self.cell_components = cell_components
        self.drug_components = drug_components
        self.one_hot_tissue = one_hot_tissue
        self.drug_offset = drug_offset
        self.alpha = alpha
        self.l1_ratio = l1_ratio

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        from sklearn.linear_model import ElasticNet

        self._featurizers(data)
        est = ElasticNet(alpha=self.alpha, l1_ratio=self.l1_ratio, max_iter=5000, tol=1e-4)
        est.fit(self._design(data), data.y - self._offset(data))
        self.coef_ = est.coef_.astype(np.float64)
        self.intercept_ = float(est.intercept_)

    def _predict(self, data: Dataset) -> np.ndarray:
        return self._design(data) @ self.coef_ + self.intercept_ + self._offset(data)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self._featurizer_state()
        meta["intercept"] = self.intercept_
        arrays["coef"] = self.coef_
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self._restore_featurizers(meta, arrays)
        self.coef_ = arrays["coef"]
        self.intercept_ = float(meta["intercept"])


@register_model("lightgbm")
class LightGBMGlobal(_GlobalTabular):
    """Gradient-boosted trees over [cell-line PCs + tissue, drug fingerprint PCs].

    Trees can model drug x cell-line interactions that the linear global model cannot.
    Early stopping uses the inner validation part when the benchmark passes one. One
    thread by default: on a shared 2-core machine, OpenMP threads waiting on a busy
    core made a fit 10x slower; raise ``n_jobs`` on a dedicated machine.
    """

    #: what ``--tune`` searches (the number of trees by early stopping, as without tuning)
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "learning_rate": {"float": [0.02, 0.3], "log": True},
        "num_leaves": {"int": [8, 128], "log": True},
        "min_child_samples": {"int": [10, 200], "log": True},
        "cell_components": {"choices": [16, 32, 64, 128]},
    }

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CELL_FEATURE_CONSTRAINTS,
        **DRUG_FEATURE_CONSTRAINTS,
        **LIGHTGBM_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        cell_views: tuple[str, ...] = ("expression", "mutation", "cnv"),
        drug_views: tuple[str, ...] = ("morgan",),
        n_top_genes: int | None = 2000,
        cell_components: int | None = 64,
        drug_components: int | None = 32,
        one_hot_tissue: bool = True,
        drug_offset: bool = True,
        n_estimators: int = 2000,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        min_child_samples: int = 50,
        early_stopping_rounds: int = 30,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.cell_views = cell_views
        self.drug_views = drug_views
        self.n_top_genes = n_top_genes
        self.cell_components = cell_components
        self.drug_components = drug_components
        self.one_hot_tissue = one_hot_tissue
        self.drug_offset = drug_offset
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._featurizers(data)
        xv = self._design(valid) if valid is not None and len(valid) else None
        yv = valid.y - self._offset(valid) if valid is not None else None
        self.booster_ = _fit_lgbm(self, self._design(data), data.y - self._offset(data), xv, yv)

    def _predict(self, data: Dataset) -> np.ndarray:
        return self.booster_.predict(self._design(data)) + self._offset(data)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self._featurizer_state()
        arrays["booster"] = _booster_to_array(self.booster_)
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self._restore_featurizers(meta, arrays)
        self.booster_ = _booster_from_array(arrays["booster"])


@register_model("random_forest")
class RandomForestGlobal(_GlobalTabular):
    """Random forest over [cell-line PCs + tissue, drug fingerprint PCs]."""

    #: what ``--tune`` searches
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "min_samples_leaf": {"int": [1, 50], "log": True},
        "max_features": {"choices": ["sqrt", 0.1, 0.3, 1.0]},
    }

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CELL_FEATURE_CONSTRAINTS,
        **DRUG_FEATURE_CONSTRAINTS,
        **FOREST_CONSTRAINTS,
        "max_samples": [Interval(RealNotInt, 0, 1, closed="right"), POSITIVE_INT, None],
    }

    def __init__(
        self,
        *,
        cell_views: tuple[str, ...] = ("expression", "mutation", "cnv"),
        drug_views: tuple[str, ...] = ("morgan",),
        n_top_genes: int | None = 2000,
        cell_components: int | None = 64,
        drug_components: int | None = 32,
        one_hot_tissue: bool = True,
        drug_offset: bool = True,
        n_estimators: int = 100,
        min_samples_leaf: int = 5,
        max_features: float = 0.33,
        max_samples: float | None = 0.5,
        n_jobs: int = 2,
        random_state: int = 0,
    ) -> None:
        self.cell_views = cell_views
        self.drug_views = drug_views
        self.n_top_genes = n_top_genes
        self.cell_components = cell_components
        self.drug_components = drug_components
        self.one_hot_tissue = one_hot_tissue
        self.drug_offset = drug_offset
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.max_samples = max_samples
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._featurizers(data)
        self.forest_ = _random_forest(self).fit(self._design(data), data.y - self._offset(data))

    def _predict(self, data: Dataset) -> np.ndarray:
        return self.forest_.predict(self._design(data)) + self._offset(data)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self._featurizer_state()
        arrays["forest"] = _estimator_bytes(self.forest_)
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self._restore_featurizers(meta, arrays)
        self.forest_ = _estimator_from_bytes(arrays["forest"])


__all__ = ["ElasticNetGlobal", "LightGBMGlobal", "RandomForestGlobal"]
