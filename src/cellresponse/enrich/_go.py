"""Over-representation of a gene list in GO terms: hypergeometric test + BH FDR."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

ENRICH_COLUMNS: tuple[str, ...] = (
    "go_id",
    "term",
    "overlap",
    "term_size",
    "query_size",
    "universe_size",
    "fold_enrichment",
    "pvalue",
    "padj",
    "genes",
)


def hypergeometric_enrichment(
    genes: Iterable[str],
    gene_sets: Mapping[str, Iterable[str]],
    *,
    universe: Iterable[str] | None = None,
    min_size: int = 5,
    max_size: int = 500,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One-sided hypergeometric test of ``genes`` against each gene set.

    Parameters
    ----------
    genes
        Query genes (e.g. significant DE genes).
    gene_sets
        Set ID -> member genes (e.g. ``GOGraph.annotations(propagate=True)``).
    universe
        Background genes (e.g. all genes measured). Default: the union of all sets.
        The query and every set are intersected with it.
    min_size, max_size
        Test only sets whose size within the universe lies in this range.
    names
        Set ID -> readable name for the ``term`` column.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ENRICH_COLUMNS`, sorted by p-value; ``padj`` is BH over the
        tested sets; ``genes`` lists the overlap, ``;``-separated.

    Raises
    ------
    ValueError
        If no query gene is in the universe.
    """
    from scipy.stats import hypergeom

    from cellresponse.de import bh_fdr

    if universe is None:
        uni: set[str] = set()
        for s in gene_sets.values():
            uni |= set(s)
    else:
        uni = set(map(str, universe))
    query = set(map(str, genes)) & uni
    if not query:
        raise ValueError(
            f"none of the query genes is in the universe ({len(uni)} genes); check the "
            "identifier type (symbols vs Entrez / Ensembl)"
        )
    n_uni, n_query = len(uni), len(query)
    rows = []
    for set_id, members in gene_sets.items():
        s = set(members) & uni
        if not min_size <= len(s) <= max_size:
            continue
        hits = query & s
        k = len(hits)
        p = float(hypergeom.sf(k - 1, n_uni, len(s), n_query)) if k else 1.0
        rows.append(
            {
                "go_id": set_id,
                "term": (names or {}).get(set_id, set_id),
                "overlap": k,
                "term_size": len(s),
                "query_size": n_query,
                "universe_size": n_uni,
                "fold_enrichment": (k / n_query) / (len(s) / n_uni),
                "pvalue": min(max(p, 0.0), 1.0),
                "genes": ";".join(sorted(hits)),
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in ENRICH_COLUMNS if c != "padj"])
    out["padj"] = bh_fdr(out["pvalue"].to_numpy(dtype=float)) if len(out) else np.array([])
    out = out.loc[:, list(ENRICH_COLUMNS)]
    return out.sort_values(["pvalue", "go_id"], kind="stable").reset_index(drop=True)


def go_enrichment(
    genes: Iterable[str],
    go: object,
    *,
    universe: Iterable[str] | None = None,
    min_size: int = 5,
    max_size: int = 500,
) -> pd.DataFrame:
    """GO-BP over-representation with annotations propagated up is_a / part_of.

    Parameters
    ----------
    genes
        Query gene symbols (or whatever identifier ``go`` was built with).
    go
        A :class:`cellresponse.ontology.GOGraph`.
    universe
        Background; default all annotated genes. A given universe is intersected with
        the annotated genes (unannotated genes cannot be in any term).
    min_size, max_size
        Term-size range (within the universe).

    Returns
    -------
    pandas.DataFrame
        As :func:`hypergeometric_enrichment`, with GO term names.
    """
    from cellresponse.ontology import GOGraph

    if not isinstance(go, GOGraph):
        raise TypeError(f"go must be a GOGraph, got {type(go).__name__}")
    annotated = go.genes
    uni = annotated if universe is None else frozenset(map(str, universe)) & annotated
    sets = go.annotations(propagate=True, universe=uni, min_size=min_size, max_size=max_size)
    return hypergeometric_enrichment(
        genes,
        sets,
        universe=uni,
        min_size=min_size,
        max_size=max_size,
        names={t: go.name(t) for t in sets},
    )


__all__ = ["ENRICH_COLUMNS", "go_enrichment", "hypergeometric_enrichment"]
