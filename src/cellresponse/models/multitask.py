"""``multitask_ridge``: one kernel ridge regression over every drug at once.

The training responses form a (cell lines x drugs) matrix ``Y`` (about 12 % of GDSC2's
entries unmeasured). Each drug's column is standardised; the model is kernel ridge with
a cell-line kernel ``K`` (linear, over standardised genes and GO-term activity scores)
and, optionally, a drug kernel ``Kd = (1 - w) I + w T`` (``T``: Tanimoto similarity of
the Morgan fingerprints), i.e. the solution of ``K A Kd + alpha A = Z``. Unmeasured
entries are filled by expectation-maximisation: start at the drug mean, then a few
rounds of fit and refill with the fitted values. With ``Kd = I`` every drug has its own
coefficients (per-drug kernel ridge sharing one penalty); ``w > 0`` pulls the
coefficients of structurally similar drugs together. A drug unseen in training gets the
similarity-weighted average of its nearest training drugs' coefficients (leave-drug-out).

One eigendecomposition of ``K`` (and of ``Kd``) serves every penalty, so the whole grid
of (``alpha``, GO-term block weight, drug-kernel weight) is scored on the inner
validation part passed to ``fit`` (mean per-drug Pearson r), and the chosen setting is
refitted on training + validation lines (``refit=True``). The per-setting scores are
kept in ``selection_``.

Observations on the inner validation part of outer fold 0 of the GDSC2 ln IC50
leave-cell-line-out split (71 lines; ``benchmarks/bench_accuracy.py`` notes): one penalty
chosen on validation beat a per-drug penalty chosen by leave-one-out on the training
lines (0.554 vs 0.537; leave-one-out favours small penalties because related lines
are in training), all genes beat the 2,000 most variable (0.554 vs 0.539 at the same
penalty), GO-term scores added a little (0.558), and neither the Tanimoto drug kernel
(w = 0.1: 0.547) nor a response-correlation drug kernel helped; both stay candidates
the grid may choose per fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.features import EntityFeaturizer, TermScorer
from cellresponse.models._params import POSITIVE_INT, TupleOf, check_rules
from cellresponse.models.base import ResponseModel
from cellresponse.models.registry import register_model

MORGAN = "morgan"


def union(a: Dataset, b: Dataset | None) -> Dataset:
    """Observations of ``a`` and ``b`` (subsets of one dataset) as one dataset."""
    from dataclasses import replace

    if b is None or len(b) == 0:
        return a
    obs = pd.concat([a.obs, b.obs], ignore_index=True)
    return replace(a, obs=obs, y=np.concatenate([a.y, b.y]))


def per_group_pearson(y: np.ndarray, pred: np.ndarray, groups: np.ndarray, *, min_size: int = 5) -> float:
    """Mean over groups (of at least ``min_size`` rows) of the Pearson r within each group
    (groups where either side is constant are skipped)."""
    codes, _ = pd.factorize(pd.Index(np.asarray(groups, dtype=object)))
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    n = np.bincount(codes).astype(np.float64)
    my, mp = np.bincount(codes, y) / n, np.bincount(codes, p) / n
    yc, pc = y - my[codes], p - mp[codes]
    sxy = np.bincount(codes, yc * pc)
    sxx, syy = np.bincount(codes, yc * yc), np.bincount(codes, pc * pc)
    ok = (n >= min_size) & (sxx > 1e-12 * n) & (syy > 1e-12 * n)
    return float(np.mean(sxy[ok] / np.sqrt(sxx[ok] * syy[ok]))) if ok.any() else float("nan")


def tanimoto_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tanimoto similarity of the binary rows of ``a`` and ``b`` (0 for two empty rows)."""
    a = (np.nan_to_num(np.asarray(a, dtype=np.float64)) > 0).astype(np.float64)
    b = (np.nan_to_num(np.asarray(b, dtype=np.float64)) > 0).astype(np.float64)
    inter = a @ b.T
    union_ = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.divide(inter, union_, out=np.zeros_like(inter), where=union_ > 0)


class CellBlocks:
    """Per-cell-line feature blocks: standardised genes of each view and GO-term scores.

    Every block is divided by the square root of its width, so each contributes a
    kernel of unit mean diagonal; the term blocks are then weighted by ``term_weight``.
    """

    def __init__(
        self, cell_views: Sequence[str], term_views: Sequence[str], *, min_genes: int = 5, max_genes: int = 500
    ) -> None:
        self.cell_views = tuple(cell_views)
        self.term_views = tuple(term_views)
        self.min_genes, self.max_genes = int(min_genes), int(max_genes)
        self.featurizer: EntityFeaturizer | None = None
        self.scorers: dict[str, TermScorer] = {}
        self.term_mean: dict[str, np.ndarray] = {}
        self.term_scale: dict[str, np.ndarray] = {}

    @property
    def views(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.cell_views, *self.term_views)))

    def fit(self, data: Dataset) -> CellBlocks:
        self.featurizer = EntityFeaturizer(self.views, "cell_line").fit(data)
        genes = self._gene_blocks(data, pd.unique(data.cell_lines))
        for view in self.term_views:
            scorer = TermScorer(self.min_genes, self.max_genes).fit(self.featurizer.columns_[view].tolist())
            self.scorers[view] = scorer
            scores = scorer.transform(genes[view])
            sd = scores.std(0)
            self.term_mean[view] = scores.mean(0)
            self.term_scale[view] = np.where(sd > 1e-9, sd, 1.0)
        return self

    def _gene_blocks(self, data: Dataset, ids: np.ndarray) -> dict[str, np.ndarray]:
        assert self.featurizer is not None
        x = self.featurizer.transform(data, ids).astype(np.float64)
        out, start = {}, 0
        for view in self.views:
            width = len(self.featurizer.columns_[view])
            out[view] = x[:, start : start + width]
            start += width
        return out

    def blocks(self, data: Dataset, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(gene block, unweighted term block) of the lines ``ids``, each scaled to unit kernel diagonal."""
        genes = self._gene_blocks(data, ids)
        gene_parts = [genes[v] for v in self.cell_views]
        term_parts = [
            (self.scorers[v].transform(genes[v]) - self.term_mean[v]) / self.term_scale[v]
            for v in self.term_views
            if self.scorers[v].n_terms
        ]
        n = len(ids)
        g = np.hstack(gene_parts) if gene_parts else np.zeros((n, 0))
        t = np.hstack(term_parts) if term_parts else np.zeros((n, 0))
        return g / np.sqrt(max(g.shape[1], 1)), t / np.sqrt(max(t.shape[1], 1))

    @property
    def n_terms(self) -> int:
        return sum(s.n_terms for s in self.scorers.values())

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        assert self.featurizer is not None
        meta, arrays = self.featurizer.get_state("cell")
        doc: dict[str, Any] = {
            "featurizer": meta,
            "cell_views": list(self.cell_views),
            "term_views": list(self.term_views),
            "min_genes": self.min_genes,
            "max_genes": self.max_genes,
            "scorers": {},
        }
        for view, scorer in self.scorers.items():
            smeta, sarr = scorer.get_state(f"terms.{view}")
            doc["scorers"][view] = smeta
            arrays |= sarr
            arrays[f"terms.{view}.mean"] = self.term_mean[view]
            arrays[f"terms.{view}.scale"] = self.term_scale[view]
        return doc, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> CellBlocks:
        out = cls(meta["cell_views"], meta["term_views"], min_genes=meta["min_genes"], max_genes=meta["max_genes"])
        out.featurizer = EntityFeaturizer.from_state(meta["featurizer"], arrays, "cell")
        for view, smeta in meta["scorers"].items():
            out.scorers[view] = TermScorer.from_state(smeta, arrays, f"terms.{view}")
            out.term_mean[view] = np.asarray(arrays[f"terms.{view}.mean"])
            out.term_scale[view] = np.asarray(arrays[f"terms.{view}.scale"])
        return out


class _Matrix:
    """The standardised (lines x drugs) training matrix with its mask."""

    def __init__(self, data: Dataset) -> None:
        self.lines, li = np.unique(data.cell_lines, return_inverse=True)
        self.drugs, di = np.unique(data.perturbations, return_inverse=True)
        total = np.zeros((len(self.lines), len(self.drugs)))
        count = np.zeros_like(total)
        np.add.at(total, (li, di), data.y.astype(np.float64))
        np.add.at(count, (li, di), 1.0)
        self.mask = count > 0
        y = np.divide(total, count, out=np.zeros_like(total), where=self.mask)
        n_obs = self.mask.sum(0)
        self.mu = (y * self.mask).sum(0) / n_obs
        var = (((y - self.mu) * self.mask) ** 2).sum(0) / n_obs
        self.sd = np.where(var > 1e-12, np.sqrt(var), 1.0)
        self.z = np.where(self.mask, (y - self.mu) / self.sd, 0.0)


def _em_solve(
    kernel: np.ndarray,
    eig: tuple[np.ndarray, np.ndarray],
    mat: _Matrix,
    setting: tuple[float, Any, int],
    n_iter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dual coefficients ``A`` (with ``Kd`` applied), column means ``m0`` and the low-rank
    residual of the training lines, fitted by EM over the unmeasured entries.

    ``setting`` is (absolute penalty, drug-kernel eigensystem or None, residual rank).
    """
    alpha, drug_eig, rank = setting
    s, u = eig
    filled = mat.z.copy()
    coef = np.zeros_like(filled)
    resid = np.zeros_like(filled)
    m0 = np.zeros(filled.shape[1])
    for _ in range(max(1, n_iter)):
        m0 = filled.mean(0)
        zc = filled - m0
        if drug_eig is None:
            coef = u @ ((u.T @ zc) / (s + alpha)[:, None])
        else:
            e, v, kd = drug_eig
            coef = u @ ((u.T @ zc @ v) / (s[:, None] * e[None, :] + alpha)) @ v.T @ kd
        fitted = kernel @ coef + m0
        if rank > 0:
            # what the cell lines' other responses say beyond their omics (seen lines only)
            left, sv, right = np.linalg.svd(np.where(mat.mask, mat.z - fitted, resid), full_matrices=False)
            resid = (left[:, :rank] * sv[:rank]) @ right[:rank]
        filled = np.where(mat.mask, mat.z, fitted + resid)
    return coef, m0, resid


SELECTION_COLUMNS = ["alpha", "term_weight", "drug_weight", "residual_rank", "valid_pearson"]


@register_model("multitask_ridge")
class MultiTaskRidge(ResponseModel):
    """Kernel ridge over all drugs at once (see the module notes).

    Parameters
    ----------
    cell_views
        Cell-line views used gene by gene (standardised, all non-constant features).
    term_views
        Views summarised per GO-BP term (mean of the standardised feature over the
        term's genes); ``()`` for none.
    min_term_genes, max_term_genes
        Sizes of the GO terms kept (measured genes).
    alphas
        Penalties to choose from, relative to the kernel's mean diagonal.
    term_weights
        Weights of the GO-term block relative to the gene block to choose from.
    drug_weights
        Weights ``w`` of the Tanimoto drug kernel to choose from (needs the ``morgan``
        view; ``0``: every drug on its own).
    residual_ranks
        Ranks of the low-rank completion of the training lines' residuals to choose
        from: what a line's measured responses say beyond its omics. It reaches only
        lines seen in training (leave-pair-out); ``0`` turns it off.
    em_iterations
        Rounds of fitting and refilling the unmeasured entries.
    n_neighbours
        Training drugs whose coefficients an unseen drug averages (by Tanimoto similarity).
    refit
        Refit the chosen setting on training + validation lines.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        # at least one cell or term view: checked in ``_check_params``
        "cell_views": [TupleOf(str, allow_empty=True)],
        "term_views": [TupleOf(str, allow_empty=True)],
        "min_term_genes": [POSITIVE_INT],
        "max_term_genes": [POSITIVE_INT],
        "alphas": [TupleOf(float, low=0, strict=True)],
        "term_weights": [TupleOf(float, low=0)],
        # below 1 (1 would leave no drug its own coefficients): checked in ``_check_params``
        "drug_weights": [TupleOf(float, low=0, high=1)],
        "residual_ranks": [TupleOf(int, low=0)],
        "em_iterations": [POSITIVE_INT],
        "n_neighbours": [POSITIVE_INT],
        "refit": ["boolean"],
    }

    format_version: ClassVar[int] = 1
    tasks: ClassVar[tuple[str, ...]] = ("response", "dependency")

    def __init__(
        self,
        *,
        cell_views: tuple[str, ...] = ("expression",),
        term_views: tuple[str, ...] = ("expression",),
        min_term_genes: int = 5,
        max_term_genes: int = 500,
        alphas: tuple[float, ...] = (2.0, 4.0),
        term_weights: tuple[float, ...] = (0.0, 1.0),
        drug_weights: tuple[float, ...] = (0.0,),
        residual_ranks: tuple[int, ...] = (0, 5, 20, 40),
        em_iterations: int = 3,
        n_neighbours: int = 10,
        refit: bool = True,
    ) -> None:
        self.cell_views = cell_views
        self.term_views = term_views
        self.min_term_genes = min_term_genes
        self.max_term_genes = max_term_genes
        self.alphas = alphas
        self.term_weights = term_weights
        self.drug_weights = drug_weights
        self.residual_ranks = residual_ranks
        self.em_iterations = em_iterations
        self.n_neighbours = n_neighbours
        self.refit = refit

    def required_views(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(dict.fromkeys((*self.cell_views, *self.term_views))), ()

    def _check_params(self) -> None:
        checks = {
            "alphas": len(self.alphas) > 0 and all(a > 0 for a in self.alphas),
            "term_weights": len(self.term_weights) > 0 and all(w >= 0 for w in self.term_weights),
            "drug_weights": len(self.drug_weights) > 0 and all(0 <= w < 1 for w in self.drug_weights),
            "residual_ranks": len(self.residual_ranks) > 0 and all(int(r) >= 0 for r in self.residual_ranks),
            "em_iterations": self.em_iterations >= 1,
            "n_neighbours": self.n_neighbours >= 1,
            "cell_views": len(self.cell_views) + len(self.term_views) > 0,
        }
        check_rules(
            self,
            checks,
            "alphas > 0; term_weights >= 0; drug_weights in [0, 1); residual_ranks >= 0; em_iterations, "
            "n_neighbours >= 1; at least one cell or term view",
        )

    def _new_blocks(self, data: Dataset) -> CellBlocks:
        return CellBlocks(
            self.cell_views, self.term_views, min_genes=self.min_term_genes, max_genes=self.max_term_genes
        ).fit(data)

    def _drug_kernel(self, mat: _Matrix, data: Dataset, weight: float) -> Any:
        if weight == 0:
            return None
        fp = _fingerprints(data, mat.drugs)
        similarity = tanimoto_matrix(fp, fp)
        np.fill_diagonal(similarity, 1.0)  # a drug without bits is still itself
        kd = (1 - weight) * np.eye(len(mat.drugs)) + weight * similarity
        e, v = np.linalg.eigh(kd)
        return np.clip(e, 1e-9, None), v, kd

    # ------------------------------------------------------------------- fitting
    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        self._check_params()
        if data.is_vector_target:
            raise ValueError(f"{type(self).__name__} needs a scalar target; {data.name} has a vector target")
        has_fp = MORGAN in data.perturbation_views
        if valid is not None and len(valid) == 0:
            valid = None
        blocks = self._new_blocks(data)
        grid: dict[str, list[Any]] = {
            "term_weight": [float(w) for w in dict.fromkeys(self.term_weights)] if blocks.n_terms else [0.0],
            "drug_weight": [float(w) for w in dict.fromkeys(self.drug_weights)] if has_fp else [0.0],
            "alpha": [float(a) for a in dict.fromkeys(self.alphas)],
            "residual_rank": [int(r) for r in dict.fromkeys(self.residual_ranks)],
        }
        rows = self._score_grid(data, valid, blocks, grid) if valid is not None else []
        table = pd.DataFrame(rows, columns=SELECTION_COLUMNS)
        ok = table[table["valid_pearson"].notna()]
        if len(ok):
            best = ok.sort_values("valid_pearson", ascending=False, kind="stable").iloc[0]
            chosen = {k: float(best[k]) for k in SELECTION_COLUMNS[:-1]}
        else:  # nothing to choose on: the middle of each grid
            chosen = {k: float(v[len(v) // 2]) for k, v in grid.items()}
        self.selection_ = table
        self.chosen_ = chosen
        final = union(data, valid) if self.refit else data
        self._fit_final(final, blocks if final is data else self._new_blocks(final), has_fp)

    def _score_grid(
        self, data: Dataset, valid: Dataset, blocks: CellBlocks, grid: dict[str, list[Any]]
    ) -> list[dict[str, float]]:
        """Mean per-drug Pearson r on ``valid`` of every setting, fitted on ``data``."""
        mat = _Matrix(data)
        g, t = blocks.blocks(data, mat.lines)
        vlines = np.unique(valid.cell_lines)
        gv, tv = blocks.blocks(valid, vlines)
        kg, kt, kgv, ktv = g @ g.T, t @ t.T, gv @ g.T, tv @ t.T
        fp_view = valid.perturbation_views.get(MORGAN) if MORGAN in data.perturbation_views else None
        train_fp = _fingerprints(data, mat.drugs) if fp_view is not None else np.zeros((len(mat.drugs), 0))
        unseen = self._weights_for(valid, mat.drugs, fp_view, train_fp)
        seen_rows = pd.Index(mat.lines).get_indexer(vlines)
        rows = []
        for tw in grid["term_weight"]:
            scale_t = tw * kg.trace() / max(kt.trace(), 1e-12)
            kernel, kv = kg + scale_t * kt, kgv + scale_t * ktv
            s, u = np.linalg.eigh(kernel)
            eig = (np.clip(s, 0.0, None), u)
            unit = kernel.trace() / len(kernel)
            for dw in grid["drug_weight"]:
                deig = self._drug_kernel(mat, data, dw)
                for a in grid["alpha"]:
                    for rank in grid["residual_rank"]:
                        coef, m0, resid = _em_solve(kernel, eig, mat, (a * unit, deig, rank), self.em_iterations)
                        zhat = kv @ coef + m0
                        zhat[seen_rows >= 0] += resid[seen_rows[seen_rows >= 0]]
                        pred = _gather(zhat, mat.mu, mat.sd, mat.drugs, vlines, valid, unseen)
                        score = per_group_pearson(valid.y, pred, valid.perturbations)
                        rows.append(dict(zip(SELECTION_COLUMNS, (a, tw, dw, rank, score), strict=True)))
        return rows

    def _fit_final(self, data: Dataset, blocks: CellBlocks, has_fp: bool) -> None:
        chosen = self.chosen_
        mat = _Matrix(data)
        g, t = blocks.blocks(data, mat.lines)
        kg, kt = g @ g.T, t @ t.T
        scale_t = chosen["term_weight"] * kg.trace() / max(kt.trace(), 1e-12) if t.shape[1] else 0.0
        phi = np.hstack([g, np.sqrt(scale_t) * t]) if scale_t > 0 else g
        kernel = kg + scale_t * kt
        s, u = np.linalg.eigh(kernel)
        setting = (chosen["alpha"] * kernel.trace() / len(kernel), self._drug_kernel(mat, data, chosen["drug_weight"]),
                   int(chosen["residual_rank"]))  # fmt: skip
        coef, m0, resid = _em_solve(kernel, (np.clip(s, 0.0, None), u), mat, setting, self.em_iterations)
        self.blocks_ = blocks
        self.term_scale_ = float(scale_t)
        self.primal_ = phi.T @ coef
        self.m0_, self.mu_, self.sd_ = m0, mat.mu, mat.sd
        self.drugs_ = mat.drugs.astype(str)
        self.lines_ = mat.lines.astype(str)
        self.residual_ = resid if setting[2] > 0 else np.zeros((0, len(mat.drugs)))
        self.drug_fp_ = (
            _fingerprints(data, mat.drugs).astype(np.uint8) if has_fp else np.zeros((len(mat.drugs), 0), np.uint8)
        )
        self.global_mean_ = float(np.mean(data.y))

    # ----------------------------------------------------------------- predicting
    def _neighbour_weights(self, fp: np.ndarray, train_fp: np.ndarray) -> np.ndarray:
        """(n_new, n_train) averaging weights of unseen drugs over the nearest training drugs."""
        sim = tanimoto_matrix(fp, train_fp)
        k = min(self.n_neighbours, len(train_fp))
        order = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        w = np.zeros_like(sim)
        rows = np.arange(len(sim))[:, None]
        w[rows, order] = np.maximum(sim[rows, order], 1e-6)
        return w / w.sum(1, keepdims=True)

    def _weights_for(
        self, data: Dataset, drugs: np.ndarray, fp_view: Any, train_fp: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Drugs of ``data`` unseen in training and their weights over the training drugs
        (uniform for a drug without a fingerprint)."""
        unseen = np.setdiff1d(np.unique(data.perturbations), drugs)
        weights = np.full((len(unseen), len(drugs)), 1.0 / max(len(drugs), 1))
        if len(unseen) and fp_view is not None and train_fp.shape[1]:
            has = np.isin(unseen, fp_view.ids)
            if has.any():
                fp = fp_view.lookup(unseen[has]).astype(np.float64)
                known = np.isfinite(fp).all(1)
                rows = np.flatnonzero(has)[known]
                if len(rows):
                    weights[rows] = self._neighbour_weights(fp[known], train_fp)
        return unseen, weights

    def _predict(self, data: Dataset) -> np.ndarray:
        lines = np.unique(data.cell_lines)
        g, t = self.blocks_.blocks(data, lines)
        phi = np.hstack([g, np.sqrt(self.term_scale_) * t]) if self.term_scale_ > 0 else g
        zhat = phi @ self.primal_ + self.m0_
        if len(self.residual_):
            seen = pd.Index(self.lines_).get_indexer(lines)
            zhat[seen >= 0] += self.residual_[seen[seen >= 0]]
        fp_view = data.perturbation_views.get(MORGAN) if self.drug_fp_.shape[1] else None
        unseen = self._weights_for(data, self.drugs_, fp_view, self.drug_fp_.astype(np.float64))
        self.fallback_counts_ = {"unseen_perturbation": int(np.isin(data.perturbations, unseen[0]).sum())}
        return _gather(zhat, self.mu_, self.sd_, self.drugs_, lines, data, unseen)

    # -------------------------------------------------------------------- saving
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self.blocks_.get_state()
        state = {
            "blocks": meta,
            "drugs": self.drugs_.tolist(),
            "lines": self.lines_.tolist(),
            "chosen": self.chosen_,
            "term_scale": self.term_scale_,
            "global_mean": self.global_mean_,
            "selection": self.selection_.to_dict("records"),
        }
        arrays |= {"primal": self.primal_, "m0": self.m0_, "mu": self.mu_, "sd": self.sd_,
                   "residual": self.residual_, "drug_fp": self.drug_fp_}  # fmt: skip
        return state, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.blocks_ = CellBlocks.from_state(meta["blocks"], arrays)
        self.drugs_ = np.asarray(meta["drugs"], dtype=str)
        self.lines_ = np.asarray(meta["lines"], dtype=str)
        self.chosen_ = dict(meta["chosen"])
        self.term_scale_ = float(meta["term_scale"])
        self.global_mean_ = float(meta["global_mean"])
        self.selection_ = pd.DataFrame(meta["selection"], columns=SELECTION_COLUMNS)
        for name in ("primal", "m0", "mu", "sd", "residual"):
            setattr(self, f"{name}_", np.asarray(arrays[name], dtype=np.float64))
        self.drug_fp_ = np.asarray(arrays["drug_fp"], dtype=np.uint8)


def _fingerprints(data: Dataset, drugs: np.ndarray) -> np.ndarray:
    """Binary Morgan bits of ``drugs`` (a drug without a fingerprint, e.g. one without a
    SMILES, reads as no bits: it shares strength with no other drug)."""
    view = data.perturbation_view(MORGAN)
    out = np.zeros((len(drugs), view.values.shape[1]), dtype=np.float64)
    has = np.isin(drugs, view.ids)
    if has.any():
        out[has] = np.nan_to_num(view.lookup(drugs[has])) > 0
    return out


def _gather(
    zhat: np.ndarray,
    mu: np.ndarray,
    sd: np.ndarray,
    drugs: np.ndarray,
    lines: np.ndarray,
    data: Dataset,
    unseen: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Each row's prediction: its line's standardised prediction for its drug, unscaled;
    unseen drugs average the training drugs' predictions with the given weights."""
    new_drugs, weights = unseen
    y = zhat * sd + mu
    if len(new_drugs):
        y = np.hstack([y, y @ weights.T])
        drugs = np.concatenate([np.asarray(drugs, dtype=str), np.asarray(new_drugs, dtype=str)])
    li = pd.Index(lines).get_indexer(data.cell_lines)
    di = pd.Index(drugs).get_indexer(data.perturbations)
    return y[li, di]


__all__ = ["CellBlocks", "MultiTaskRidge", "per_group_pearson", "tanimoto_matrix", "union"]
