"""Gene-set enrichment: hypergeometric over-representation against GO-BP."""

from cellresponse.enrich._go import ENRICH_COLUMNS, go_enrichment, hypergeometric_enrichment

__all__ = ["ENRICH_COLUMNS", "go_enrichment", "hypergeometric_enrichment"]
