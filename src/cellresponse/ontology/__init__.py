"""ontology"""

from cellresponse.ontology._go import GOGraph, load_go_bp

__all__ = [
    "GOGraph",
    "load_go_bp",
]
