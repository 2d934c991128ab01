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

# Learned cell-line representations (issue 6).
from cellresponse.features._representations import (
    REPRESENTATION_KINDS,
    Encoder,
    RepresentationConfig,
    cache_dir,
    fit_encoder,
    representation_key,
)

__all__ += ["REPRESENTATION_KINDS", "Encoder", "RepresentationConfig", "cache_dir", "fit_encoder", "representation_key"]
