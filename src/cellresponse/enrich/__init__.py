"""Gene-set enrichment: hypergeometric over-representation against GO-BP, query genes
taken from a DE result, and CMap-style connectivity of a query signature with a library."""

from cellresponse.enrich._connectivity import (
    METHODS,
    MODES,
    ConnectivityQuery,
    Method,
    Mode,
    connectivity_scores,
    match_genes,
    missing_genes_message,
    rank_connectivity,
)
from cellresponse.enrich._go import ENRICH_COLUMNS, go_enrichment, hypergeometric_enrichment
from cellresponse.enrich._query import DIRECTIONS, Direction, de_query, translate_genes

__all__ = [
    "DIRECTIONS",
    "ENRICH_COLUMNS",
    "METHODS",
    "MODES",
    "ConnectivityQuery",
    "Direction",
    "Method",
    "Mode",
    "connectivity_scores",
    "de_query",
    "go_enrichment",
    "hypergeometric_enrichment",
    "match_genes",
    "missing_genes_message",
    "rank_connectivity",
    "translate_genes",
]
