"""Drug structure: SMILES parsing, Morgan fingerprints, descriptors, similarity and scaffolds.

RDKit is imported inside the functions, so importing this package stays light.
"""

from cellresponse.chem._fingerprints import (
    DESCRIPTOR_NAMES,
    MorganSettings,
    canonical_smiles,
    drug_descriptors,
    morgan_fingerprints,
    morgan_fingerprints_with_skipped,
)
from cellresponse.chem._keys import structure_key, structure_keys
from cellresponse.chem._similarity import BUTINA_CUTOFF, butina_clusters, murcko_scaffolds, tanimoto_similarity

__all__ = [
    "BUTINA_CUTOFF",
    "DESCRIPTOR_NAMES",
    "MorganSettings",
    "butina_clusters",
    "canonical_smiles",
    "drug_descriptors",
    "morgan_fingerprints",
    "morgan_fingerprints_with_skipped",
    "murcko_scaffolds",
    "structure_key",
    "structure_keys",
    "tanimoto_similarity",
]
