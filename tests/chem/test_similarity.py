"""Tanimoto similarity, Bemis-Murcko scaffolds and Butina clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.chem import butina_clusters, morgan_fingerprints, murcko_scaffolds, tanimoto_similarity
from cellresponse.data import FeatureView

# Two aspirin-like esters, two phenethyl-alcohol-like compounds and two small alkanes.
SMILES = {
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "methyl_aspirin": "CC(=O)Oc1ccccc1C(=O)OC",
    "phenethyl_alcohol": "c1ccccc1CCO",
    "phenethylamine": "c1ccccc1CCN",
    "hexane": "CCCCCC",
    "heptane": "CCCCCCC",
}


def test_tanimoto_properties() -> None:
    rng = np.random.default_rng(0)
    bits = (rng.random((6, 64)) < 0.3).astype(np.float32)
    sim = tanimoto_similarity(bits)
    assert sim.shape == (6, 6) and np.allclose(sim, sim.T)
    assert np.allclose(np.diag(sim), 1.0) and (sim >= 0).all() and (sim <= 1).all()
    # against another set: rows follow the first argument, columns the second
    cross = tanimoto_similarity(bits[:2], bits)
    assert np.allclose(cross, sim[:2])
    # empty fingerprints have no shared bits: similarity 0, not NaN
    assert tanimoto_similarity(np.zeros((2, 8))).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(ValueError, match="equal bit counts"):
        tanimoto_similarity(bits, bits[:, :10])


def test_tanimoto_of_known_sets() -> None:
    a = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]])
    sim = tanimoto_similarity(a)
    assert sim[0, 1] == pytest.approx(2 / 3) and sim[0, 2] == 0.0


def test_butina_keeps_analogues_together() -> None:
    view = morgan_fingerprints(SMILES, n_bits=1024)
    clusters = butina_clusters(view, cutoff=0.7)
    assert list(clusters.index) == list(SMILES)
    assert clusters["hexane"] == clusters["heptane"]
    assert clusters["aspirin"] == clusters["methyl_aspirin"]
    assert clusters["hexane"] != clusters["aspirin"]
    # a tighter cutoff never merges more compounds than a looser one
    assert butina_clusters(view, cutoff=0.1).nunique() >= clusters.nunique()
    with pytest.raises(ValueError, match="cutoff"):
        butina_clusters(view, cutoff=1.5)


def test_butina_on_identical_fingerprints_is_one_cluster() -> None:
    view = FeatureView("morgan", pd.Index(["a", "b", "c"]), np.ones((3, 16), np.float32), pd.Index(range(16)))
    assert butina_clusters(view).nunique() == 1


def test_murcko_scaffolds_and_bad_smiles() -> None:
    scaf = murcko_scaffolds(pd.Series(SMILES))
    assert scaf["phenethyl_alcohol"] == scaf["phenethylamine"] == "c1ccccc1"
    assert scaf["hexane"] == "acyclic"
    with pytest.raises(ValueError, match="compound 'x'"):
        murcko_scaffolds(pd.Series({"x": "not-a-smiles"}))
    with pytest.raises(ValueError, match="compound 'y'"):
        murcko_scaffolds(pd.Series({"y": None}))
