"""Ontologies: the GO-BP graph (enrichment) and term hierarchies (visible neural networks)."""

from cellresponse.ontology._drugcell import read_drugcell_ontology
from cellresponse.ontology._go import GOGraph, load_go_bp
from cellresponse.ontology._go_hierarchy import build_go_hierarchy, cached_go_hierarchy, read_go_bp
from cellresponse.ontology._hierarchy import GO_BP_ROOT, SYNTHETIC_ROOT, Hierarchy, random_hierarchy

__all__ = [
    "GO_BP_ROOT",
    "SYNTHETIC_ROOT",
    "GOGraph",
    "Hierarchy",
    "build_go_hierarchy",
    "cached_go_hierarchy",
    "load_go_bp",
    "random_hierarchy",
    "read_drugcell_ontology",
    "read_go_bp",
]
