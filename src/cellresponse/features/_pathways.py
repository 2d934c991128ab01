"""Gene-set summaries of per-gene cell-line features: GO-BP term activity scores.

A term's score for a cell line is the mean of a per-gene feature over the term's genes:
the mean standardised expression (an activity score), the fraction of the genes that
are mutated, or their mean copy number. Such scores average out the noise of single
genes and give linear models features that act like pathways.

Gene sets come from the shared GO-BP export (annotations propagated along ``is_a`` and
``part of``, :func:`cellresponse.ontology.load_go_bp`), restricted to the genes the data
measure; terms whose restricted sets hold fewer than ``min_genes`` or more than
``max_genes`` genes are dropped, and terms whose restricted sets are identical are kept
once (GO holds many near-duplicate parent/child terms).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from cellresponse._types import PathLike
from cellresponse.io import go_dir


def go_gene_sets(
    genes: Sequence[str], *, min_genes: int = 5, max_genes: int = 500, root: PathLike | None = None
) -> dict[str, frozenset[str]]:
    """GO-BP term -> its genes among ``genes`` (propagated annotations, size-filtered).

    Parameters
    ----------
    genes
        The measured genes (symbols).
    min_genes, max_genes
        Keep terms with this many measured genes (inclusive).
    root
        Data root holding ``go_bp_human/`` (default: ``$CELLRESPONSE_DATA``).

    Returns
    -------
    dict
        ``go_id -> frozenset of gene symbols``.
    """
    go = _go_graph(str(go_dir(root)))
    return go.annotations(min_size=min_genes, max_size=max_genes, universe=set(map(str, genes)))


@lru_cache(maxsize=2)
def _go_graph(folder: str) -> Any:
    """The GO-BP graph of ``folder`` (parsed once per process: ~10 s)."""
    from cellresponse.ontology import load_go_bp

    return load_go_bp(Path(folder).parent)


@dataclass
class TermScorer:
    """Mean of a per-gene feature over each gene set (GO term).

    Parameters
    ----------
    min_genes, max_genes
        Size range (measured genes) of the kept sets.

    Attributes
    ----------
    terms_
        Names of the kept sets, in output column order.
    genes_
        The genes the scorer reads, in input column order.
    indptr_, indices_
        Membership in CSR form: the genes (positions in ``genes_``) of term ``t`` are
        ``indices_[indptr_[t]:indptr_[t + 1]]``.

    Examples
    --------
    >>> scorer = TermScorer(min_genes=2).fit(["a", "b", "c"], gene_sets={"T1": {"a", "b"}, "T2": {"c"}})
    >>> scorer.terms_.tolist()
    ['T1']
    >>> scorer.transform(np.array([[1.0, 3.0, 5.0]])).tolist()
    [[2.0]]
    """

    min_genes: int = 5
    max_genes: int = 500
    terms_: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=str))
    genes_: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=str))
    indptr_: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    indices_: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def fit(
        self,
        genes: Sequence[str],
        *,
        gene_sets: Mapping[str, Iterable[str]] | None = None,
        root: PathLike | None = None,
    ) -> TermScorer:
        """Keep the sets with ``min_genes``-``max_genes`` of ``genes`` (GO-BP unless ``gene_sets``).

        Raises
        ------
        ValueError
            If the size range is empty or not positive.
        """
        if not 1 <= self.min_genes <= self.max_genes:
            raise ValueError(f"need 1 <= min_genes <= max_genes, got {self.min_genes} and {self.max_genes}")
        self.genes_ = np.asarray([str(g) for g in genes], dtype=str)
        position = {g: i for i, g in enumerate(self.genes_)}
        if gene_sets is None:
            gene_sets = go_gene_sets(
                self.genes_.tolist(), min_genes=self.min_genes, max_genes=self.max_genes, root=root
            )
        seen: set[tuple[int, ...]] = set()
        names, members = [], []
        for name in sorted(gene_sets):
            idx = tuple(sorted({position[g] for g in gene_sets[name] if g in position}))
            if not self.min_genes <= len(idx) <= self.max_genes or idx in seen:
                continue
            seen.add(idx)
            names.append(str(name))
            members.append(np.asarray(idx, dtype=np.int64))
        self.terms_ = np.asarray(names, dtype=str)
        self.indptr_ = np.concatenate([[0], np.cumsum([len(m) for m in members])]).astype(np.int64)
        self.indices_ = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
        return self

    @property
    def n_terms(self) -> int:
        return len(self.terms_)

    def matrix(self) -> Any:
        """The (genes x terms) averaging matrix (scipy CSC): column t holds 1/size on t's genes."""
        from scipy import sparse

        sizes = np.diff(self.indptr_)
        data = np.repeat(1.0 / np.maximum(sizes, 1), sizes)
        return sparse.csc_matrix((data, self.indices_, self.indptr_), shape=(len(self.genes_), self.n_terms))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Scores ``(n, n_terms)`` of a ``(n, len(genes_))`` per-gene matrix (no NaN)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.genes_):
            raise ValueError(f"expected a (n, {len(self.genes_)}) matrix over the fitted genes, got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("per-gene features hold NaN or infinite values; impute them before scoring terms")
        return np.asarray((self.matrix().T @ x.T).T)

    # ------------------------------------------------------------- persistence
    def get_state(self, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "min_genes": self.min_genes,
            "max_genes": self.max_genes,
            "terms": self.terms_.tolist(),
            "genes": self.genes_.tolist(),
        }
        return meta, {f"{prefix}.indptr": self.indptr_, f"{prefix}.indices": self.indices_}

    @classmethod
    def from_state(cls, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], prefix: str) -> TermScorer:
        out = cls(int(meta["min_genes"]), int(meta["max_genes"]))
        out.terms_ = np.asarray(meta["terms"], dtype=str)
        out.genes_ = np.asarray(meta["genes"], dtype=str)
        out.indptr_ = np.asarray(arrays[f"{prefix}.indptr"], dtype=np.int64)
        out.indices_ = np.asarray(arrays[f"{prefix}.indices"], dtype=np.int64)
        return out


__all__ = ["TermScorer", "go_gene_sets"]
