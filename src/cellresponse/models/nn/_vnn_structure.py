"""The integer description of a gene hierarchy that :mod:`cellresponse.models.nn._vnn` computes on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class VNNStructure:
    """Integer description of a hierarchy mapped onto input genes.

    Terms are ordered level by level (leaves first); ``pair_term`` is sorted.

    Parameters
    ----------
    term_names, gene_names
        Term ids in computation order; input genes in column order.
    term_level
        ``(T,)`` level of each term (non-decreasing).
    pair_term, pair_gene
        ``(P,)`` direct annotations as (term index, gene index), sorted by term.
    edge_parent, edge_child
        ``(E,)`` term -> child-term edges as term indices.
    """

    term_names: tuple[str, ...]
    gene_names: tuple[str, ...]
    term_level: np.ndarray
    pair_term: np.ndarray
    pair_gene: np.ndarray
    edge_parent: np.ndarray
    edge_child: np.ndarray

    @classmethod
    def from_hierarchy(cls, hierarchy: Any, genes: Sequence[str] | None = None) -> VNNStructure:
        """Map a :class:`~cellresponse.ontology.Hierarchy` onto ``genes`` (default: its genes).

        Raises
        ------
        ValueError
            If a hierarchy gene is not among ``genes``.
        """
        gene_names = tuple(hierarchy.genes if genes is None else map(str, genes))
        gpos = {g: i for i, g in enumerate(gene_names)}
        missing = [g for g in hierarchy.genes if g not in gpos]
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise ValueError(
                f"{len(missing)} of the hierarchy's {hierarchy.n_genes} genes are absent from the "
                f"feature matrix: {shown}; restrict the hierarchy (Hierarchy.restrict_genes) first"
            )
        terms = hierarchy.terms
        tpos = {t: i for i, t in enumerate(terms)}
        level_of = {t: lv for lv, level in enumerate(hierarchy.levels) for t in level}
        pairs = [(tpos[t], gpos[g]) for t in terms for g in hierarchy.direct_genes[t]]
        edges = sorted((tpos[t], tpos[c]) for t in terms for c in hierarchy.children[t])
        pa = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        ea = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        return cls(
            term_names=tuple(terms),
            gene_names=gene_names,
            term_level=np.asarray([level_of[t] for t in terms], dtype=np.int64),
            pair_term=pa[:, 0].copy(),
            pair_gene=pa[:, 1].copy(),
            edge_parent=ea[:, 0].copy(),
            edge_child=ea[:, 1].copy(),
        )

    @property
    def n_terms(self) -> int:
        return len(self.term_names)

    @property
    def n_genes(self) -> int:
        return len(self.gene_names)

    @property
    def n_levels(self) -> int:
        return int(self.term_level.max()) + 1 if len(self.term_level) else 0

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "structure.term_level": self.term_level,
            "structure.pair_term": self.pair_term,
            "structure.pair_gene": self.pair_gene,
            "structure.edge_parent": self.edge_parent,
            "structure.edge_child": self.edge_child,
        }

    @classmethod
    def from_arrays(
        cls, term_names: Sequence[str], gene_names: Sequence[str], arrays: dict[str, np.ndarray]
    ) -> VNNStructure:
        get = {k.removeprefix("structure."): np.asarray(v, dtype=np.int64) for k, v in arrays.items()}
        return cls(tuple(term_names), tuple(gene_names), **get)


__all__ = ["VNNStructure"]
