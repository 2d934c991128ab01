"""GO-BP as a :class:`~cellresponse.ontology.Hierarchy`: read, restrict to genes, filter, cache.

The cached hierarchy is written with :meth:`Hierarchy.save` (the DrugCell format) and read
back with :func:`~cellresponse.ontology.read_drugcell_ontology`, so this module sits above
both the hierarchy and the DrugCell reader.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import cache_dir, examples
from cellresponse.ontology._drugcell import read_drugcell_ontology
from cellresponse.ontology._hierarchy import Hierarchy

GO_RELATIONSHIPS = ("isa", "part of")


def read_go_bp(root: PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GO-BP edges (``parent``, ``child``, ``relationship_type``; all types) and direct annotations.

    Parsing is done by :mod:`cellresponse.io` (files under ``go_bp_human/``); the
    pseudo-root ``all`` is dropped there.
    """
    from cellresponse.io import go_dir, read_gene2go, read_go_parents

    folder = go_dir(root)
    edges = read_go_parents(folder / "go_bp_parents.tsv.gz", relationships=None)
    edges = edges.rename(columns={"relationship": "relationship_type"})
    ann = read_gene2go(folder / "human_gene2go_bp.tsv.gz")
    ann = ann.rename(columns={"go_id": "term", "symbol": "gene"})[["term", "gene"]].drop_duplicates()
    return edges[["parent", "child", "relationship_type"]], ann


def build_go_hierarchy(
    genes: Iterable[str] | None = None,
    *,
    min_genes: int = 10,
    collapse_redundant: bool = True,
    max_depth: int | None = None,
    relationships: Sequence[str] = GO_RELATIONSHIPS,
    root: PathLike | None = None,
) -> Hierarchy:
    """A DrugCell-style hierarchy from GO-BP restricted to ``genes`` (symbols).

    Parameters
    ----------
    genes
        Gene symbols to keep (e.g. the genes of a dataset's views); None keeps all.
    min_genes, collapse_redundant, max_depth
        Filters, see :meth:`Hierarchy.filter`.
    relationships
        GO edge types followed (default is_a and part_of, as DCell).
    root
        Data root (default :func:`cellresponse._paths.data_root`).

    Raises
    ------
    ValueError
        If no gene of ``genes`` is annotated in GO-BP.
    """
    edges, ann = read_go_bp(root)
    edges = edges[edges["relationship_type"].isin(list(relationships))]
    if genes is not None:
        gene_set = set(map(str, genes))
        ann = ann[ann["gene"].isin(gene_set)]
        if ann.empty:
            raise ValueError(f"none of the {len(gene_set)} genes ({examples(sorted(gene_set))}) is annotated in GO-BP")
    terms_with_genes = set(ann["term"])
    # keep only the part of the DAG above annotated terms
    parents: dict[str, list[str]] = {}
    for c, p in zip(edges["child"], edges["parent"], strict=True):
        parents.setdefault(c, []).append(p)
    keep = set()
    stack = list(terms_with_genes)
    while stack:
        t = stack.pop()
        if t in keep:
            continue
        keep.add(t)
        stack.extend(parents.get(t, ()))
    edges = edges[edges["child"].isin(keep) & edges["parent"].isin(keep)]
    name = "go_bp" if genes is None else f"go_bp[{len(set(ann['gene']))} genes]"
    h = Hierarchy.from_frames(edges, ann, add_root=True, name=name)
    return h.filter(min_genes=min_genes, collapse_redundant=collapse_redundant, max_depth=max_depth)


def cached_go_hierarchy(
    genes: Iterable[str],
    *,
    min_genes: int = 10,
    collapse_redundant: bool = True,
    max_depth: int | None = None,
) -> Hierarchy:
    """:func:`build_go_hierarchy`, cached on disk keyed by a hash of genes and filters.

    The cache is ``<cache>/ontology/go_<key>.tsv`` in the DrugCell format (see
    :func:`cellresponse._util.cache_dir` for where ``<cache>`` is).
    """
    from cellresponse.io import go_dir

    gene_list = sorted(set(map(str, genes)))
    folder = go_dir()
    stamp = [(p.name, p.stat().st_size) for p in sorted(folder.glob("*.tsv.gz"))]
    key_doc = json.dumps([gene_list, min_genes, collapse_redundant, max_depth, stamp, 1])
    key = hashlib.sha256(key_doc.encode()).hexdigest()[:20]
    path = cache_dir("ontology") / f"go_{key}.tsv"
    if path.is_file():
        return read_drugcell_ontology(path, name=f"go_bp[{len(gene_list)} genes]")
    h = build_go_hierarchy(gene_list, min_genes=min_genes, collapse_redundant=collapse_redundant, max_depth=max_depth)
    tmp = path.with_suffix(".tmp")
    h.save(tmp)
    tmp.replace(path)
    return h


__all__ = ["GO_RELATIONSHIPS", "build_go_hierarchy", "cached_go_hierarchy", "read_go_bp"]
