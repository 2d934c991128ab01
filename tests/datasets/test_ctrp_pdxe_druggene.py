"""The ctrp_v2, pdxe and druggene datasets on the real files: the traps of each source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cellresponse.data import Dataset
from cellresponse.datasets import available_datasets, load_dataset


@pytest.fixture(scope="module")
def ctrp(data_dir: Path) -> Dataset:
    return load_dataset("ctrp_v2", root=data_dir)


@pytest.fixture(scope="module")
def pdxe(data_dir: Path) -> Dataset:
    return load_dataset("pdxe", root=data_dir)


def test_registered_and_documented() -> None:
    listed = available_datasets()
    assert listed["ctrp_v2"]["targets"] == ["auc"]
    assert listed["pdxe"]["targets"] == ["best_avg_response", "mrecist"]
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    # tests/engine registers tiny_* panels for the whole session when it runs in the same process
    missing = [n for n in listed if f"`{n}`" not in readme and not listed[n]["description"].endswith("test panel")]
    assert not missing, f"datasets missing from the README dataset table: {missing}"


def test_ctrp(ctrp: Dataset) -> None:
    assert ctrp.target == "auc" and ctrp.info["target_direction"] == "resistance"
    assert ctrp.y.min() > 0.05 and ctrp.y.max() < 30  # CTRP's AUC is not normalised
    assert ctrp.obs["perturbation"].nunique() == 545  # every compound kept, with or without SMILES
    h = ctrp.info["harmonization"]
    assert ctrp.obs["cell_line"].nunique() == 845 and h["n_unmatched"] == 42  # BT### gliomas, KRIJ, ...
    assert h["matched_by"]["curated"] == 1  # TTTHYROID
    assert h["n_duplicate_groups"] > 0 and ctrp.obs["n_measurements"].max() == 3  # repeated experiments averaged
    # HCC827 + erlotinib is far more sensitive than the median line (PROVENANCE sanity check)
    hcc827 = ctrp.cell_meta.index[ctrp.cell_meta["name"] == "HCC827"][0]
    erl = ctrp.obs["perturbation"] == "erlotinib"
    assert ctrp.y[(erl & (ctrp.obs["cell_line"] == hcc827)).to_numpy()][0] < np.median(ctrp.y[erl.to_numpy()]) - 5
    assert len(ctrp.perturbation_view("morgan")) == 161  # 163 name-matched SMILES, 2 unparseable
    assert len(ctrp.info["notes"]["mixtures"]) == 49
    drugs = ctrp.info["drug_harmonization"]
    assert drugs["extra"]["shared_with"]["gdsc2"] >= 85 and len(drugs["unmatched"]) > 200
    meta = ctrp.perturbation_meta
    assert meta.loc["BYL-719", "drug_key"] == "alpelisib" and meta["structure_key"].notna().sum() == 161


def test_pdxe(pdxe: Dataset) -> None:
    assert pdxe.target == "best_avg_response" and pdxe.info["target_direction"] == "resistance"
    assert pdxe.obs["cell_line"].str.match(r"^X-\d+$").all()  # PDX ids, never DepMap ids
    assert set(pdxe.cell_meta["kind"]) == {"pdx"}
    assert set(pdxe.cell_meta["tissue"]) == {"breast", "colorectal", "skin", "lung", "pancreas"}  # no gastric arm
    assert not pdxe.obs["perturbation"].str.contains(r" \+ ").any()  # combinations skipped ...
    skipped = pdxe.info["harmonization"]["extra"]["arms_skipped"]
    assert skipped["combination"] == 968 and skipped["untreated_control"] == 184  # ... and reported
    assert len(pdxe) == 3699 - 968 - 184 and pdxe.obs["perturbation"].nunique() == 36
    assert {"binimetinib", "binimetinib-3.5mpk"} <= set(pdxe.perturbations)  # a dose variant is its own arm
    assert set(pdxe.obs["mrecist_class"]) == {"CR", "PR", "SD", "PD"}
    assert len(pdxe.cell_view("expression")) == 191 and pdxe.cell_view("expression").values.max() < 20  # log2
    meta = pdxe.perturbation_meta
    assert meta.loc["BYL719", "drug_key"] == "alpelisib" and meta.loc["BYL719", "smiles"]
    assert meta["smiles"].notna().sum() == pdxe.info["notes"]["drugs_with_structure"] == 12


def test_pdxe_mrecist_target(data_dir: Path) -> None:
    ds = load_dataset("pdxe", root=data_dir, target="mrecist", cell_views=("expression",))
    code = {"CR": 0, "PR": 1, "SD": 2, "PD": 3}
    assert (ds.y == ds.obs["mrecist_class"].map(code).to_numpy()).all()
    assert set(ds.cell_views) == {"expression"}


def test_druggene_with_gdsc_omics(data_dir: Path) -> None:
    ds = load_dataset("druggene", root=data_dir)
    assert set(ds.cell_views) == {"expression", "mutation", "cnv"}
    # 3 test pairs belong to lines DepMap does not know; 2 test pairs are also training pairs in the
    # DrugGene files: averaged and kept in training (the earlier part), never tested
    assert ds.obs["split"].value_counts().to_dict() == {"train": 8940, "val": 888, "test": 905}
    assert ds.info["notes"]["pairs_in_two_parts"] == {"train+test": 2, "train+val": 1}
    lost = ds.info["notes"]["lines_without_omics"]["expression"]
    assert lost["of"] == ds.obs["cell_line"].nunique() and 0 < lost["n"] < lost["of"] / 2
    assert ds.info["notes"]["lines_not_harmonized"] == ds.info["harmonization"]["unmatched"]


def test_ctrp_structure_model_drops_compounds_without_smiles(ctrp: Dataset) -> None:
    """A structure model on CTRP: the 384 compounds without a usable SMILES are a reported skip."""
    from cellresponse.evaluate import rows_for_models

    rows = rows_for_models(ctrp, ["drug_mean", "elastic_net"])
    lost = rows.dropped["perturbation:morgan"]
    assert lost["perturbations"] == 545 - 161 and lost["rows"] > 0
    assert "lack the 'morgan' view that elastic_net reads" in rows.describe()
    assert rows_for_models(ctrp, ["drug_mean", "ridge_per_drug"]).dropped.get("perturbation:morgan") is None
