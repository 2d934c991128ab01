"""Gene-set enrichment: hypergeometric over-representation against GO-BP, and query genes
taken from a DE result."""

from cellresponse.enrich._go import ENRICH_COLUMNS, go_enrichment, hypergeometric_enrichment
from cellresponse.enrich._query import DIRECTIONS, Direction, de_query, translate_genes

__all__ = [
    "DIRECTIONS",
    "ENRICH_COLUMNS",
    "Direction",
    "de_query",
    "go_enrichment",
    "hypergeometric_enrichment",
    "translate_genes",
]
