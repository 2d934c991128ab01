"""Featurizers: omics featurizers, learned cell-line representations, and the drug
fingerprints and descriptors of :mod:`cellresponse.chem` (re-exported here)."""

from cellresponse.chem import (
    DESCRIPTOR_NAMES,
    drug_descriptors,
    morgan_fingerprints,
    morgan_fingerprints_with_skipped,
)
from cellresponse.features._omics import EntityFeaturizer
from cellresponse.features._pathways import TermScorer, go_gene_sets

__all__ = [
    "DESCRIPTOR_NAMES",
    "EntityFeaturizer",
    "TermScorer",
    "drug_descriptors",
    "go_gene_sets",
    "morgan_fingerprints",
    "morgan_fingerprints_with_skipped",
]

# Learned cell-line representations (issue 6).
from cellresponse.features._representations import (
    REPRESENTATION_KINDS,
    Encoder,
    Layers,
    RepresentationConfig,
    Trainer,
    cache_dir,
    fit_encoder,
    register_representation_trainer,
    representation_key,
)

__all__ += [
    "REPRESENTATION_KINDS",
    "Encoder",
    "Layers",
    "RepresentationConfig",
    "Trainer",
    "cache_dir",
    "fit_encoder",
    "register_representation_trainer",
    "representation_key",
]
