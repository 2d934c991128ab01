"""GCT/GCTX readers and LINCS metadata parsing: every file of lincs_l1000_small/, synthetic
GCTX streaming, and bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from cellresponse._paths import data_root
from cellresponse.io import (
    iter_gctx_chunks,
    parse_dose,
    parse_dose_time,
    parse_time,
    read_basal_profiles,
    read_compound_smiles,
    read_gct,
    read_gct_text,
    read_gctx,
    read_gctx_meta,
    read_sig_info,
    read_transigen_pairs,
    write_gctx,
)
from cellresponse.io._common import read_csv_checked


def _lincs() -> Path:
    try:
        path = data_root() / "lincs_l1000_small"
    except FileNotFoundError:
        pytest.skip("data root not available")
    if not path.is_dir():
        pytest.skip("lincs_l1000_small not available")
    return path


def _read_any(path: Path) -> int:
    """Read one file of lincs_l1000_small with the matching reader; returns its row count."""
    name = path.name
    tg = path.parent
    if name.endswith((".gct", ".gct.gz", ".gctx")):
        return read_gct(path).shape[1]
    if name == "modz_n272x978_col_meta.csv":
        return len(read_sig_info(path, id_column="id"))
    if name == "modz_n272x978_row_meta.csv":
        return len(read_csv_checked(path, required=["id", "pr_gene_id", "pr_gene_symbol"]))
    if name == "modz_n272x978_signatures.csv.gz":
        return len(read_csv_checked(path, index_col=0))
    if name in ("chemCPA_lincs_drugs_smiles.csv.gz", "dhimmel_pertinfo.tsv.gz"):
        return len(read_compound_smiles(path))
    if name == "dhimmel_geneinfo.tsv.gz":
        return len(read_csv_checked(path, sep="\t", required=["pr_id", "pr_gene_symbol", "is_lm"]))
    if name == "dhimmel_cellinfo.tsv.gz":
        return len(read_csv_checked(path, sep="\t", required=["cell_id"]))
    if name == "basal_expression_modz_x1_n165x978.csv.gz":
        return len(read_basal_profiles(path, gene_info=tg / "landmark_geneinfo.csv"))
    if name == "landmark_geneinfo.csv":
        return len(read_csv_checked(path, required=["gene_id", "gene_symbol"]))
    if name == "processed_data_example_n100.h5":
        return len(read_transigen_pairs(path)[0])
    if name == "PROVENANCE.md":
        return len(path.read_text().splitlines())
    raise AssertionError(f"no reader for {path}: add one to this test")


def test_every_lincs_file_is_read():
    base = _lincs()
    files = sorted(p for p in base.rglob("*") if p.is_file())
    assert len(files) >= 14
    counts = {p.name: _read_any(p) for p in files}
    assert counts["modzs_n25x50.gct"] == 25
    assert counts["test_l1000.gct.gz"] == 377
    assert counts["test_l1000_highprecision.gctx"] == 377
    assert counts["modz_n272x978_col_meta.csv"] == 272
    assert counts["basal_expression_modz_x1_n165x978.csv.gz"] == 165
    assert counts["processed_data_example_n100.h5"] == 100


def test_gct_and_gctx_plate_agree_on_ids_and_dose():
    plate = _lincs() / "cmapPy_LJP005_A375_24H"
    text = read_gct(plate / "test_l1000.gct.gz")
    hdf = read_gctx(plate / "test_l1000_highprecision.gctx")
    assert text.shape == hdf.shape == (978, 377)
    assert text.version == "1.3"
    assert (text.data.index == hdf.data.index).all() and (text.data.columns == hdf.data.columns).all()
    d1 = parse_dose_time(text.col_meta)["dose"].to_numpy()
    d2 = parse_dose_time(hdf.col_meta)["dose"].to_numpy()
    np.testing.assert_allclose(np.nan_to_num(d1, nan=-1), np.nan_to_num(d2, nan=-1))
    assert set(np.round(d1[~np.isnan(d1)], 2)) == {0.04, 0.12, 0.37, 1.11, 3.33, 10.0}


def test_cmapr_gct_recovers_declared_metadata_count_and_matches_csv():
    src = _lincs() / "cmapR_example"
    gct = read_gct(src / "modzs_n25x50.gct")  # declares 15 col-meta lines, holds 1
    assert gct.shape == (50, 25)
    assert list(gct.col_meta.columns) == ["brew_prefix"]
    with pytest.raises(ValueError, match="column-metadata lines"):
        read_gct_text(src / "modzs_n25x50.gct", strict=True)
    full = pd.read_csv(src / "modz_n272x978_signatures.csv.gz", index_col=0)
    common_c = gct.data.columns.intersection(full.index)
    common_r = gct.data.index.intersection(full.columns)
    diff = gct.data.loc[common_r, common_c].to_numpy() - full.loc[common_c, common_r].T.to_numpy()
    assert diff.size >= 900 and np.abs(diff).max() <= 0.0051


def test_gctx_select_rows_and_columns():
    path = _lincs() / "cmapPy_LJP005_A375_24H" / "test_l1000_highprecision.gctx"
    full = read_gctx(path)
    rids, cids = list(full.data.index[[5, 1]]), list(full.data.columns[[300, 2, 10]])
    part = read_gctx(path, rids=rids, cids=cids)
    pd.testing.assert_frame_equal(part.data, full.data.loc[rids, cids])
    assert list(part.col_meta.index) == cids
    assert len(read_gctx_meta(path, dim="row")) == 978
    with pytest.raises(KeyError, match="not in the file"):
        read_gctx(path, cids=["nope"])


def _synthetic_gctx(path: Path, n_cols: int = 1000, n_rows: int = 40) -> np.ndarray:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(n_cols, n_rows)).astype(np.float32)
    col_meta = pd.DataFrame({"pert_idose": ["10 uM"] * n_cols, "cell_id": ["A375"] * n_cols})
    write_gctx(
        path,
        values=values,
        row_ids=[f"g{i}" for i in range(n_rows)],
        col_ids=[f"s{j}" for j in range(n_cols)],
        col_meta=col_meta,
        chunk_cols=128,
    )
    return values


def test_iter_gctx_chunks_streams_whole_file(tmp_path):
    values = _synthetic_gctx(tmp_path / "big.gctx")
    chunks = list(iter_gctx_chunks(tmp_path / "big.gctx", chunk_size=300, rids=["g3", "g0"]))
    assert [c.shape[1] for c in chunks] == [300, 300, 300, 100]
    joined = pd.concat([c.data for c in chunks], axis=1)
    np.testing.assert_array_equal(joined.to_numpy(), values[:, [3, 0]].T)
    assert chunks[-1].col_meta.index[-1] == "s999"
    assert parse_dose_time(chunks[0].col_meta)["dose"].eq(10.0).all()
    with pytest.raises(ValueError, match="chunk_size"):
        next(iter_gctx_chunks(tmp_path / "big.gctx", chunk_size=0))


def test_gctx_missing_metadata_groups(tmp_path):
    path = tmp_path / "bad.gctx"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("0/DATA/0/matrix", data=np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="missing HDF5 object"):
        read_gctx(path)
    with pytest.raises(ValueError, match="missing HDF5 object"):
        next(iter_gctx_chunks(path))


def test_gctx_shape_mismatch(tmp_path):
    path = tmp_path / "bad.gctx"
    write_gctx(path, values=np.zeros((3, 2)), row_ids=["a", "b"], col_ids=["x", "y", "z"])
    with h5py.File(path, "a") as h5:
        del h5["0/META/ROW/id"]
        h5["0/META/ROW/id"] = np.array([b"a", b"b", b"c"])
    with pytest.raises(ValueError, match="expected"):
        read_gctx(path)


GOOD_12 = "#1.2\n2\t2\nName\tDescription\ts1\ts2\ng1\tna\t1.0\t2.0\ng2\tna\t3.0\t4.0\n"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("#1.4\n2\t2\n", "line 1 must be"),
        ("#1.2\ntwo\t2\n", "integer dimensions"),
        ("#1.2\n2\n", "2 tab-separated"),
        ("#1.2\n2\t2\nName\tDescription\ts1\n", "header"),
        (
            "#1.2\n2\t2\nName\tDescription\ts1\ts2\ng1\tna\t1.0\tabc\ng2\tna\t3.0\t4.0\n",
            "non-numeric value 'abc'",
        ),
        ("#1.2\n3\t2\nName\tDescription\ts1\ts2\ng1\tna\t1.0\t2.0\n", "declares 3 data rows"),
        ("#1.2\n2\t2\nName\tDescription\ts1\ts2\n", "no data lines"),
    ],
)
def test_malformed_gct_headers(tmp_path, text, match):
    path = tmp_path / "bad.gct"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_gct(path)


def test_gct_12_and_gzip(tmp_path):
    path = tmp_path / "ok.gct.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(GOOD_12)
    gct = read_gct(path)
    assert gct.version == "1.2" and gct.shape == (2, 2)
    assert gct.data.loc["g2", "s1"] == 3.0


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("10 uM", None, 10.0),
        ("500 nM", None, 0.5),
        ("10.0 um", None, 10.0),
        ("10 µM", None, 10.0),
        ("10 <b5>M", None, 10.0),
        ("1 mM", None, 1000.0),
        ("3", "uM", 3.0),
        (100, "nM", 0.1),
        ("-666", None, np.nan),
    ],
)
def test_parse_dose(value, unit, expected):
    assert parse_dose(value, unit=unit) == pytest.approx(expected, nan_ok=True)


def test_parse_time_and_bad_units():
    assert parse_time("24 h") == 24.0
    assert parse_time("30 m") == 0.5
    assert parse_time(6, unit="h") == 6.0
    with pytest.raises(ValueError, match="unknown dose unit"):
        parse_dose("10 furlongs")
    with pytest.raises(ValueError, match="cannot parse time"):
        parse_time("6 h & 4 h")
    with pytest.raises(ValueError, match="no unit"):
        parse_dose("10")


def test_parse_dose_time_raise_and_skip():
    meta = pd.DataFrame({"pert_idose": ["10 uM", "5 kg"], "pert_itime": ["6 h", "6 h & 4 h"]}, index=["a", "b"])
    with pytest.raises(ValueError, match="row 'b'"):
        parse_dose_time(meta)
    out = parse_dose_time(meta, on_error="skip")
    assert out.attrs["unparsed"] == {"dose": ["b"], "time": ["b"]}
    assert out.loc["a", "dose"] == 10.0 and np.isnan(out.loc["b", "time"])
    both = pd.DataFrame({"pert_dose": ["500"], "pert_dose_unit": ["nM"], "pert_time": [24], "pert_time_unit": ["h"]})
    assert parse_dose_time(both)[["dose", "time"]].iloc[0].tolist() == [0.5, 24.0]


def test_smiles_maps_strip_space_and_skip_empty(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("BRD-A1, CCO\nBRD-A2, c1ccccc1\n")
    smi = read_compound_smiles(path)
    assert smi.to_dict() == {"BRD-A1": "CCO", "BRD-A2": "c1ccccc1"}
    path2 = tmp_path / "pertinfo.tsv"
    path2.write_text("pert_id\tcanonical_smiles\nBRD-A1\tCCO\nBRD-A3\t\n")
    smi2 = read_compound_smiles(path2)
    assert list(smi2.index) == ["BRD-A1"] and smi2.attrs["n_without_smiles"] == 1


def test_basal_profiles_reject_nan_and_gene_count(tmp_path):
    path = tmp_path / "basal.csv"
    path.write_text("cell,0,1\nA,1.0,\nB,2.0,3.0\n")
    with pytest.raises(ValueError, match="NaN in cell line"):
        read_basal_profiles(path)
    genes = tmp_path / "genes.csv"
    genes.write_text("gene_id\n1\n2\n3\n")
    path.write_text("cell,0,1\nA,1.0,2.0\n")
    with pytest.raises(ValueError, match="3 genes"):
        read_basal_profiles(path, gene_info=genes)


def test_basal_from_controls():
    from cellresponse.io import basal_from_controls

    values = pd.DataFrame([[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]], index=["w1", "w2", "w3"])
    meta = pd.DataFrame(
        {"cell_id": ["A375"] * 3, "pert_type": ["ctl_vehicle", "ctl_vehicle", "trt_cp"]},
        index=values.index,
    )
    basal = basal_from_controls(values, meta)
    assert basal.loc["A375"].tolist() == [2.0, 3.0]
    with pytest.raises(ValueError, match="no control signatures"):
        basal_from_controls(values, meta.assign(pert_type="trt_cp"))


def test_sig_info_reports_unparseable_times():
    meta = read_sig_info(_lincs() / "cmapR_example" / "modz_n272x978_col_meta.csv", id_column="id")
    assert len(meta.attrs["unparsed"]["time"]) == 2
    assert meta["time"].isna().sum() == 2 and set(meta["time"].dropna()) == {6.0, 24.0}
