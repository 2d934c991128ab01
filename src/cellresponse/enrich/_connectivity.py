"""Connectivity between a query signature and a library of signatures (CMap-style).

A query is either gene lists (``up`` and/or ``down``) or a full vector (gene -> value).
Each library signature gets one score; positive means the library item moves the genes
the way the query does (it *mimics* the query), negative that it moves them the other way
(it *reverses* it, the classic repurposing search for a disease signature).

Methods
-------
``wtcs`` (gene lists; default)
    The weighted connectivity score of the Connectivity Map (Subramanian et al., Cell
    2017): for each library signature, genes are sorted from most up to most down and a
    weighted Kolmogorov-Smirnov enrichment score is computed for the up set and for the
    down set (running sum over the sorted genes, stepping up by ``|value|`` / (sum of
    ``|value|`` over the set) at a set gene and down by 1 / (number of other genes)
    elsewhere; the score is the running sum's largest deviation from zero, with its sign).
    WTCS = (ES_up - ES_down) / 2 when the two have different signs, else 0. With one list
    only, its ES (the down list's with the sign flipped). Range -1..1. Not normalized
    against a null distribution (CMap's NCS needs thousands of reference signatures).
``spearman``, ``pearson`` (vector; default ``spearman``)
    The correlation between the query vector and the library signature over the genes
    they share. Range -1..1.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Method = Literal["wtcs", "spearman", "pearson"]
Mode = Literal["mimic", "reverse"]
METHODS: tuple[str, ...] = ("wtcs", "spearman", "pearson")
MODES: tuple[str, ...] = ("mimic", "reverse")


@dataclass(frozen=True)
class ConnectivityQuery:
    """A query signature: gene lists, or a full vector.

    Attributes
    ----------
    up, down
        Genes expected up / down (either may be empty, not both, when ``vector`` is None).
    vector
        Gene -> value (a full signature); excludes ``up``/``down``.
    method
        How to score it: ``wtcs`` (gene lists), ``spearman`` or ``pearson`` (vectors);
        ``None``: ``wtcs`` for lists, ``spearman`` for a vector.
    """

    up: tuple[str, ...] = ()
    down: tuple[str, ...] = ()
    vector: pd.Series | None = None
    method: Method | None = None

    def __post_init__(self) -> None:
        if self.method is not None and self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        object.__setattr__(self, "up", tuple(str(g).strip() for g in self.up))
        object.__setattr__(self, "down", tuple(str(g).strip() for g in self.down))
        if self.vector is not None:
            if self.up or self.down:
                raise ValueError("give a query as up/down gene lists or as a vector, not both")
            vec = pd.Series(self.vector, dtype=float)
            vec.index = pd.Index([str(g).strip() for g in vec.index])
            if vec.index.has_duplicates:
                dup = vec.index[vec.index.duplicated()].unique()
                raise ValueError(f"vector: duplicated genes {list(dup[:5])}")
            if not np.isfinite(vec.to_numpy()).all():
                bad = vec.index[~np.isfinite(vec.to_numpy())]
                raise ValueError(f"vector: non-finite values for genes {list(bad[:5])}")
            if len(vec) < 3:
                raise ValueError(f"vector: at least 3 genes are needed for a correlation, got {len(vec)}")
            object.__setattr__(self, "vector", vec)
        elif not self.up and not self.down:
            raise ValueError("up and down: give at least one gene (both lists are empty)")
        both = sorted(set(self.up) & set(self.down))
        if both:
            raise ValueError(f"up and down: genes in both lists: {both[:5]}")

    @property
    def is_vector(self) -> bool:
        return self.vector is not None

    @property
    def scoring(self) -> str:
        """The method used: ``method`` or the default for the query's kind."""
        return self.method or ("spearman" if self.is_vector else "wtcs")

    def genes(self) -> list[str]:
        return list(self.vector.index) if self.vector is not None else [*self.up, *self.down]


def match_genes(genes: Iterable[str], universe: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Map query genes onto ``universe`` (exact, then case-insensitive).

    Returns
    -------
    matched, missing
        Query gene -> universe gene; and the genes with no match.
    """
    exact = set(universe)
    lower: dict[str, str] = {}
    for g in universe:
        lower.setdefault(g.lower(), g)
    matched: dict[str, str] = {}
    missing: list[str] = []
    for g in genes:
        if g in exact:
            matched[g] = g
        elif g.lower() in lower:
            matched[g] = lower[g.lower()]
        else:
            missing.append(g)
    return matched, missing


def missing_genes_message(missing: Sequence[str], universe: Sequence[str], *, field: str, n: int = 5) -> str:
    """``field``: N genes are not among the signature genes, with close names."""
    hints = []
    for g in list(missing)[:n]:
        close = difflib.get_close_matches(g.upper(), [u.upper() for u in universe], n=2, cutoff=0.75)
        hints.append(f"{g} (closest: {', '.join(close)})" if close else g)
    more = ", ..." if len(missing) > n else ""
    return (
        f"{field}: {len(missing)} gene(s) are not among the model's {len(universe)} signature genes: "
        f"{'; '.join(hints)}{more}"
    )


def _enrichment(order_vals: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Signed weighted KS enrichment score per row (rows sorted from most up to most down)."""
    n_genes = hits.shape[1]
    n_hits = hits.sum(axis=1)
    w = np.abs(order_vals) * hits
    total = w.sum(axis=1, keepdims=True)
    # All-zero weights (a flat signature): fall back to the unweighted statistic.
    w = np.where(total > 0, w, hits.astype(float))
    total = w.sum(axis=1, keepdims=True)
    hit_cdf = np.cumsum(w, axis=1) / np.where(total > 0, total, 1.0)
    miss_cdf = np.cumsum(~hits, axis=1) / np.maximum(n_genes - n_hits, 1)[:, None]
    running = hit_cdf - miss_cdf
    idx = np.abs(running).argmax(axis=1)
    return running[np.arange(len(running)), idx]


def _wtcs(values: np.ndarray, genes: pd.Index, up: Sequence[str], down: Sequence[str]) -> np.ndarray:
    order = np.argsort(-values, axis=1, kind="stable")
    sorted_vals = np.take_along_axis(values, order, axis=1)
    es = {}
    for name, gene_set in (("up", up), ("down", down)):
        if not gene_set:
            continue
        mask = genes.isin(list(gene_set))
        es[name] = _enrichment(sorted_vals, mask[order])
    if "up" in es and "down" in es:
        eu, ed = es["up"], es["down"]
        return np.where(np.sign(eu) != np.sign(ed), (eu - ed) / 2.0, 0.0)
    return es["up"] if "up" in es else -es["down"]


def _correlation(values: np.ndarray, query: np.ndarray, *, method: str) -> np.ndarray:
    if method == "spearman":
        values = np.argsort(np.argsort(values, axis=1, kind="stable"), axis=1, kind="stable").astype(float)
        query = np.argsort(np.argsort(query, kind="stable"), kind="stable").astype(float)
    v = values - values.mean(axis=1, keepdims=True)
    q = query - query.mean()
    denom = np.sqrt((v**2).sum(axis=1) * (q**2).sum())
    return np.divide(v @ q, denom, out=np.zeros(len(v)), where=denom > 0)


def connectivity_scores(
    signatures: pd.DataFrame, query: ConnectivityQuery, *, method: Method | None = None
) -> pd.Series:
    """Connectivity of each row of ``signatures`` (items x genes) with ``query``.

    Parameters
    ----------
    signatures
        One signature per row (e.g. predicted signatures of a compound library), genes as
        columns.
    query
        Gene lists or a vector; every query gene must be a column (use
        :func:`match_genes` first to map or drop names).
    method
        ``wtcs`` (gene lists), ``spearman`` or ``pearson`` (vectors); default: the
        query's own (:attr:`ConnectivityQuery.scoring`).

    Returns
    -------
    pandas.Series
        One score per row, named ``connectivity``.

    Raises
    ------
    ValueError
        For a method that does not fit the query, non-finite signatures, or query genes
        that are not columns.

    Examples
    --------
    >>> sigs = pd.DataFrame([[3.0, 2.0, 0.0, -2.0], [-3.0, -2.0, 0.0, 2.0]],
    ...                     index=["same", "opposite"], columns=["A", "B", "C", "D"])
    >>> connectivity_scores(sigs, ConnectivityQuery(up=("A", "B"), down=("D",))).round(2).tolist()
    [1.0, -1.0]
    """
    if method is None:
        method = query.scoring  # type: ignore[assignment]
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if query.is_vector == (method == "wtcs"):
        kind = "a vector" if query.is_vector else "gene lists"
        raise ValueError(f"method {method!r} does not take {kind}; use {'spearman' if query.is_vector else 'wtcs'}")
    genes = pd.Index(signatures.columns.astype(str))
    absent = [g for g in query.genes() if g not in genes]
    if absent:
        raise ValueError(missing_genes_message(absent, list(genes), field="query"))
    values = signatures.to_numpy(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("signatures hold non-finite values")
    if query.vector is not None:
        cols = genes.get_indexer(query.vector.index)
        scores = _correlation(values[:, cols], query.vector.to_numpy(float), method=method)
    else:
        scores = _wtcs(values, genes, query.up, query.down)
    return pd.Series(scores, index=signatures.index, name="connectivity")


def rank_connectivity(
    scores: pd.Series, *, mode: Mode = "mimic", extra: Mapping[str, Sequence] | None = None
) -> pd.DataFrame:
    """Rank items by connectivity: ``mimic`` puts the highest score first, ``reverse`` the lowest.

    Ties keep the items' order in ``scores``. Returns a table with ``rank`` (1 = best),
    ``item``, ``connectivity`` and any ``extra`` columns (aligned with ``scores``).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be 'mimic' or 'reverse', got {mode!r}")
    table = pd.DataFrame({"item": scores.index.astype(str), "connectivity": scores.to_numpy(float)})
    for key, values in (extra or {}).items():
        table[key] = list(values)
    key = -table["connectivity"] if mode == "mimic" else table["connectivity"]
    order = np.argsort(key.to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


__all__ = [
    "METHODS",
    "MODES",
    "ConnectivityQuery",
    "Method",
    "Mode",
    "connectivity_scores",
    "match_genes",
    "missing_genes_message",
    "rank_connectivity",
]
