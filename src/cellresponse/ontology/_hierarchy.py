"""A term hierarchy (DAG of terms with gene annotations) for visible neural networks.

:class:`Hierarchy` holds terms, term -> child-term edges and *direct* term -> gene
annotations, with one root. It is built from the DrugCell ontology file
(:func:`~cellresponse.ontology.read_drugcell_ontology`) or from GO-BP for any gene set
(:func:`~cellresponse.ontology.build_go_hierarchy`), validated on construction, and can be restricted to the
genes a dataset measures.

Filters follow DCell/DrugCell (Ma et al. 2018; Kuenzi et al. 2020):

- ``min_genes``: keep terms annotated (after propagation) with at least this many genes.
  Default 10: every term of the published DrugCell hierarchy covers >= 10 genes after
  propagation (median 23), which is the threshold its file satisfies.
- ``collapse_redundant``: a term with a single child whose gene set equals its own is
  redundant; the child is merged into it (the parent keeps its id and takes over the
  child's children, direct genes and other parents).
- ``max_depth``: drop terms more than ``max_depth`` edges below the root (longest path).

Dropping a term never drops a gene: a removed term's genes become direct annotations of
its nearest kept ancestors (direct genes of a kept term = its propagated genes minus
those of its kept children).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples

SYNTHETIC_ROOT = "ROOT"
GO_BP_ROOT = "GO:0008150"


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """A validated term DAG with direct gene annotations and a single root.

    Parameters
    ----------
    children
        Term -> child terms (every term of the hierarchy is a key, leaves map to ``()``).
    direct_genes
        Term -> genes annotated directly to the term (not to its descendants).
    name
        Label used in reports and cache keys.

    Raises
    ------
    ValueError
        On a cycle, several roots, a term without genes (after propagation), or an edge
        or annotation naming an unknown term.
    """

    children: Mapping[str, tuple[str, ...]]
    direct_genes: Mapping[str, tuple[str, ...]]
    name: str = "hierarchy"
    _parents: dict[str, list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        children = {str(t): tuple(dict.fromkeys(map(str, c))) for t, c in self.children.items()}
        for t in self.direct_genes:
            children.setdefault(str(t), ())
        direct = {t: tuple(dict.fromkeys(map(str, self.direct_genes.get(t, ())))) for t in children}
        unknown = sorted({c for cs in children.values() for c in cs if c not in children})
        for c in unknown:
            children[c] = ()
            direct[c] = ()
        parents: dict[str, list[str]] = {t: [] for t in children}
        for t, cs in children.items():
            for c in cs:
                parents[c].append(t)
        object.__setattr__(self, "children", children)
        object.__setattr__(self, "direct_genes", direct)
        object.__setattr__(self, "_parents", parents)
        self._validate()

    # ------------------------------------------------------------ validation
    def _validate(self) -> None:
        if not self.children:
            raise ValueError(f"hierarchy {self.name!r} has no terms")
        roots = [t for t, p in self._parents.items() if not p]
        if not roots:
            raise ValueError(f"hierarchy {self.name!r} has a cycle: {_find_cycle(self.children)}")
        if len(roots) > 1:
            raise ValueError(
                f"hierarchy {self.name!r} has {len(roots)} roots ({examples(sorted(roots))}); "
                "a VNN needs one. Use Hierarchy.with_single_root() to add a synthetic root."
            )
        self.levels  # noqa: B018 - raises on a cycle
        empty = [t for t, g in self.propagated_genes.items() if not g]
        if empty:
            raise ValueError(
                f"hierarchy {self.name!r}: {len(empty)} terms have no genes (direct or via "
                f"children): {examples(sorted(empty))}"
            )

    # ------------------------------------------------------------- structure
    @property
    def root(self) -> str:
        """The single root term."""
        return next(t for t, p in self._parents.items() if not p)

    @property
    def terms(self) -> tuple[str, ...]:
        """All terms, leaves first (level by level, as the VNN computes them)."""
        return tuple(t for level in self.levels for t in level)

    @cached_property
    def genes(self) -> tuple[str, ...]:
        """All annotated genes, sorted."""
        return tuple(sorted({g for gs in self.direct_genes.values() for g in gs}))

    @property
    def n_terms(self) -> int:
        return len(self.children)

    @property
    def n_genes(self) -> int:
        return len(self.genes)

    @property
    def n_edges(self) -> int:
        return sum(len(c) for c in self.children.values())

    @property
    def n_annotations(self) -> int:
        return sum(len(g) for g in self.direct_genes.values())

    def parents(self, term: str) -> tuple[str, ...]:
        """Parent terms of ``term``."""
        return tuple(self._parents[term])

    @cached_property
    def levels(self) -> tuple[tuple[str, ...], ...]:
        """Terms grouped by height: level 0 = leaves, last level = the root.

        A term's level is one more than the highest level among its children, so every
        child is computed before its parents (DrugCell's ``term_layer_list``).
        """
        remaining = {t: len(c) for t, c in self.children.items()}
        frontier = sorted(t for t, n in remaining.items() if n == 0)
        out: list[tuple[str, ...]] = []
        seen = 0
        while frontier:
            out.append(tuple(frontier))
            seen += len(frontier)
            nxt: set[str] = set()
            for t in frontier:
                for p in self._parents[t]:
                    remaining[p] -= 1
                    if remaining[p] == 0:
                        nxt.add(p)
            frontier = sorted(nxt)
        if seen != len(self.children):
            stuck = {t: c for t, c in self.children.items() if remaining[t] > 0}
            raise ValueError(f"hierarchy {self.name!r} has a cycle: {_find_cycle(stuck)}")
        return tuple(out)

    @property
    def depth(self) -> int:
        """Number of levels (longest root-to-leaf chain, in terms)."""
        return len(self.levels)

    @cached_property
    def propagated_genes(self) -> dict[str, frozenset[str]]:
        """Term -> all genes annotated to the term or any descendant."""
        out: dict[str, frozenset[str]] = {}
        for level in self.levels:
            for t in level:
                genes = set(self.direct_genes[t])
                for c in self.children[t]:
                    genes |= out[c]
                out[t] = frozenset(genes)
        return out

    def term_sizes(self) -> pd.Series:
        """Number of propagated genes per term (leaves first)."""
        return pd.Series({t: len(self.propagated_genes[t]) for t in self.terms}, name="n_genes")

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "n_terms": self.n_terms,
            "n_genes": self.n_genes,
            "n_edges": self.n_edges,
            "n_annotations": self.n_annotations,
            "n_levels": self.depth,
            "level_sizes": [len(lv) for lv in self.levels],
            "root": self.root,
        }

    # ----------------------------------------------------------- conversions
    @classmethod
    def from_frames(
        cls,
        edges: pd.DataFrame,
        annotations: pd.DataFrame,
        *,
        add_root: bool = False,
        name: str = "hierarchy",
    ) -> Hierarchy:
        """Build from ``edges`` (columns ``parent``, ``child``) and ``annotations`` (``term``, ``gene``).

        Every annotated gene's term must be a node of the edge graph or a standalone
        term; with ``add_root`` several roots are joined under a synthetic ``ROOT``.
        """
        for frame, cols, arg in ((edges, ("parent", "child"), "edges"), (annotations, ("term", "gene"), "annotations")):
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise ValueError(f"{arg} lacks columns {missing}; has {list(frame.columns)}")
        children: dict[str, list[str]] = {}
        for p, c in zip(edges["parent"].astype(str), edges["child"].astype(str), strict=True):
            if p == c:
                raise ValueError(f"hierarchy {name!r} has a cycle: {p} -> {p}")
            children.setdefault(p, []).append(c)
            children.setdefault(c, [])
        direct: dict[str, list[str]] = {}
        for t, g in zip(annotations["term"].astype(str), annotations["gene"].astype(str), strict=True):
            direct.setdefault(t, []).append(g)
        if edges.shape[0] > 0:
            orphan = sorted(set(direct) - set(children))
            if orphan:
                raise ValueError(
                    f"hierarchy {name!r}: genes are annotated to {len(orphan)} terms that are not in "
                    f"the term graph: {examples(orphan)}"
                )
        frozen = {t: tuple(c) for t, c in children.items()}
        for t in direct:
            frozen.setdefault(t, ())
        if add_root:
            frozen = _join_roots(frozen)
        return cls({k: v for k, v in frozen.items()}, {t: tuple(g) for t, g in direct.items()}, name=name)

    def with_single_root(self) -> Hierarchy:
        """This hierarchy (already single-rooted by construction)."""
        return self

    def to_frame(self) -> pd.DataFrame:
        """DrugCell format: columns ``parent``, ``child``, ``type`` (``default`` or ``gene``)."""
        rows = [(t, c, "default") for t in self.terms for c in self.children[t]]
        rows += [(t, g, "gene") for t in self.terms for g in self.direct_genes[t]]
        return pd.DataFrame(rows, columns=["parent", "child", "type"])

    def content_hash(self) -> str:
        """Hash of the structure (terms, edges, annotations); 16 hex digits."""
        h = hashlib.sha256()
        for t in sorted(self.children):
            h.update(f"{t}>{','.join(sorted(self.children[t]))}|{','.join(sorted(self.direct_genes[t]))}\n".encode())
        return h.hexdigest()[:16]

    def save(self, path: PathLike) -> Path:
        """Write the DrugCell-format TSV (``parent<TAB>child<TAB>type``, no header)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.to_frame().to_csv(out, sep="\t", header=False, index=False)
        return out

    # -------------------------------------------------------------- filtering
    def restrict_genes(self, genes: Iterable[str], *, min_genes: int = 1) -> Hierarchy:
        """Keep only annotations to ``genes``; drop terms left with fewer than ``min_genes``."""
        keep_genes = set(map(str, genes))
        direct = {t: tuple(g for g in gs if g in keep_genes) for t, gs in self.direct_genes.items()}
        return _prune(self.children, direct, min_genes=min_genes, name=self.name)

    def filter(
        self,
        *,
        min_genes: int = 10,
        collapse_redundant: bool = True,
        max_depth: int | None = None,
    ) -> Hierarchy:
        """Apply the DrugCell filters (see the module docstring) and return a new hierarchy."""
        out = _prune(self.children, self.direct_genes, min_genes=min_genes, name=self.name)
        if collapse_redundant:
            out = _collapse(out)
        if max_depth is not None:
            if max_depth < 0:
                raise ValueError(f"max_depth must be >= 0, got {max_depth}")
            out = _limit_depth(out, max_depth)
        return out


# ---------------------------------------------------------------- helpers
def _find_cycle(children: Mapping[str, Sequence[str]]) -> str:
    color: dict[str, int] = {}
    for start in children:
        if color.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                color[node] = 1
                path.append(node)
            kids = [c for c in children.get(node, ()) if c in children]
            if i < len(kids):
                stack.append((node, i + 1))
                nxt = kids[i]
                if color.get(nxt) == 1:
                    cyc = [*path[path.index(nxt) :], nxt]
                    return " -> ".join(cyc)
                if not color.get(nxt):
                    stack.append((nxt, 0))
            else:
                color[node] = 2
                path.pop()
    return "(not located)"


def _join_roots(children: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    has_parent = {c for cs in children.values() for c in cs}
    roots = sorted(t for t in children if t not in has_parent)
    if len(roots) <= 1:
        return children
    if SYNTHETIC_ROOT in children:
        raise ValueError(f"cannot add a synthetic root: a term is already named {SYNTHETIC_ROOT!r}")
    return {**children, SYNTHETIC_ROOT: tuple(roots)}


def _prune(
    children: Mapping[str, tuple[str, ...]],
    direct: Mapping[str, tuple[str, ...]],
    *,
    min_genes: int,
    name: str,
    drop: set[str] | None = None,
) -> Hierarchy:
    """Drop terms with < min_genes propagated genes (and ``drop``); push genes up."""
    prop = _propagate(children, direct)
    keep = {t for t, g in prop.items() if len(g) >= max(min_genes, 1)} - (drop or set())
    # the kept set is upward closed (a parent's genes are a superset of its child's, and
    # a parent is never deeper than its child), so kept terms keep a path to the root
    new_children = {t: tuple(c for c in children[t] if c in keep) for t in children if t in keep}
    new_direct: dict[str, tuple[str, ...]] = {}
    for t in new_children:
        covered: set[str] = set()
        for c in new_children[t]:
            covered |= prop[c]
        own = list(direct.get(t, ()))
        extra = sorted(prop[t] - covered - set(own))
        new_direct[t] = (*own, *extra)
    if not new_children:
        raise ValueError(f"hierarchy {name!r}: no term has >= {min_genes} genes")
    return Hierarchy(new_children, new_direct, name=name)


def _propagate(
    children: Mapping[str, tuple[str, ...]], direct: Mapping[str, tuple[str, ...]]
) -> dict[str, frozenset[str]]:
    h = Hierarchy.__new__(Hierarchy)
    parents: dict[str, list[str]] = {t: [] for t in children}
    for t, cs in children.items():
        for c in cs:
            parents[c].append(t)
    object.__setattr__(h, "children", dict(children))
    object.__setattr__(h, "direct_genes", {t: tuple(direct.get(t, ())) for t in children})
    object.__setattr__(h, "_parents", parents)
    object.__setattr__(h, "name", "propagation")
    return h.propagated_genes


def _collapse(h: Hierarchy) -> Hierarchy:
    children = {t: list(c) for t, c in h.children.items()}
    direct = {t: list(g) for t, g in h.direct_genes.items()}
    prop = h.propagated_genes
    changed = True
    while changed:
        changed = False
        for t in list(children):
            if t not in children or len(children[t]) != 1:
                continue
            (c,) = children[t]
            if prop[c] != prop[t]:
                continue
            # merge child c into t: t takes c's children and genes, c's other parents point to t
            children[t] = [x for x in children[c] if x != t]
            direct[t] = list(dict.fromkeys(direct[t] + direct[c]))
            for p, cs in children.items():
                if p != t and c in cs:
                    children[p] = list(dict.fromkeys(t if x == c else x for x in cs))
            del children[c], direct[c]
            changed = True
    return Hierarchy({t: tuple(c) for t, c in children.items()}, {t: tuple(g) for t, g in direct.items()}, name=h.name)


def _limit_depth(h: Hierarchy, max_depth: int) -> Hierarchy:
    depth = {h.root: 0}
    for level in reversed(h.levels):
        for t in level:
            for c in h.children[t]:
                depth[c] = max(depth.get(c, 0), depth[t] + 1)
    too_deep = {t for t, d in depth.items() if d > max_depth}
    return _prune(h.children, h.direct_genes, min_genes=1, name=h.name, drop=too_deep)


def random_hierarchy(genes: Iterable[str], *, term_size: int = 10, fan_in: int = 3, random_state: int = 0) -> Hierarchy:
    """A seeded random tree over ``genes``: a control hierarchy with no biology.

    Genes are shuffled into leaf terms of about ``term_size`` genes, then terms are
    grouped ``fan_in`` at a time into parents until one root remains (DCell compared
    against randomised ontologies the same way). Term ids are ``RAND:<level>:<i>``.

    Raises
    ------
    ValueError
        If ``genes`` is empty or a size parameter is < 1 (``fan_in`` < 2).
    """
    import numpy as np

    gene_list = sorted(set(map(str, genes)))
    if not gene_list:
        raise ValueError("random_hierarchy needs at least one gene")
    if term_size < 1 or fan_in < 2:
        raise ValueError(f"need term_size >= 1 and fan_in >= 2, got {term_size}, {fan_in}")
    rng = np.random.default_rng(random_state)
    order = [gene_list[i] for i in rng.permutation(len(gene_list))]
    n_leaves = max(1, len(order) // term_size)
    direct: dict[str, tuple[str, ...]] = {}
    children: dict[str, tuple[str, ...]] = {}
    level = [f"RAND:0:{i}" for i in range(n_leaves)]
    for i, term in enumerate(level):
        direct[term] = tuple(order[i::n_leaves])
        children[term] = ()
    depth = 0
    while len(level) > 1:
        depth += 1
        shuffled = [level[i] for i in rng.permutation(len(level))]
        n_parents = max(1, len(shuffled) // fan_in)
        level = [f"RAND:{depth}:{i}" for i in range(n_parents)]
        for i, term in enumerate(level):
            children[term] = tuple(shuffled[i::n_parents])
            direct[term] = ()
    return Hierarchy(children, direct, name=f"random[{len(gene_list)} genes, seed {random_state}]")


__all__ = ["GO_BP_ROOT", "SYNTHETIC_ROOT", "Hierarchy", "random_hierarchy"]
