"""The LEAP-style layered ensemble: representations x seeds x predictors, then a combiner.

Layer 1 learns representations of each cell-line view (raw, PCA, autoencoder, masked
autoencoder; several seeds) on the omics of every available line except the lines this
dataset holds out (test lines), unless ``transductive=True``.
Layer 2 fits vectorised per-perturbation heads (ridge, elastic net, lasso, kNN, LightGBM,
MLP) on each representation.
Layer 3 combines the members: around the per-perturbation training mean ``m``, the
prediction is ``m + sum_k w_k (p_k - m)``, with ``w`` fitted by non-negative least
squares (or ridge) on inner-validation predictions, or equal (``"mean"``). ``"cv"``
(the default) chooses on the inner validation part itself, by cross-validation over its
cell lines, between one non-negative combination for all perturbations, per-perturbation
weights shrunk toward it (:class:`~cellresponse.models._combine.GroupWeights`) and the
single best member alone, so an ensemble that does not beat its best member under
cross-validation is not used.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset, FeatureView
from cellresponse.features import (
    REPRESENTATION_KINDS,
    Encoder,
    RepresentationConfig,
    fit_encoder,
)
from cellresponse.models._combine import GroupWeights
from cellresponse.models._params import POSITIVE_INT, POSITIVE_INT_OR_NONE, SEED, StrOptions, TupleOf
from cellresponse.models.base import ResponseModel
from cellresponse.models.leap._heads import HEAD_KINDS, Head, make_head
from cellresponse.models.registry import register_model

logger = logging.getLogger("cellresponse")
COMBINERS = ("cv", "nnls", "ridge", "mean")
#: The member best on inner validation, as a scored column ``leap/valid_best``.
VALID_BEST = "valid_best"


def pivot_targets(data: Dataset, *, perturbations: pd.Index | None = None) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """Cell line x perturbation target matrix (NaN = unmeasured); duplicates are averaged.

    Returns ``(Y, lines, perturbations)``. With ``perturbations`` given, columns follow it
    and observations of other perturbations are ignored.
    """
    if data.is_vector_target:
        raise ValueError(f"LEAP needs a scalar target; {data.name!r} has {data.y.shape[1]} targets")
    lines, line_codes = np.unique(data.cell_lines, return_inverse=True)
    if perturbations is None:
        perts, pert_codes = np.unique(data.perturbations, return_inverse=True)
        perts_index = pd.Index(perts)
    else:
        perts_index = pd.Index(perturbations)
        pert_codes = perts_index.get_indexer(data.perturbations)
    keep = pert_codes >= 0
    total = np.zeros((len(lines), len(perts_index)))
    count = np.zeros_like(total)
    np.add.at(total, (line_codes[keep], pert_codes[keep]), data.y[keep])
    np.add.at(count, (line_codes[keep], pert_codes[keep]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(count > 0, total / count, np.nan)
    return y, pd.Index(lines), perts_index


def _column_means(y: np.ndarray) -> np.ndarray:
    """Mean of the finite entries per column; columns without any get the overall mean."""
    mask = np.isfinite(y)
    total = np.where(mask, y, 0.0).sum(0)
    count = mask.sum(0)
    overall = float(total.sum() / max(count.sum(), 1))
    return np.where(count > 0, total / np.maximum(count, 1), overall)


def _finite_mean(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def _per_column_pearson(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Pearson r per column over rows where ``y`` is finite (NaN where undefined)."""
    mask = np.isfinite(y)
    n = mask.sum(0)
    y0 = np.where(mask, y, 0.0)
    p0 = np.where(mask, p, 0.0)
    my = y0.sum(0) / np.maximum(n, 1)
    mp = p0.sum(0) / np.maximum(n, 1)
    yc = np.where(mask, y0 - my, 0.0)
    pc = np.where(mask, p0 - mp, 0.0)
    num = (yc * pc).sum(0)
    den = np.sqrt((yc**2).sum(0) * (pc**2).sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where((den > 1e-12) & (n >= 3), num / den, np.nan)
    return r


@register_model("leap")
class LeapModel(ResponseModel):
    """LEAP-style layered ensemble for unseen cell lines (gene dependency or drug response).

    Parameters
    ----------
    views
        Cell-line views to learn representations from (``"expression"``, ``"cnv"``, ...).
    representations
        Representation kinds per view: ``"raw"`` (the ``n_top_features`` most variable
        features, standardised), ``"pca"``, ``"ae"``, ``"dae"``.
    n_components
        Code size of PCA / autoencoders.
    n_top_features
        Most variable features (on the representation's training lines) fed to it.
    seeds
        Seeds of the stochastic representations (autoencoders), each offset by
        ``random_state``; raw/PCA use one.
    predictors
        Heads fitted on every representation: ``"ridge"``, ``"enet"``, ``"lasso"``,
        ``"knn"``, ``"lgbm"``, ``"mlp"`` (``"mean"`` is the per-perturbation mean).
    raw_predictors
        Heads fitted on the ``"raw"`` representation instead of ``predictors``: it is
        wide (``n_top_features`` columns), so only cheap heads are worth it there.
    combiner
        ``"cv"`` (default: chosen on inner validation, see the module notes), ``"nnls"``,
        ``"ridge"`` or ``"mean"``.
    transductive
        Also learn representations from the omics of the held-out (test) lines. Off by
        default; when on, ``fit_info_["transductive"]`` says so for the report.
    ae_epochs
        Autoencoder training epochs.
    refit
        Refit the members on training + inner-validation lines after fitting the
        combiner (otherwise the inner-validation lines only train the combiner).
    prune
        Replace members with zero combiner weight by the per-perturbation mean instead
        of refitting them (cheaper, smaller saved model). Off by default so that
        :meth:`predict_members` returns every member's real predictions; with pruning,
        a member's scores would exist only on folds where it got weight (biased).
    random_state
        Seeds the inner split and the heads, and offsets the representation ``seeds``.
    use_cache
        Reuse encoders from the representation cache (see
        :func:`cellresponse.features.cache_dir`).

    Notes
    -----
    Defaults were chosen on inner-validation scores (never test scores) of a DepMap 22Q1
    leave-tissue-out fold (1,200 genes): raw:ridge was the best member and took about
    half the NNLS weight; elastic net scored below ridge on every representation and got
    ~0.02 weight; LightGBM members scored like the MLP's (valid r ~0.10) for ~0.08 total
    weight at about 10x the fit time of all other heads together, so ``"enet"`` and
    ``"lgbm"`` are opt-in. See ``benchmarks/bench_leap_dependency.py``.

    sklearn-style flat hyperparameters (more than 8) keep ``get_params``/grids simple.
    Learned state: ``encoders_``, ``members_``, ``combiner_weights_``,
    ``member_scores_`` (inner-validation mean per-perturbation Pearson r) and
    ``fit_info_`` (line counts, skips).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "views": [TupleOf(str)],
        "representations": [TupleOf(str, options=REPRESENTATION_KINDS)],
        "n_components": [POSITIVE_INT],
        "n_top_features": POSITIVE_INT_OR_NONE,
        "seeds": [TupleOf(int, low=0)],
        "predictors": [TupleOf(str, options=HEAD_KINDS)],
        "raw_predictors": [TupleOf(str, options=HEAD_KINDS)],
        "combiner": [StrOptions(set(COMBINERS))],
        "transductive": ["boolean"],
        "ae_epochs": [POSITIVE_INT],
        "refit": ["boolean"],
        "prune": ["boolean"],
        "random_state": SEED,
        "use_cache": ["boolean"],
    }

    cell_line_views: ClassVar[tuple[str, ...]] = ("expression",)
    tasks: ClassVar[tuple[str, ...]] = ("dependency", "response")
    # format 2: per-perturbation combiner weights (``combiner_matrix``)
    format_version: ClassVar[int] = 2

    def __init__(
        self,
        *,
        views: tuple[str, ...] = ("expression",),
        representations: tuple[str, ...] = ("raw", "pca", "ae", "dae"),
        n_components: int = 64,
        n_top_features: int | None = 2000,
        seeds: tuple[int, ...] = (0, 1),
        predictors: tuple[str, ...] = ("ridge", "knn", "mlp"),
        raw_predictors: tuple[str, ...] = ("ridge", "knn"),
        combiner: str = "cv",
        transductive: bool = False,
        ae_epochs: int = 40,
        refit: bool = True,
        prune: bool = False,
        random_state: int = 0,
        use_cache: bool = True,
    ) -> None:
        self.views = views
        self.representations = representations
        self.n_components = n_components
        self.n_top_features = n_top_features
        self.seeds = seeds
        self.predictors = predictors
        self.raw_predictors = raw_predictors
        self.combiner = combiner
        self.transductive = transductive
        self.ae_epochs = ae_epochs
        self.refit = refit
        self.prune = prune
        self.random_state = random_state
        self.use_cache = use_cache

    def required_views(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self.views), ()

    # ----------------------------------------------------------------- checks
    def _check_params(self) -> None:
        bad = [r for r in self.representations if r not in REPRESENTATION_KINDS]
        if bad or not self.representations:
            raise ValueError(f"representations must be a non-empty subset of {REPRESENTATION_KINDS}; bad: {bad}")
        for label, chosen in (("predictors", self.predictors), ("raw_predictors", self.raw_predictors)):
            bad = [p for p in chosen if p not in HEAD_KINDS]
            if bad or not chosen:
                raise ValueError(f"{label} must be a non-empty subset of {HEAD_KINDS}; bad: {bad}")
        if self.combiner not in COMBINERS:
            raise ValueError(f"combiner must be one of {COMBINERS}, got {self.combiner!r}")
        if not self.seeds:
            raise ValueError("seeds must hold at least one seed")
        used = set(self.predictors) | (set(self.raw_predictors) if "raw" in self.representations else set())
        if "mlp" in used or any(r in ("ae", "dae") for r in self.representations):
            try:
                import cellresponse.models.nn._autoencoder  # noqa: F401  (registers trainers)
            except ImportError as err:
                raise ImportError(
                    "LEAP autoencoders and the 'mlp' head need torch: pip install "
                    "'cellresponse[torch]' (or drop 'ae'/'dae'/'mlp')"
                ) from err

    def _representation_lines(self, view: FeatureView, data: Dataset, labelled: set[str]) -> list[str]:
        if self.transductive:
            return list(view.ids)
        known = set(data.cell_meta.index) if len(data.cell_meta) else set()
        if not known:
            # No registry of the dataset's lines: only labelled training lines are safe.
            return [i for i in view.ids if i in labelled]
        held_out = known - labelled
        return [i for i in view.ids if i not in held_out]

    # -------------------------------------------------------------------- fit
    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._check_params()
        rng = np.random.default_rng(self.random_state)
        y_all, lines, perts = pivot_targets(data)
        info: dict[str, Any] = {"transductive": bool(self.transductive), "skipped": {}}
        has_all = np.ones(len(lines), bool)
        for v in self.views:
            has = np.isin(lines, data.cell_view(v).ids)
            if (~has).any():
                info["skipped"][f"train_lines_without_{v}"] = list(map(str, lines[~has]))
                logger.warning(
                    "leap: %d training lines have no %r row and are skipped: %s",
                    int((~has).sum()),
                    v,
                    ", ".join(map(str, lines[~has][:5])),
                )
            has_all &= has
        if has_all.sum() < 4:
            raise ValueError(
                f"leap: only {int(has_all.sum())} training lines have all views {list(self.views)}; need >= 4"
            )
        y_all, lines = y_all[has_all], lines[has_all]
        if valid is not None and len(valid):
            y_val, val_lines, _ = pivot_targets(valid, perturbations=perts)
            ok = np.ones(len(val_lines), bool)
            for v in self.views:
                ok &= np.isin(val_lines, data.cell_view(v).ids)
            y_val, val_lines = y_val[ok], val_lines[ok]
            overlap = np.isin(val_lines, lines)
            y_val, val_lines = y_val[~overlap], val_lines[~overlap]
            y_tr, tr_lines = y_all, lines
        else:
            val_lines = pd.Index([])
        if len(val_lines) < 2:
            order = rng.permutation(len(lines))
            n_val = max(2, round(0.2 * len(lines)))
            va_idx, tr_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
            y_tr, tr_lines = y_all[tr_idx], lines[tr_idx]
            y_val, val_lines = y_all[va_idx], lines[va_idx]
            y_full, full_lines = y_all, lines
            info["inner_split"] = "random 20% of training lines"
        else:
            y_full = np.vstack([y_tr, y_val])
            full_lines = pd.Index(np.concatenate([np.asarray(tr_lines), np.asarray(val_lines)]))
            info["inner_split"] = "given validation set"
        labelled = set(map(str, full_lines))
        valid_ids = set(valid.cell_lines) if valid is not None else set()

        # Layer 1: representations.
        encoders: list[Encoder] = []
        for v in self.views:
            view = data.cell_view(v)
            rep_lines = self._representation_lines(view, data, labelled | valid_ids)
            info.setdefault("representation_lines", {})[v] = len(rep_lines)
            for kind in self.representations:
                cfg = RepresentationConfig(
                    kind=kind,  # type: ignore[arg-type]
                    n_components=self.n_components,
                    n_top_features=self.n_top_features,
                    epochs=self.ae_epochs,
                )
                for seed in self.seeds if cfg.stochastic else self.seeds[:1]:
                    # offset by random_state, so the run seed reaches the autoencoders too
                    enc = fit_encoder(view, lines=rep_lines, config=cfg, seed=seed + self.random_state,
                                      use_cache=self.use_cache)  # fmt: skip
                    encoders.append(enc)
        z_full = []
        z_stats = []
        for enc in encoders:
            z = enc.transform_view(data.cell_view(enc.info["view"]), full_lines)
            mu, sd = z.mean(0), z.std(0)
            sd = np.where(sd > 1e-8, sd, 1.0)
            z_stats.append((mu.astype(np.float32), sd.astype(np.float32)))
            z_full.append(((z - mu) / sd).astype(np.float32))
        n_tr = len(tr_lines)

        # Layer 2: heads, first on the inner-training lines to get validation predictions.
        members: list[tuple[int, str]] = [
            (e, p)
            for e, enc in enumerate(encoders)
            for p in (self.raw_predictors if enc.info.get("kind") == "raw" else self.predictors)
        ]
        names = [self._member_name(encoders[e], p) for e, p in members]
        m_tr = _column_means(y_tr)
        preds_val = []
        for j, (e, p) in enumerate(members):
            head = make_head(p).fit(z_full[e][:n_tr], y_tr, random_state=self.random_state + j)
            preds_val.append(head.predict(z_full[e][n_tr:]))
        scores = {n: _finite_mean(_per_column_pearson(y_val, pv)) for n, pv in zip(names, preds_val, strict=True)}

        # Layer 3: combiner on validation deviations from the per-perturbation mean.
        weights, intercept = self._fit_combiner(y_val, preds_val, m_tr, val_lines=val_lines, perts=perts)
        matrix = self.combiner_matrix_
        combined = m_tr + sum(matrix[:, k] * (pv - m_tr) for k, pv in enumerate(preds_val))
        scores["ensemble"] = _finite_mean(_per_column_pearson(y_val, combined + intercept))

        # Refit heads on all labelled lines.
        if self.refit:
            fit_y, fit_rows = y_full, slice(None)
        else:
            fit_y, fit_rows = y_tr, slice(0, n_tr)
        heads: list[Head] = []
        for j, (e, p) in enumerate(members):
            if self.prune and not np.any(self.combiner_matrix_[:, j]) and self.combiner != "mean":
                heads.append(make_head("mean").fit(z_full[e][fit_rows], fit_y))
            else:
                heads.append(make_head(p).fit(z_full[e][fit_rows], fit_y, random_state=self.random_state + j))
        base = _column_means(fit_y)
        self.encoders_ = encoders
        self.z_stats_ = z_stats
        self.members_ = [(e, p, n) for (e, p), n in zip(members, names, strict=True)]
        self.heads_ = heads
        self.perturbations_ = perts
        self.base_ = base.astype(np.float32)
        self.global_mean_ = _finite_mean(fit_y)
        self.combiner_weights_ = dict(zip(names, map(float, weights), strict=True))
        self.combiner_intercept_ = float(intercept)
        self.member_scores_ = scores
        info.update(
            n_train_lines=len(tr_lines),
            n_valid_lines=len(val_lines),
            n_members=len(members),
            n_perturbations=len(perts),
            encoders=[{k: e.info.get(k) for k in ("key", "kind", "seed", "n_lines", "from_cache")} for e in encoders],
        )
        self.fit_info_ = info

    def _fit_combiner(
        self, y_val: np.ndarray, preds: list[np.ndarray], base: np.ndarray, *, val_lines: pd.Index, perts: pd.Index
    ) -> tuple[np.ndarray, float]:
        """Global weights and intercept; per-perturbation weights go to ``combiner_matrix_``."""
        n = len(preds)
        self.combiner_choice_ = self.combiner
        if self.combiner == "mean" or n == 1:
            w = np.full(n, 1.0 / n)
        else:
            mask = np.isfinite(y_val)
            target = (y_val - base)[mask].astype(np.float64)
            design = np.stack([(p - base)[mask] for p in preds], axis=1).astype(np.float64)
            if self.combiner == "cv":
                rows, cols = np.nonzero(mask)
                gw = GroupWeights(random_state=self.random_state).fit(
                    design, target, groups=np.asarray(perts)[cols], cv_groups=np.asarray(val_lines)[rows]
                )
                self.combiner_matrix_ = gw.weights_for(np.asarray(perts)).astype(np.float64)
                self.combiner_choice_ = "single" if gw.single_ >= 0 else f"tau={gw.tau_:g}"
                return gw.global_, 0.0
            if self.combiner == "nnls":
                from scipy.optimize import nnls

                w, _ = nnls(design, target)
                if not np.any(w > 0):
                    w = np.full(n, 1.0 / n)
            else:
                gram = design.T @ design
                lam = 1e-3 * np.trace(gram) / n
                w = np.linalg.solve(gram + lam * np.eye(n), design.T @ target)
        self.combiner_matrix_ = np.tile(np.asarray(w, dtype=np.float64), (len(perts), 1))
        return np.asarray(w), 0.0

    @staticmethod
    def _member_name(enc: Encoder, predictor: str) -> str:
        seed = enc.info.get("seed")
        return f"{enc.name}{'' if seed is None else f':s{seed}'}:{predictor}"

    # ---------------------------------------------------------------- predict
    def _member_matrices(self, data: Dataset) -> tuple[pd.Index, list[np.ndarray]]:
        lines = pd.Index(np.unique(data.cell_lines))
        for v in self.views:
            missing = lines[~lines.isin(data.cell_view(v).ids)]
            if len(missing):
                raise KeyError(
                    f"leap: {len(missing)} cell lines to predict have no {v!r} row: "
                    f"{', '.join(map(str, missing[:5]))}; restrict the dataset with "
                    f"Dataset.restrict_to_views(cell={list(self.views)!r})"
                )
        zs = []
        for enc, (mu, sd) in zip(self.encoders_, self.z_stats_, strict=True):
            z = enc.transform_view(data.cell_view(enc.info["view"]), lines)
            zs.append(((z - mu) / sd).astype(np.float32))
        preds = [head.predict(zs[e]) for (e, _, _), head in zip(self.members_, self.heads_, strict=True)]
        return lines, preds

    def _lookup(self, data: Dataset, lines: pd.Index, matrix: np.ndarray) -> np.ndarray:
        li = lines.get_indexer(data.cell_lines)
        pi = self.perturbations_.get_indexer(data.perturbations)
        out = np.full(len(data), self.global_mean_, np.float32)
        known = pi >= 0
        out[known] = matrix[li[known], pi[known]]
        return out

    def _predict(self, data: Dataset) -> np.ndarray:
        lines, preds = self._member_matrices(data)
        w = self.combiner_matrix_
        combined = self.base_ + sum(w[:, k] * (p - self.base_) for k, p in enumerate(preds))
        return self._lookup(data, lines, combined + self.combiner_intercept_)

    def predict_members(self, data: Dataset) -> dict[str, np.ndarray]:
        """Predictions of every member (name -> ``(n,)``), for member-vs-ensemble reports."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "n_train_")
        self._check_dataset(data, "data")
        lines, preds = self._member_matrices(data)
        return {n: self._lookup(data, lines, p) for (_, _, n), p in zip(self.members_, preds, strict=True)}

    def benchmark_extras(self, data: Dataset) -> dict[str, pd.DataFrame]:
        """Tables for the benchmark runner: member predictions on ``data`` and the combiner.

        ``member_predictions``: one column per member (rows aligned with ``data``), scored by
        the runner like models. ``combiner``: one row per member with its representation,
        predictor, seed, combiner weight and inner-validation Pearson r (``ensemble`` row:
        the combined inner-validation score).
        """
        members = pd.DataFrame(self.predict_members(data))
        scored = {k: v for k, v in self.member_scores_.items() if k != "ensemble" and np.isfinite(v)}
        best = max(scored, key=lambda k: scored[k]) if scored else self.members_[0][2]
        members[VALID_BEST] = members[best]
        rows = []
        for e, p, n in self.members_:
            info = self.encoders_[e].info
            rows.append({"member": n, "view": info.get("view"), "representation": info.get("kind"),
                         "seed": info.get("seed"), "predictor": p, "weight": self.combiner_weights_[n],
                         "valid_pearson": self.member_scores_.get(n), "valid_best": n == best,
                         "combiner": self.combiner_choice_})  # fmt: skip
        ens = self.member_scores_.get("ensemble")
        rows.append({"member": "ensemble", "weight": float("nan"), "valid_pearson": ens})
        return {"member_predictions": members, "combiner": pd.DataFrame(rows)}

    # ----------------------------------------------------------------- saving
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {"base": self.base_, "combiner_matrix": self.combiner_matrix_}
        enc_meta = []
        for i, (enc, (mu, sd)) in enumerate(zip(self.encoders_, self.z_stats_, strict=True)):
            meta, arr = enc.to_arrays(prefix=f"enc{i}.")
            enc_meta.append(meta)
            arrays.update(arr)
            arrays[f"enc{i}.zmu"], arrays[f"enc{i}.zsd"] = mu, sd
        head_meta = []
        for i, head in enumerate(self.heads_):
            meta, arr = head.get_state()
            head_meta.append({"kind": head.kind, "meta": meta})
            arrays.update({f"head{i}.{k}": v for k, v in arr.items()})
        state = {
            "encoders": enc_meta,
            "heads": head_meta,
            "members": [list(m) for m in self.members_],
            "perturbations": list(map(str, self.perturbations_)),
            "global_mean": self.global_mean_,
            "combiner_weights": self.combiner_weights_,
            "combiner_intercept": self.combiner_intercept_,
            "combiner_choice": self.combiner_choice_,
            "member_scores": self.member_scores_,
            "fit_info": self.fit_info_,
        }
        return state, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.encoders_ = [Encoder.from_arrays(m, arrays, prefix=f"enc{i}.") for i, m in enumerate(meta["encoders"])]
        self.z_stats_ = [(arrays[f"enc{i}.zmu"], arrays[f"enc{i}.zsd"]) for i in range(len(self.encoders_))]
        heads: list[Head] = []
        for i, hm in enumerate(meta["heads"]):
            head = make_head(hm["kind"])
            prefix = f"head{i}."
            head.set_state(hm["meta"], {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)})
            heads.append(head)
        self.heads_ = heads
        self.members_ = [(int(e), str(p), str(n)) for e, p, n in meta["members"]]
        self.perturbations_ = pd.Index(meta["perturbations"])
        self.base_ = arrays["base"]
        self.global_mean_ = float(meta["global_mean"])
        self.combiner_weights_ = dict(meta["combiner_weights"])
        self.combiner_intercept_ = float(meta["combiner_intercept"])
        self.combiner_choice_ = str(meta["combiner_choice"])
        self.combiner_matrix_ = np.asarray(arrays["combiner_matrix"], dtype=np.float64)
        self.member_scores_ = dict(meta["member_scores"])
        self.fit_info_ = dict(meta["fit_info"])


__all__ = ["COMBINERS", "VALID_BEST", "LeapModel", "pivot_targets"]
