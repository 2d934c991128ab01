"""Elastic net, random forest and LightGBM: global models and per-drug models.

Global models learn one function of [cell-line features, drug features]; per-drug models
learn one function of cell-line features for each drug (perturbation). Features are
compact per-entity matrices from :class:`EntityFeaturizer` fitted on the training fold;
the design matrix of a fold is gathered by ID from them, one row per training pair.

Persistence never pickles: linear models store coefficients, LightGBM its own text
model format, random forests the skops format (a typed, non-executable archive).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.features import EntityFeaturizer
from cellresponse.models._drug_offset import DrugOffset
from cellresponse.models.base import ResponseModel
from cellresponse.models.registry import register_model

SCALAR_TASKS = ("response", "dependency")
_SKOPS_TRUSTED = [
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._tree.Tree",
]


# ----------------------------------------------------------------- estimators
def _estimator_bytes(est: Any) -> np.ndarray:
    import skops.io as sio

    return np.frombuffer(sio.dumps(est), dtype=np.uint8).copy()


def _estimator_from_bytes(buf: np.ndarray) -> Any:
    import skops.io as sio

    return sio.loads(buf.tobytes(), trusted=_SKOPS_TRUSTED)


def _lgbm_params(model: Any) -> dict[str, Any]:
    return {
        "objective": "regression",
        "learning_rate": model.learning_rate,
        "num_leaves": model.num_leaves,
        "min_data_in_leaf": model.min_child_samples,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "feature_fraction": 0.8,
        "lambda_l2": 1.0,
        "max_bin": 63,
        "seed": model.random_state,
        "num_threads": model.n_jobs,
        "verbosity": -1,
        "deterministic": True,
        "force_row_wise": True,
    }


def _fit_lgbm(model: Any, x: np.ndarray, y: np.ndarray, xv: np.ndarray | None, yv: np.ndarray | None) -> Any:
    """Train with LightGBM's native API; early stopping on (xv, yv) when given."""
    import lightgbm as lgb

    params = _lgbm_params(model)
    train = lgb.Dataset(x, label=y, free_raw_data=True)
    if xv is not None and yv is not None and len(yv) >= 10 and model.early_stopping_rounds:
        valid = lgb.Dataset(xv, label=yv, reference=train)
        return lgb.train(
            params,
            train,
            num_boost_round=model.n_estimators,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(model.early_stopping_rounds, verbose=False)],
        )
    return lgb.train(params, train, num_boost_round=model.n_estimators)


def _booster_to_array(booster: Any) -> np.ndarray:
    return np.frombuffer(booster.model_to_string().encode(), dtype=np.uint8).copy()


def _booster_from_array(buf: np.ndarray) -> Any:
    import lightgbm as lgb

    return lgb.Booster(model_str=buf.tobytes().decode())


# ------------------------------------------------------------------- global
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

    def _forest(self) -> Any:
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            max_samples=self.max_samples,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._featurizers(data)
        self.forest_ = self._forest().fit(self._design(data), data.y - self._offset(data))

    def _predict(self, data: Dataset) -> np.ndarray:
        return self.forest_.predict(self._design(data)) + self._offset(data)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self._featurizer_state()
        arrays["forest"] = _estimator_bytes(self.forest_)
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self._restore_featurizers(meta, arrays)
        self.forest_ = _estimator_from_bytes(arrays["forest"])


# ----------------------------------------------------------------- per drug
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


def _ridge_loo(k: np.ndarray, x: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Kernel ridge with intercept on centred data; alpha minimising the LOO error.

    Returns the primal weights, the intercept and the chosen alpha.
    """
    row_mean = k.mean(axis=0)
    kc = k - row_mean[None, :] - row_mean[:, None] + row_mean.mean()
    lam, q = np.linalg.eigh(kc)
    lam = np.clip(lam, 0.0, None)
    y_mean = y.mean()
    qty = q.T @ (y - y_mean)
    q2 = q * q
    best = (np.inf, alphas[0], np.zeros_like(y))
    n = len(y)
    for alpha in alphas:
        inv = 1.0 / (lam + alpha)
        dual = q @ (inv * qty)
        # Hat matrix of ridge with an unpenalised intercept: J/n + Kc (Kc + alpha I)^-1;
        # the in-sample residual is alpha * dual, and LOO residual = residual / (1 - h_ii).
        hat_diag = 1.0 / n + q2 @ (lam * inv)
        loo = np.mean((alpha * dual / (1.0 - hat_diag)) ** 2)
        if loo < best[0]:
            best = (loo, alpha, dual)
    _, alpha, dual = best
    x_mean = x.mean(axis=0)
    w = (x - x_mean).T @ dual
    return w, float(y_mean - x_mean @ w), float(alpha)


@register_model("elastic_net_per_drug")
class ElasticNetPerDrug(_PerDrugLinear):
    """Elastic net per drug on cell-line PCs (+ tissue); one alpha chosen on the inner
    validation part (pooled over drugs), along warm-started regularization paths."""

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
        from sklearn.ensemble import RandomForestRegressor

        forest = RandomForestRegressor(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )
        return forest.fit(x, y)

    def _to_bytes(self, est: Any) -> np.ndarray:
        return _estimator_bytes(est)

    def _from_bytes(self, buf: np.ndarray) -> Any:
        return _estimator_from_bytes(buf)


__all__ = [
    "ElasticNetGlobal",
    "ElasticNetPerDrug",
    "LightGBMGlobal",
    "LightGBMPerDrug",
    "RandomForestGlobal",
    "RandomForestPerDrug",
    "RidgePerDrug",
]
