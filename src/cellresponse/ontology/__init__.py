"""ontology"""

from cellresponse.ontology._drugcell import read_drugcell_ontology
from cellresponse.ontology._go import GOGraph, load_go_bp
from cellresponse.ontology._hierarchy import (
    Hierarchy,
    build_go_hierarchy,
    cached_go_hierarchy,
    random_hierarchy,
)

__all__ = [
    "GOGraph",
    "Hierarchy",
    "build_go_hierarchy",
    "cached_go_hierarchy",
    "load_go_bp",
    "random_hierarchy",
    "read_drugcell_ontology",
]
