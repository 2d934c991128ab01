"""Per-drug tabular models: one ridge, elastic net, random forest or LightGBM per drug
(perturbation) over cell-line features.

Features are compact per-entity matrices from :class:`EntityFeaturizer` fitted on the
training fold. Drugs unseen in training get the training mean (counted in
``fallback_counts_``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.features import EntityFeaturizer
from cellresponse.models._params import (
    CELL_FEATURE_CONSTRAINTS,
    FOREST_CONSTRAINTS,
    LIGHTGBM_CONSTRAINTS,
    Interval,
    Real,
    TupleOf,
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
    _ridge_loo,
)
from cellresponse.models.registry import register_model


class _PerDrug(ResponseModel):
    """One model per drug on cell-line features; unseen drugs get the training mean."""

    tasks: ClassVar[tuple[str, ...]] = SCALAR_TASKS
    min_rows: ClassVar[int] = 10

    def required_views(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self.cell_views), ()

    def _prepare(self, data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.featurizer_ = EntityFeaturizer(
            tuple(self.cell_views), "cell_line", self.n_top_genes, self.cell_components, self.one_hot_tissue
        ).fit(data)
        self.global_mean_ = float(np.mean(data.y))
        cells, cell_idx = np.unique(data.cell_lines, return_inverse=True)
        x_cells = self.featurizer_.transform(data, cells)
        return x_cells, cell_idx, data.perturbations

    def _groups(self, perts: np.ndarray) -> list[tuple[str, np.ndarray]]:
        codes, uniq = pd.factorize(perts)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        return [(str(uniq[codes[c[0]]]), c) for c in np.split(order, bounds) if c.size]

    def _predict(self, data: Dataset) -> np.ndarray:
        cells, cell_idx = np.unique(data.cell_lines, return_inverse=True)
        x_cells = self.featurizer_.transform(data, cells)
        out = np.full(len(data), self.global_mean_)
        n_fallback = 0
        for drug, rows in self._groups(data.perturbations):
            if drug not in self.drug_index_:
                n_fallback += rows.size
                continue
            out[rows] = self._predict_drug(self.drug_index_[drug], x_cells[cell_idx[rows]])
        self.fallback_counts_ = {"unseen_perturbation": n_fallback}
        return out

    def _predict_drug(self, k: int, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class _PerDrugLinear(_PerDrug):
    """Linear per-drug heads stored as one (drugs x features) coefficient matrix."""

    def _predict_drug(self, k: int, x: np.ndarray) -> np.ndarray:
        return x @ self.coef_[k] + self.intercept_[k]

    def _finish(self, drugs: list[str], coefs: list[np.ndarray], intercepts: list[float]) -> None:
        self.drugs_ = np.asarray(drugs, dtype=object)
        self.drug_index_ = {d: i for i, d in enumerate(drugs)}
        self.coef_ = np.vstack(coefs) if coefs else np.zeros((0, self.featurizer_.n_output))
        self.intercept_ = np.asarray(intercepts, dtype=np.float64)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta_f, arrays = self.featurizer_.get_state("cell")
        meta = {"featurizer": meta_f, "drugs": self.drugs_.tolist(), "global_mean": self.global_mean_}
        arrays |= {"coef": self.coef_, "intercept": self.intercept_}
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.featurizer_ = EntityFeaturizer.from_state(meta["featurizer"], arrays, "cell")
        self.global_mean_ = float(meta["global_mean"])
        self.drugs_ = np.asarray(meta["drugs"], dtype=object)
        self.drug_index_ = {d: i for i, d in enumerate(meta["drugs"])}
        self.coef_ = arrays["coef"]
        self.intercept_ = arrays["intercept"]


@register_model("ridge_per_drug")
class RidgePerDrug(_PerDrugLinear):
    """Ridge regression per drug on the most variable genes (+ tissue), alpha by exact
    leave-one-out error per drug.

    All drugs share the cell lines' Gram matrix K = X X^T, computed once per fit; each
    drug then needs only the eigendecomposition of its (lines x lines) sub-block, from
    which every alpha's leave-one-out residuals follow in closed form (residual_i =
    c_i / [(K + alpha I)^-1]_ii on centred data). No inner validation rows are spent on
    tuning, and the cost no longer grows with the number of genes per drug.
    """

    #: what ``--tune`` searches (alpha is chosen per drug by leave-one-out either way)
    search_space: ClassVar[dict[str, dict[str, Any]]] = {"n_top_genes": {"choices": [250, 500, 1000, 2000, 4000]}}

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CELL_FEATURE_CONSTRAINTS,
        "alphas": [TupleOf(float, low=0, strict=True)],
    }

    def __init__(
        self,
        *,
        cell_views: tuple[str, ...] = ("expression",),
        n_top_genes: int | None = 2000,
        cell_components: int | None = None,
        one_hot_tissue: bool = True,
        alphas: tuple[float, ...] = (100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0),
    ) -> None:
        self.cell_views = cell_views
        self.n_top_genes = n_top_genes
        self.cell_components = cell_components
        self.one_hot_tissue = one_hot_tissue
        self.alphas = alphas

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        x_cells, cell_idx, perts = self._prepare(data)
        x = x_cells.astype(np.float64)
        gram = x @ x.T
        alphas = np.asarray(self.alphas, dtype=np.float64)
        if (alphas <= 0).any():
            raise ValueError(f"alphas must be positive, got {self.alphas}")
        drugs, coefs, intercepts, chosen = [], [], [], []
        for drug, rows in self._groups(perts):
            if rows.size < self.min_rows:
                continue
            idx = cell_idx[rows]
            w, b, alpha = _ridge_loo(gram[np.ix_(idx, idx)], x[idx], data.y[rows].astype(np.float64), alphas)
            drugs.append(drug)
            coefs.append(w)
            intercepts.append(b)
            chosen.append(alpha)
        self._finish(drugs, coefs, intercepts)
        self.alpha_per_drug_ = np.asarray(chosen)


@register_model("elastic_net_per_drug")
class ElasticNetPerDrug(_PerDrugLinear):
    """Elastic net per drug on cell-line PCs (+ tissue); one alpha chosen on the inner
    validation part (pooled over drugs), along warm-started regularization paths."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CELL_FEATURE_CONSTRAINTS,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "alphas": [TupleOf(float, low=0, strict=True)],
    }

    def __init__(
        self,
        *,
        cell_views: tuple[str, ...] = ("expression", "mutation", "cnv"),
        n_top_genes: int | None = 2000,
        cell_components: int | None = 100,
        one_hot_tissue: bool = True,
        l1_ratio: float = 0.5,
        alphas: tuple[float, ...] = (1.0, 0.3, 0.1, 0.03, 0.01),
    ) -> None:
        self.cell_views = cell_views
        self.n_top_genes = n_top_genes
        self.cell_components = cell_components
        self.one_hot_tissue = one_hot_tissue
        self.l1_ratio = l1_ratio
        self.alphas = alphas

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        from sklearn.linear_model import enet_path

        x_cells, cell_idx, perts = self._prepare(data)
        alphas = np.sort(np.asarray(self.alphas, dtype=np.float64))[::-1]
        vgroups: dict[str, np.ndarray] = {}
        yv = np.empty(0)
        if valid is not None and len(valid):
            vcells, vidx = np.unique(valid.cell_lines, return_inverse=True)
            xv_cells = self.featurizer_.transform(valid, vcells)
            vgroups = dict(self._groups(valid.perturbations))
            yv = valid.y
        paths: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        val_sse = np.zeros(len(alphas))
        for drug, rows in self._groups(perts):
            if rows.size < self.min_rows:
                continue
            x = x_cells[cell_idx[rows]].astype(np.float64)
            y = data.y[rows].astype(np.float64)
            xm, ym = x.mean(axis=0), y.mean()
            _, coefs, _ = enet_path(x - xm, y - ym, l1_ratio=self.l1_ratio, alphas=alphas, max_iter=2000)
            intercepts = ym - xm @ coefs
            paths[drug] = (coefs, intercepts)
            if drug in vgroups:
                vr = vgroups[drug]
                pred = xv_cells[vidx[vr]] @ coefs + intercepts
                val_sse += ((pred - yv[vr][:, None]) ** 2).sum(axis=0)
        best = int(np.argmin(val_sse)) if vgroups else len(alphas) // 2
        self.alpha_ = float(alphas[best])
        drugs = list(paths)
        self._finish(drugs, [paths[d][0][:, best] for d in drugs], [float(paths[d][1][best]) for d in drugs])


class _PerDrugEstimators(_PerDrug):
    """Per-drug heads that are opaque estimators, each serialized to a byte array."""

    def _fit_one(self, x: np.ndarray, y: np.ndarray) -> Any:
        raise NotImplementedError

    def _to_bytes(self, est: Any) -> np.ndarray:
        raise NotImplementedError

    def _from_bytes(self, buf: np.ndarray) -> Any:
        raise NotImplementedError

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        x_cells, cell_idx, perts = self._prepare(data)
        self.estimators_: list[Any] = []
        drugs = []
        for drug, rows in self._groups(perts):
            if rows.size < self.min_rows:
                continue
            drugs.append(drug)
            self.estimators_.append(self._fit_one(x_cells[cell_idx[rows]], data.y[rows]))
        self.drugs_ = np.asarray(drugs, dtype=object)
        self.drug_index_ = {d: i for i, d in enumerate(drugs)}

    def _predict_drug(self, k: int, x: np.ndarray) -> np.ndarray:
        return self.estimators_[k].predict(x)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta_f, arrays = self.featurizer_.get_state("cell")
        meta = {"featurizer": meta_f, "drugs": self.drugs_.tolist(), "global_mean": self.global_mean_}
        arrays |= {f"estimator.{i}": self._to_bytes(e) for i, e in enumerate(self.estimators_)}
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.featurizer_ = EntityFeaturizer.from_state(meta["featurizer"], arrays, "cell")
        self.global_mean_ = float(meta["global_mean"])
        self.drugs_ = np.asarray(meta["drugs"], dtype=object)
        self.drug_index_ = {d: i for i, d in enumerate(meta["drugs"])}
        self.estimators_ = [self._from_bytes(arrays[f"estimator.{i}"]) for i in range(len(self.drugs_))]


@register_model("lightgbm_per_drug")
class LightGBMPerDrug(_PerDrugEstimators):
    """LightGBM per drug on cell-line PCs (+ tissue); a few hundred shallow trees each."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CELL_FEATURE_CONSTRAINTS,
        **LIGHTGBM_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        cell_views: tuple[str, ...] = ("expression", "mutation", "cnv"),
        n_top_genes: int | None = 2000,
        cell_components: int | None = 64,
        one_hot_tissue: bool = True,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 7,
        min_child_samples: int = 10,
        early_stopping_rounds: int = 0,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.cell_views = cell_views
        self.n_top_genes = n_top_genes
        self.cell_components = cell_components
        self.one_hot_tissue = one_hot_tissue
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit_one(self, x: np.ndarray, y: np.ndarray) -> Any:
        return _fit_lgbm(self, x, y, None, None)

    def _to_bytes(self, est: Any) -> np.ndarray:
        return _booster_to_array(est)

    def _from_bytes(self, buf: np.ndarray) -> Any:
        return _booster_from_array(buf)


@register_model("random_forest_per_drug")
class RandomForestPerDrug(_PerDrugEstimators):
    """Random forest per drug on cell-line PCs (+ tissue)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CELL_FEATURE_CONSTRAINTS,
        **FOREST_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        cell_views: tuple[str, ...] = ("expression", "mutation", "cnv"),
        n_top_genes: int | None = 2000,
        cell_components: int | None = 64,
        one_hot_tissue: bool = True,
        n_estimators: int = 100,
        min_samples_leaf: int = 5,
        max_features: float = 0.33,
        n_jobs: int = 2,
        random_state: int = 0,
    ) -> None:
        self.cell_views = cell_views
        self.n_top_genes = n_top_genes
        self.cell_components = cell_components
        self.one_hot_tissue = one_hot_tissue
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit_one(self, x: np.ndarray, y: np.ndarray) -> Any:
        return _random_forest(self).fit(x, y)

    def _to_bytes(self, est: Any) -> np.ndarray:
        return _estimator_bytes(est)

    def _from_bytes(self, buf: np.ndarray) -> Any:
        return _estimator_from_bytes(buf)


__all__ = [
    "ElasticNetPerDrug",
    "LightGBMPerDrug",
    "RandomForestPerDrug",
    "RidgePerDrug",
]
