"""LEAP-style layered ensembles: representations x seeds x vectorised heads, then a combiner."""

from cellresponse.models.leap._ensemble import COMBINERS, LeapModel, pivot_targets
from cellresponse.models.leap._heads import HEAD_KINDS, Head, enet_fista, make_head

__all__ = ["COMBINERS", "HEAD_KINDS", "Head", "LeapModel", "enet_fista", "make_head", "pivot_targets"]
