"""Featurizers: drug fingerprints and descriptors (RDKit, imported lazily)."""

from cellresponse.features._drugs import (
    DESCRIPTOR_NAMES,
    drug_descriptors,
    morgan_fingerprints,
    morgan_fingerprints_with_skipped,
)

__all__ = [
    "DESCRIPTOR_NAMES",
    "drug_descriptors",
    "morgan_fingerprints",
    "morgan_fingerprints_with_skipped",
]
