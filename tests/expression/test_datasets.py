"""Real LINCS dataset builders (data root required) and their skip/raise reporting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse._paths import data_root
from cellresponse.chem import MorganSettings
from cellresponse.datasets._lincs import LincsTables, _assemble, load_lincs_272, load_lincs_a375_plate


@pytest.fixture(scope="module")
def root():
    try:
        path = data_root()
    except FileNotFoundError:
        pytest.skip("data root not available")
    if not (path / "lincs_l1000_small").is_dir():
        pytest.skip("lincs_l1000_small not available")
    return path


@pytest.fixture(scope="module")
def a375(root):
    return load_lincs_a375_plate(root=root)


def test_a375_plate(a375):
    ds = a375
    assert ds.task == "expression" and ds.y.shape == (280, 978)
    assert ds.obs["perturbation"].nunique() == 47 and set(ds.cell_lines) == {"A375"}
    assert sorted(np.round(ds.obs["dose"].unique(), 2)) == [0.04, 0.12, 0.37, 1.11, 3.33, 10.0]
    assert set(ds.obs["time"]) == {24.0}
    assert len(ds.info["skipped"]["compound_without_smiles"]) == 8
    assert ds.info["synthetic"] is False
    assert np.abs(ds.y).max() <= 10.0
    assert ds.cell_view("basal").n_features == 978 and ds.perturbation_view("morgan").n_features == 2048
    assert list(ds.cell_view("basal").feature_names) == list(ds.target_names)


def test_a375_raise_on_missing_smiles(root):
    with pytest.raises(KeyError, match="no SMILES"):
        load_lincs_a375_plate(root=root, on_missing="raise")


def test_lincs_272_merges_compound_ids_and_reports_skips(root):
    ds = load_lincs_272(root=root)
    assert set(ds.perturbations) == {"atorvastatin", "vemurafenib", "venlafaxine"}
    assert "BRD-K69726342" in ds.perturbation_meta.loc["atorvastatin", "pert_ids"]
    sk = ds.info["skipped"]
    assert len(sk["unparsed_dose_or_time"]) == 2
    assert len(sk["cell_line_without_basal"]) == 32 and sk["n_signatures_without_basal"] == 63
    assert ds.obs["cell_line"].nunique() == 32
    keys = ds.obs[["cell_line", "perturbation", "dose", "time"]]
    assert not keys.duplicated().any() and ds.obs["n_signatures"].sum() == ds.info["n_signatures_used"]
    with pytest.raises(KeyError, match="no basal profile"):
        load_lincs_272(root=root, on_missing="raise")


def _tiny_inputs():
    values = pd.DataFrame([[1.0, 2.0], [np.nan, 1.0], [0.5, 0.5]], index=["s1", "s2", "s3"], columns=["p1", "p2"])
    meta = pd.DataFrame(
        {
            "cell_id": ["A", "A", "B"],
            "pert_id": ["BRD-1", "BRD-1", "BRD-2"],
            "pert_iname": ["x", "x", "y"],
            "dose": [1.0, 2.0, 1.0],
            "time": [6.0, 6.0, 6.0],
        },
        index=values.index,
    )
    genes = pd.DataFrame({"entrez": ["1", "2"], "symbol": ["G1", "G2"]}, index=["p1", "p2"])
    smiles = pd.Series({"BRD-1": "CCO", "BRD-2": "c1ccccc1"})
    basal = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["A", "B"], columns=["1", "2"])
    return values, meta, genes, smiles, basal


def _build(*, on_missing="skip", **tables):
    values, meta, genes, smiles, basal = _tiny_inputs()
    parts = {"values": values, "meta": meta, "gene_ids": genes, "smiles": smiles, "basal": basal, **tables}
    morgan = MorganSettings(radius=2, n_bits=64)
    return _assemble(LincsTables(**parts), on_missing=on_missing, name="tiny", info={}, morgan=morgan)


def test_nan_signature_skipped_or_raised():
    ds = _build()
    assert ds.info["skipped"]["nan_signature"] == ["s2"] and len(ds) == 2
    with pytest.raises(ValueError, match="contain NaN: s2"):
        _build(on_missing="raise")


def test_compound_without_smiles_and_cell_without_basal():
    values, _, _, smiles, basal = _tiny_inputs()
    values = values.fillna(0.0)
    ds = _build(values=values, smiles=smiles.drop("BRD-2"))
    assert ds.info["skipped"]["compound_without_smiles"] == ["y"] and set(ds.perturbations) == {"x"}
    ds = _build(values=values, basal=basal.drop("B"))
    assert ds.info["skipped"]["cell_line_without_basal"] == ["B"] and set(ds.cell_lines) == {"A"}
    with pytest.raises(ValueError, match="no signature left"):
        _build(values=values, smiles=smiles.drop("BRD-2"), basal=basal.drop("A"))
    with pytest.raises(KeyError, match="no basal profile: A"):
        _build(values=values, basal=basal.drop("A"), on_missing="raise")


def test_invalid_smiles_skipped():
    values, *_ = _tiny_inputs()
    ds = _build(values=values.fillna(0.0), smiles=pd.Series({"BRD-1": "CCO", "BRD-2": "C1CC(("}))
    assert ds.info["skipped"]["invalid_smiles"] == ["y"] and set(ds.perturbations) == {"x"}
