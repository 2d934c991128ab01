"""Baselines for the expression task (signature over genes for (cell, compound, dose, time)).

They run beside every expression model. The naive ones (``is_naive_baseline``) use only
means over training signatures; ``expr_tanimoto_knn``, ``expr_ridge`` and
``expr_drug_blind`` are learned but simple. ``expr_drug_blind`` sees basal expression,
dose and time but never the compound: a model that does not beat it has not learned
anything about the drug.

Every model here keeps the basal profiles of its training cell lines (``basal_``) so
that :func:`~cellresponse.models.expression.predict_signature` can be called without a
dataset.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset, FeatureView
from cellresponse.models._params import POSITIVE_INT, Integral, Interval, Real
from cellresponse.models.base import ResponseModel
from cellresponse.models.registry import register_model

BASAL = "basal"
MORGAN = "morgan"


# ---------------------------------------------------------------------- shared
def log_dose(data: Dataset) -> np.ndarray:
    """log10(dose µM) per observation (0 where the dataset has no dose column)."""
    if "dose" not in data.obs.columns:
        return np.zeros(len(data))
    dose = data.obs["dose"].to_numpy(float)
    if (dose <= 0).any() or np.isnan(dose).any():
        bad = np.flatnonzero((dose <= 0) | np.isnan(dose))
        raise ValueError(f"dose must be positive and not NaN; bad at rows {bad[:5].tolist()}")
    return np.log10(dose)


def time_hours(data: Dataset) -> np.ndarray:
    """Time (h) per observation (0 where the dataset has no time column)."""
    if "time" not in data.obs.columns:
        return np.zeros(len(data))
    return data.obs["time"].to_numpy(float)


class ExpressionModel(ResponseModel):
    """Base of expression-task models: keeps gene names and training basal profiles."""

    tasks: ClassVar[tuple[str, ...]] = ("expression",)
    cell_line_views: ClassVar[tuple[str, ...]] = ()
    perturbation_views: ClassVar[tuple[str, ...]] = ()
    #: Marks the models reports list as baselines of the expression task.
    is_expression_baseline: ClassVar[bool] = True

    def _check_vector(self, data: Dataset) -> None:
        if not data.is_vector_target:
            raise ValueError(f"{type(self).__name__} needs a vector (signature) target; {data.name} is scalar")

    def _store_common(self, data: Dataset) -> None:
        self._check_vector(data)
        self.target_names_ = tuple(data.target_names or ())
        self.train_mean_ = data.y.astype(np.float64).mean(axis=0)
        self.basal_: FeatureView | None = None
        if BASAL in data.cell_views:
            cells = pd.unique(data.cell_lines)
            self.basal_ = data.cell_view(BASAL).subset(ids=list(cells))

    def _common_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta: dict[str, Any] = {"target_names": list(self.target_names_)}
        arrays = {"train_mean": self.train_mean_}
        if self.basal_ is not None:
            meta["basal_ids"] = list(self.basal_.ids)
            meta["basal_features"] = list(self.basal_.feature_names)
            arrays["basal"] = self.basal_.values
        return meta, arrays

    def _set_common(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.target_names_ = tuple(meta["target_names"])
        self.train_mean_ = np.asarray(arrays["train_mean"], dtype=np.float64)
        self.basal_ = None
        if "basal" in arrays:
            self.basal_ = FeatureView(
                BASAL,
                pd.Index(meta["basal_ids"]),
                arrays["basal"],
                pd.Index(meta["basal_features"]),
            )

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self._common_state()
        extra_meta, extra_arrays = self._get_extra()
        return {**meta, **extra_meta}, {**arrays, **extra_arrays}

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self._set_common(meta, arrays)
        self._set_extra(meta, arrays)

    def _get_extra(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {}

    def _set_extra(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        return None


def _group_mean_table(keys: np.ndarray, y: np.ndarray) -> tuple[list[str], np.ndarray]:
    codes, uniq = pd.factorize(pd.Index(keys, dtype=object))
    sums = np.zeros((len(uniq), y.shape[1]))
    np.add.at(sums, codes, y)
    return [str(u) for u in uniq], sums / np.bincount(codes)[:, None]


class _TableModel(ExpressionModel):
    """Per-group mean signature with fallback to the training mean."""

    is_naive_baseline: ClassVar[bool] = True
    _key: ClassVar[str] = ""

    def __init__(self) -> None:
        pass

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._store_common(data)
        self.ids_, self.table_ = _group_mean_table(data.group_keys(self._key), data.y.astype(np.float64))

    def _rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = pd.Index(self.ids_).get_indexer(pd.Index(keys, dtype=object).astype(str))
        return pos, pos >= 0

    def _predict(self, data: Dataset) -> np.ndarray:
        pos, seen = self._rows(data.group_keys(self._key))
        out = np.tile(self.train_mean_, (len(data), 1))
        out[seen] = self.table_[pos[seen]]
        self.n_fallback_ = int((~seen).sum())
        return out

    def _get_extra(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"ids": self.ids_}, {"table": self.table_}

    def _set_extra(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.ids_ = list(meta["ids"])
        self.table_ = np.asarray(arrays["table"], dtype=np.float64)


class _ConstantSignature(ExpressionModel):
    """One signature for every observation (no hyperparameters, nothing beyond the mean)."""

    is_naive_baseline: ClassVar[bool] = True

    def __init__(self) -> None:
        pass

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._store_common(data)

    def _signature(self) -> np.ndarray:
        raise NotImplementedError

    def _predict(self, data: Dataset) -> np.ndarray:
        return np.tile(self._signature(), (len(data), 1))


@register_model("expr_zero")
class ExprZero(_ConstantSignature):
    """Predicts no change (all zeros): the floor for signature (z-score) targets."""

    def _signature(self) -> np.ndarray:
        return np.zeros(len(self.train_mean_))


@register_model("expr_train_mean")
class ExprTrainMean(_ConstantSignature):
    """Predicts the mean training signature for every observation."""

    def _signature(self) -> np.ndarray:
        return np.asarray(self.train_mean_)


@register_model("expr_compound_mean")
class ExprCompoundMean(_TableModel):
    """Mean training signature of the compound (train mean for unseen compounds)."""

    _key: ClassVar[str] = "perturbation"


@register_model("expr_cell_mean")
class ExprCellMean(_TableModel):
    """Mean training signature of the cell line (train mean for unseen cell lines)."""

    _key: ClassVar[str] = "cell_line"


@register_model("expr_additive")
class ExprAdditive(ExpressionModel):
    """Train mean + compound effect + cell-line effect (each 0 when unseen)."""

    is_naive_baseline: ClassVar[bool] = True

    def __init__(self) -> None:
        pass

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._store_common(data)
        y = data.y.astype(np.float64)
        self.cell_ids_, cell = _group_mean_table(data.cell_lines, y)
        self.cell_effect_ = cell - self.train_mean_
        cpos = pd.Index(self.cell_ids_).get_indexer(pd.Index(data.cell_lines))
        self.cmp_ids_, cmp = _group_mean_table(data.perturbations, y - self.cell_effect_[cpos])
        self.cmp_effect_ = cmp - self.train_mean_

    def _predict(self, data: Dataset) -> np.ndarray:
        out = np.tile(self.train_mean_, (len(data), 1))
        for ids, eff, keys in (
            (self.cell_ids_, self.cell_effect_, data.cell_lines),
            (self.cmp_ids_, self.cmp_effect_, data.perturbations),
        ):
            pos = pd.Index(ids).get_indexer(pd.Index(keys, dtype=object))
            out[pos >= 0] += eff[pos[pos >= 0]]
        return out

    def _get_extra(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return (
            {"cell_ids": self.cell_ids_, "cmp_ids": self.cmp_ids_},
            {"cell_effect": self.cell_effect_, "cmp_effect": self.cmp_effect_},
        )

    def _set_extra(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.cell_ids_, self.cmp_ids_ = list(meta["cell_ids"]), list(meta["cmp_ids"])
        self.cell_effect_ = np.asarray(arrays["cell_effect"], np.float64)
        self.cmp_effect_ = np.asarray(arrays["cmp_effect"], np.float64)


def tanimoto(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tanimoto similarity between binary rows of ``a`` (n, d) and ``b`` (m, d)."""
    a = (np.asarray(a) > 0).astype(np.float32)
    b = (np.asarray(b) > 0).astype(np.float32)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


@register_model("expr_tanimoto_knn")
class ExprTanimotoKNN(ExpressionModel):
    """Cell-line mean + the compound effects of the k most Tanimoto-similar training
    compounds, each taken at its training dose nearest (in log dose) to the query and at
    the same time where available; weighted by similarity.

    Parameters
    ----------
    k
        Number of neighbour compounds.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": [POSITIVE_INT],
    }

    perturbation_views: ClassVar[tuple[str, ...]] = (MORGAN,)

    def __init__(self, *, k: int = 5) -> None:
        self.k = k

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        self._store_common(data)
        y = data.y.astype(np.float64)
        self.cell_ids_, self.cell_mean_ = _group_mean_table(data.cell_lines, y)
        cpos = pd.Index(self.cell_ids_).get_indexer(pd.Index(data.cell_lines))
        resid = y - self.cell_mean_[cpos]
        # Effect table keyed by (compound, log dose, time).
        keys = pd.DataFrame({"c": data.perturbations, "d": np.round(log_dose(data), 4), "t": time_hours(data)})
        codes = keys.groupby(["c", "d", "t"], sort=False).ngroup().to_numpy()
        first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
        sums = np.zeros((codes.max() + 1, y.shape[1]))
        np.add.at(sums, codes, resid)
        self.effect_ = sums / np.bincount(codes)[:, None]
        self.effect_keys_ = keys.iloc[first].reset_index(drop=True)
        self.compounds_ = [str(c) for c in pd.unique(data.perturbations)]
        self.fp_ = data.perturbation_view(MORGAN).lookup(self.compounds_)

    def _predict(self, data: Dataset) -> np.ndarray:
        cpos = pd.Index(self.cell_ids_).get_indexer(pd.Index(data.cell_lines, dtype=object))
        query = pd.DataFrame({"c": data.perturbations, "d": np.round(log_dose(data), 4), "t": time_hours(data)})
        uq = query.drop_duplicates().reset_index(drop=True)
        uq_codes = query.merge(uq.reset_index(), on=["c", "d", "t"], how="left")["index"].to_numpy()
        q_cmp = np.asarray(pd.unique(uq["c"]), dtype=object)
        sim = tanimoto(data.perturbation_view(MORGAN).lookup(q_cmp), self.fp_)
        k = min(self.k, len(self.compounds_))
        nn = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        cmp_row = {c: i for i, c in enumerate(q_cmp)}
        ek = self.effect_keys_
        by_cmp = {c: np.flatnonzero(ek["c"].to_numpy() == c) for c in self.compounds_}
        uq_effect = np.zeros((len(uq), self.effect_.shape[1]))
        for i, (c, d, t) in enumerate(uq.itertuples(index=False)):
            r = cmp_row[c]
            acc, wsum = 0.0, 0.0
            for j in nn[r]:
                rows = by_cmp[self.compounds_[j]]
                same_t = rows[ek["t"].to_numpy()[rows] == t]
                rows = same_t if len(same_t) else rows
                best = rows[np.argmin(np.abs(ek["d"].to_numpy()[rows] - d))]
                w = max(float(sim[r, j]), 1e-6)
                acc = acc + w * self.effect_[best]
                wsum += w
            uq_effect[i] = acc / wsum
        seen = cpos >= 0
        base = np.tile(self.train_mean_, (len(data), 1))
        base[seen] = self.cell_mean_[cpos[seen]]
        return base + uq_effect[uq_codes]

    def _get_extra(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        ek = self.effect_keys_
        meta = {
            "cell_ids": self.cell_ids_,
            "compounds": self.compounds_,
            "effect_c": ek["c"].tolist(),
        }
        arrays = {
            "effect": self.effect_,
            "effect_d": ek["d"].to_numpy(float),
            "effect_t": ek["t"].to_numpy(float),
            "fp": self.fp_,
            "cell_mean": self.cell_mean_,
        }
        return meta, arrays

    def _set_extra(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.cell_ids_, self.compounds_ = list(meta["cell_ids"]), list(meta["compounds"])
        self.effect_keys_ = pd.DataFrame({"c": meta["effect_c"], "d": arrays["effect_d"], "t": arrays["effect_t"]})
        self.effect_ = np.asarray(arrays["effect"], np.float64)
        self.fp_ = np.asarray(arrays["fp"], np.float32)
        self.cell_mean_ = np.asarray(arrays["cell_mean"], np.float64)


# ------------------------------------------------------------------ ridge models
def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Multi-output ridge on centred data; primal or dual form, whichever is smaller."""
    xm, ym = x.mean(0), y.mean(0)
    xc, yc = x - xm, y - ym
    n, p = xc.shape
    if p <= n:
        coef = np.linalg.solve(xc.T @ xc + alpha * np.eye(p), xc.T @ yc)
    else:
        coef = xc.T @ np.linalg.solve(xc @ xc.T + alpha * np.eye(n), yc)
    return coef, ym - xm @ coef


class _RidgeBase(ExpressionModel):
    """Ridge on [basal PCs, (fingerprint), log dose, time]; PCA and scaling fit on train."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_pcs": [Interval(Integral, 0, None, closed="left")],
    }

    cell_line_views: ClassVar[tuple[str, ...]] = (BASAL,)
    _use_drug: ClassVar[bool] = True

    def __init__(self, *, alpha: float = 10.0, n_pcs: int = 20) -> None:
        self.alpha = alpha
        self.n_pcs = n_pcs

    def _design(self, data: Dataset) -> np.ndarray:
        basal = data.cell_features(BASAL).astype(np.float64)
        pcs = (basal - self.pca_mean_) @ self.pca_components_.T
        cont = np.column_stack([log_dose(data), time_hours(data)])
        cont = (cont - self.cont_mean_) / self.cont_std_
        parts = [pcs / self.pc_scale_, cont]
        if self._use_drug:
            parts.append(data.perturbation_features(MORGAN).astype(np.float64))
        return np.hstack(parts)

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        if self.alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha}")
        self._store_common(data)
        cells = pd.unique(data.cell_lines)
        basal = data.cell_view(BASAL).lookup(cells).astype(np.float64)
        self.pca_mean_ = basal.mean(0)
        n_comp = min(self.n_pcs, max(len(cells) - 1, 0))
        if n_comp:
            _, s, vt = np.linalg.svd(basal - self.pca_mean_, full_matrices=False)
            self.pca_components_ = vt[:n_comp]
            self.pc_scale_ = np.maximum(s[:n_comp] / np.sqrt(max(len(cells) - 1, 1)), 1e-8)
        else:
            self.pca_components_ = np.zeros((0, basal.shape[1]))
            self.pc_scale_ = np.ones(0)
        cont = np.column_stack([log_dose(data), time_hours(data)])
        self.cont_mean_ = cont.mean(0)
        self.cont_std_ = np.where(cont.std(0) > 0, cont.std(0), 1.0)
        self.coef_, self.intercept_ = _ridge(self._design(data), data.y.astype(np.float64), self.alpha)

    def _predict(self, data: Dataset) -> np.ndarray:
        return self._design(data) @ self.coef_ + self.intercept_

    def _get_extra(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        names = (
            "pca_mean_",
            "pca_components_",
            "pc_scale_",
            "cont_mean_",
            "cont_std_",
            "coef_",
            "intercept_",
        )
        return {}, {n: np.asarray(getattr(self, n)) for n in names}

    def _set_extra(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        for name, value in arrays.items():
            if name.endswith("_"):
                setattr(self, name, np.asarray(value, np.float64))


@register_model("expr_ridge")
class ExprRidge(_RidgeBase):
    """Ridge regression on [basal expression PCs, Morgan fingerprint, log dose, time].

    Parameters
    ----------
    alpha
        L2 penalty.
    n_pcs
        Principal components of the training cell lines' basal expression.
    """

    perturbation_views: ClassVar[tuple[str, ...]] = (MORGAN,)


@register_model("expr_drug_blind")
class ExprDrugBlind(_RidgeBase):
    """Ridge on [basal expression PCs, log dose, time]: never sees the compound.

    The reference a drug-aware model must beat (published L1000 models often do not).
    """

    _use_drug: ClassVar[bool] = False


__all__ = [
    "ExprAdditive",
    "ExprCellMean",
    "ExprCompoundMean",
    "ExprDrugBlind",
    "ExprRidge",
    "ExprTanimotoKNN",
    "ExprTrainMean",
    "ExprZero",
    "ExpressionModel",
    "log_dose",
    "tanimoto",
]
