"""A small GO graph: parents/children, ancestors, annotation propagation.

Built from the frames of :mod:`cellresponse.io._go`. Edges point child -> parent;
annotations propagate up the edges given (by default ``is_a`` and ``part_of``, the
true-path rule: a gene annotated to a term is also annotated to every ancestor).

Examples
--------
>>> import pandas as pd
>>> terms = pd.DataFrame({"go_id": ["R", "A", "B"], "term": ["root", "a", "b"]})
>>> parents = pd.DataFrame({"child": ["A", "B"], "parent": ["R", "A"]})
>>> ann = pd.DataFrame({"symbol": ["g1", "g2"], "go_id": ["B", "A"]})
>>> go = GOGraph.from_frames(terms, parents, ann)
>>> sorted(go.ancestors("B"))
['A', 'R']
>>> sorted(go.annotations()["R"])
['g1', 'g2']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from functools import cached_property

import pandas as pd

from cellresponse._types import PathLike


class GOGraph:
    """Directed acyclic GO graph with direct gene annotations.

    Use :meth:`from_frames` or :func:`load_go_bp` rather than the constructor.

    Parameters
    ----------
    names
        ``go_id -> term name`` for every node.
    parents
        ``go_id -> parent go_ids`` (every node present, possibly empty).
    direct
        ``go_id -> genes`` annotated directly (unpropagated).

    Raises
    ------
    ValueError
        If an edge or annotation names an unknown term, or the graph has a cycle.
    """

    def __init__(
        self,
        names: Mapping[str, str],
        parents: Mapping[str, Iterable[str]],
        direct: Mapping[str, Iterable[str]],
    ) -> None:
        self._names = dict(names)
        self._parents: dict[str, frozenset[str]] = {t: frozenset(parents.get(t, ())) for t in self._names}
        unknown = [p for ps in self._parents.values() for p in ps if p not in self._names]
        extra = [t for t in parents if t not in self._names]
        if unknown or extra:
            bad = (unknown or extra)[0]
            raise ValueError(f"GO edge refers to term {bad!r}, which is not in the term table")
        bad_ann = [t for t in direct if t not in self._names]
        if bad_ann:
            raise ValueError(f"annotation refers to term {bad_ann[0]!r} not in the term table")
        self._direct = {t: frozenset(g) for t, g in direct.items()}
        children: dict[str, set[str]] = {t: set() for t in self._names}
        for child, ps in self._parents.items():
            for p in ps:
                children[p].add(child)
        self._children = {t: frozenset(c) for t, c in children.items()}
        self._order = self._topological_order()

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_frames(
        cls,
        terms: pd.DataFrame,
        parents: pd.DataFrame,
        annotations: pd.DataFrame,
        *,
        gene_column: str = "symbol",
    ) -> GOGraph:
        """Build from ``read_go_terms`` / ``read_go_parents`` / ``read_gene2go`` frames.

        Parameters
        ----------
        terms
            Columns ``go_id`` and ``term``.
        parents
            Columns ``child`` and ``parent`` (already filtered to the relationship types
            to propagate along).
        annotations
            Columns ``go_id`` and ``gene_column``.
        gene_column
            Gene identifier to use: ``"symbol"`` or ``"entrez_id"``.

        Raises
        ------
        KeyError
            If a required column is missing.
        """
        for name, df, cols in (
            ("terms", terms, ("go_id", "term")),
            ("parents", parents, ("child", "parent")),
            ("annotations", annotations, ("go_id", gene_column)),
        ):
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise KeyError(f"{name} lacks columns {missing}; has {list(df.columns)}")
        names = dict(zip(terms["go_id"].astype(str), terms["term"].astype(str), strict=True))
        par: dict[str, set[str]] = {}
        for c, p in zip(parents["child"].astype(str), parents["parent"].astype(str), strict=True):
            par.setdefault(c, set()).add(p)
        direct: dict[str, set[str]] = {}
        for t, g in zip(annotations["go_id"].astype(str), annotations[gene_column].astype(str), strict=True):
            direct.setdefault(t, set()).add(g)
        return cls(names, par, direct)

    def _topological_order(self) -> tuple[str, ...]:
        """Terms with every child before its parents (Kahn's algorithm)."""
        pending = {t: len(c) for t, c in self._children.items()}
        queue = deque(sorted(t for t, n in pending.items() if n == 0))
        order: list[str] = []
        while queue:
            t = queue.popleft()
            order.append(t)
            for p in self._parents[t]:
                pending[p] -= 1
                if pending[p] == 0:
                    queue.append(p)
        if len(order) != len(self._names):
            stuck = sorted(t for t, n in pending.items() if n > 0)
            raise ValueError(f"GO graph has a cycle through {', '.join(stuck[:5])}")
        return tuple(order)

    # -- structure ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, term: object) -> bool:
        return term in self._names

    @property
    def terms(self) -> tuple[str, ...]:
        """All term IDs, children before parents."""
        return self._order

    def _check(self, term: str) -> None:
        if term not in self._names:
            raise KeyError(f"GO term {term!r} is not in the graph")

    def name(self, term: str) -> str:
        """Human-readable name of ``term``."""
        self._check(term)
        return self._names[term]

    def parents(self, term: str) -> frozenset[str]:
        """Direct parents of ``term``."""
        self._check(term)
        return self._parents[term]

    def children(self, term: str) -> frozenset[str]:
        """Direct children of ``term``."""
        self._check(term)
        return self._children[term]

    @property
    def roots(self) -> tuple[str, ...]:
        """Terms without parents (``GO:0008150`` for BP)."""
        return tuple(sorted(t for t, p in self._parents.items() if not p))

    def ancestors(self, term: str) -> frozenset[str]:
        """All terms reachable through parent edges (excluding ``term``)."""
        self._check(term)
        return self._ancestor_map[term]

    def descendants(self, term: str) -> frozenset[str]:
        """All terms reachable through child edges (excluding ``term``)."""
        self._check(term)
        seen: set[str] = set()
        stack = list(self._children[term])
        while stack:
            t = stack.pop()
            if t not in seen:
                seen.add(t)
                stack.extend(self._children[t])
        return frozenset(seen)

    @cached_property
    def _ancestor_map(self) -> dict[str, frozenset[str]]:
        anc: dict[str, frozenset[str]] = {}
        for t in reversed(self._order):  # parents first
            acc: set[str] = set()
            for p in self._parents[t]:
                acc.add(p)
                acc |= anc[p]
            anc[t] = frozenset(acc)
        return anc

    def edges(self) -> pd.DataFrame:
        """Edges as a DataFrame with columns ``child`` and ``parent``."""
        rows = [(c, p) for c in self._order for p in sorted(self._parents[c])]
        return pd.DataFrame(rows, columns=["child", "parent"])

    # -- annotations ----------------------------------------------------------------
    @property
    def genes(self) -> frozenset[str]:
        """Every gene with at least one direct annotation."""
        out: set[str] = set()
        for g in self._direct.values():
            out |= g
        return frozenset(out)

    @cached_property
    def _propagated(self) -> dict[str, frozenset[str]]:
        acc: dict[str, frozenset[str]] = {}
        for t in self._order:  # children first
            genes = set(self._direct.get(t, ()))
            for c in self._children[t]:
                genes |= acc[c]
            acc[t] = frozenset(genes)
        return acc

    def annotations(
        self,
        *,
        propagate: bool = True,
        min_size: int = 1,
        max_size: int | None = None,
        universe: Iterable[str] | None = None,
    ) -> dict[str, frozenset[str]]:
        """Map each term to its gene set.

        Parameters
        ----------
        propagate
            Include genes annotated to descendants (true-path rule).
        min_size, max_size
            Keep terms whose gene set (after restricting to ``universe``) has a size in
            ``[min_size, max_size]``.
        universe
            Restrict every set to these genes.

        Returns
        -------
        dict
            ``go_id -> frozenset of genes``, children before parents.
        """
        source = self._propagated if propagate else self._direct
        keep = frozenset(universe) if universe is not None else None
        out: dict[str, frozenset[str]] = {}
        for t in self._order:
            genes = source.get(t, frozenset())
            if keep is not None:
                genes = genes & keep
            if len(genes) >= min_size and (max_size is None or len(genes) <= max_size):
                out[t] = genes
        return out

    def __repr__(self) -> str:
        return f"GOGraph({len(self)} terms, {len(self.roots)} roots, {len(self.genes)} annotated genes)"


def load_go_bp(
    root: PathLike | None = None,
    *,
    relationships: Iterable[str] = ("isa", "part of"),
    gene_column: str = "symbol",
    exclude_evidence: Iterable[str] = (),
) -> GOGraph:
    """Load the GO-BP graph and human annotations from ``go_bp_human/``.

    Parameters
    ----------
    root
        Data root (default :func:`cellresponse._paths.data_root`).
    relationships
        Edge types to keep and propagate along.
    gene_column
        ``"symbol"`` or ``"entrez_id"``.
    exclude_evidence
        Evidence codes to drop (e.g. ``("IEA",)``).

    Returns
    -------
    GOGraph
    """
    from cellresponse.io import go_dir, read_gene2go, read_go_parents, read_go_terms

    folder = go_dir(root)
    return GOGraph.from_frames(
        read_go_terms(folder / "go_bp_terms.tsv.gz"),
        read_go_parents(folder / "go_bp_parents.tsv.gz", relationships=relationships),
        read_gene2go(folder / "human_gene2go_bp.tsv.gz", exclude_evidence=exclude_evidence),
        gene_column=gene_column,
    )


__all__ = ["GOGraph", "load_go_bp"]
