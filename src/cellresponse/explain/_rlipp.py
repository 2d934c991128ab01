"""RLIPP term scores and embeddings for fitted visible neural networks.

RLIPP (relative local improvement in predictive power; Ma et al. 2018, Kuenzi et al.
2020): for a term, fit an L2-regularised linear model (ridge, alpha chosen by
cross-validation) predicting the response from the term's own neurons and another from
the neurons of its children; with Spearman correlations of their cross-validated
predictions,

    RLIPP = (rho_parent - rho_children) / rho_children.

Positive values mean the term's neurons carry more linearly decodable response
information than its children's together. DrugCell computes it per drug on the
DrugCell-*predicted* response (``target="predicted"``, the default; ``"observed"`` uses
the measured response). Leaf terms, which have no child terms, are compared with the
features of their directly annotated genes.

Without ``by_drug`` the pairs of all drugs are pooled and the response is centred per
drug first (term neurons carry no drug information).

Result table (long format, one row per term and drug): ``term``, ``drug`` (``"all"``
when pooled), ``level``, ``n_pairs``, ``n_children``, ``rho_parent``,
``rho_children``, ``rlipp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_predict

from cellresponse.data import Dataset

RLIPP_COLUMNS = ("term", "drug", "level", "n_pairs", "n_children", "rho_parent", "rho_children", "rlipp")
_ALPHAS = np.logspace(-3, 3, 7)


@dataclass(frozen=True)
class RLIPPProbe:
    """Settings of the cross-validated ridge probes that score each term.

    Parameters
    ----------
    n_splits
        Cross-validation folds of each probe.
    min_pairs
        Skip drugs (or the pooled set) with fewer pairs than this (or than ``n_splits``).
    random_state
        Seed of the fold assignment.
    """

    n_splits: int = 5
    min_pairs: int = 20
    random_state: int = 0


def _cv_spearman(x: np.ndarray, y: np.ndarray, *, n_splits: int, random_state: int) -> float:
    folds = KFold(n_splits=min(n_splits, len(y)), shuffle=True, random_state=random_state)
    pred = cross_val_predict(RidgeCV(alphas=_ALPHAS), x, y, cv=folds)
    if np.ptp(pred) == 0 or np.ptp(y) == 0:  # (std of equal floats can be 1e-17, not 0)
        return float("nan")
    return float(spearmanr(pred, y).statistic)


def _check_vnn(model: Any) -> None:
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(model, "term_states"):
        raise TypeError(f"RLIPP needs a fitted VNN model (vnn_drugcell / vnn_druggene), got {type(model).__name__}")
    check_is_fitted(model, "n_train_")


def rlipp(
    model: Any,
    data: Dataset,
    *,
    by_drug: bool = False,
    target: Literal["predicted", "observed"] = "predicted",
    terms: Sequence[str] | None = None,
    drugs: Sequence[str] | None = None,
    probe: RLIPPProbe | None = None,
) -> pd.DataFrame:
    """RLIPP score of every term (optionally per drug) of a fitted VNN model.

    Parameters
    ----------
    model
        A fitted ``vnn_drugcell`` / ``vnn_druggene`` model.
    data
        Pairs to score on (e.g. the test fold).
    by_drug
        One score per (term, drug) as DrugCell; else pairs are pooled.
    target
        ``"predicted"`` (model output, as DrugCell) or ``"observed"`` response.
    terms, drugs
        Restrict to these terms / drugs (default all).
    probe
        Folds, minimum pairs and seed of the ridge probes (default ``RLIPPProbe()``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RLIPP_COLUMNS`, sorted by ``rlipp`` descending.

    Raises
    ------
    TypeError
        If ``model`` is not a fitted VNN model.
    ValueError
        If ``target`` is unknown, a term is not in the model, or too few pairs remain.
    """
    _check_vnn(model)
    probe = RLIPPProbe() if probe is None else probe
    min_pairs, n_splits, random_state = probe.min_pairs, probe.n_splits, probe.random_state
    if target not in ("predicted", "observed"):
        raise ValueError(f"target must be 'predicted' or 'observed', got {target!r}")
    s = model.structure_
    cell_ids, states = model.term_states(data)  # (T, k, U)
    ent = model._entity_tensors(data)
    gene_inputs = ent.cells.numpy()  # (U, G, C)
    y = model.predict(data) if target == "predicted" else np.asarray(data.y, dtype=np.float64)
    cell_row = cell_ids.get_indexer(pd.Index(data.cell_lines))
    tpos = {t: i for i, t in enumerate(s.term_names)}
    chosen = list(s.term_names) if terms is None else list(terms)
    unknown = [t for t in chosen if t not in tpos]
    if unknown:
        raise ValueError(f"{len(unknown)} terms are not in the model's hierarchy: {unknown[:5]}")
    children = {t: s.edge_child[s.edge_parent == t] for t in range(s.n_terms)}
    genes = {t: s.pair_gene[s.pair_term == t] for t in range(s.n_terms)}
    if by_drug:
        all_drugs = pd.unique(data.perturbations)
        groups = [(d, np.flatnonzero(data.perturbations == d)) for d in (all_drugs if drugs is None else drugs)]
    else:
        centred = pd.Series(y).groupby(data.perturbations).transform("mean").to_numpy()
        y = y - centred
        groups = [("all", np.arange(len(data)))]
    rows = []
    for drug, idx in groups:
        if len(idx) < max(min_pairs, n_splits):
            continue
        yy = y[idx]
        cells = cell_row[idx]
        for term in chosen:
            t = tpos[term]
            x_parent = states[t][:, cells].T
            kids = children[t]
            if len(kids):
                x_child = states[kids][:, :, cells].reshape(-1, len(cells)).T
            else:
                x_child = gene_inputs[cells][:, genes[t], :].reshape(len(cells), -1)
            rho_p = _cv_spearman(x_parent, yy, n_splits=n_splits, random_state=random_state)
            rho_c = _cv_spearman(x_child, yy, n_splits=n_splits, random_state=random_state)
            score = (rho_p - rho_c) / rho_c if np.isfinite(rho_c) and rho_c != 0 else float("nan")
            rows.append((term, drug, int(s.term_level[t]), len(idx), len(kids), rho_p, rho_c, score))
    if not rows:
        raise ValueError(f"no drug has >= {max(min_pairs, n_splits)} pairs; lower min_pairs")
    table = pd.DataFrame(rows, columns=list(RLIPP_COLUMNS))
    return table.sort_values("rlipp", ascending=False, na_position="last").reset_index(drop=True)


def genotype_embedding(model: Any, data: Dataset) -> pd.DataFrame:
    """Root-term neurons per distinct cell line of ``data`` (rows: cell lines)."""
    _check_vnn(model)
    ids, states = model.term_states(data)
    root = states[-1]  # the root is the last term
    return pd.DataFrame(root.T, index=ids, columns=[f"n{i}" for i in range(root.shape[0])])


def drug_embedding(model: Any, data: Dataset) -> pd.DataFrame:
    """Last drug-branch layer per distinct drug of ``data`` (rows: drugs)."""
    _check_vnn(model)
    ids, emb = model.drug_embedding(data)
    return pd.DataFrame(emb, index=ids, columns=[f"d{i}" for i in range(emb.shape[1])])


__all__ = ["RLIPP_COLUMNS", "RLIPPProbe", "drug_embedding", "genotype_embedding", "rlipp"]
