"""Predicting pairs whose cell line or drug is new: features come from omics rows / SMILES."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse import pipeline
from cellresponse.datasets import load_dataset
from cellresponse.models import make_model


@pytest.fixture(scope="module")
def demo():
    return load_dataset("gdsc2_demo")


def test_new_cell_line_from_omics_rows_matches_known_line(demo, tmp_path):
    model = make_model("ridge_per_drug", n_top_genes=100, one_hot_tissue=False).fit(demo)
    model.save(tmp_path / "m")
    line = demo.cell_lines[0]
    drugs = sorted(set(demo.perturbations))[:3]
    expr = demo.cell_view("expression").to_frame().loc[[line]].rename(index={line: "NEW-LINE"})
    pairs = pd.DataFrame({"cell_line": ["NEW-LINE"] * 3 + [line] * 3, "drug": drugs * 2})
    data = pipeline.pairs_dataset(pairs, reference=demo, cell_views={"expression": expr})
    preds = pipeline.predict(tmp_path / "m", data)["prediction"].to_numpy()
    np.testing.assert_allclose(preds[:3], preds[3:], rtol=1e-5)


def test_new_drug_from_smiles(demo, tmp_path):
    model = make_model("lightgbm", n_top_genes=100, cell_components=8, drug_components=4, n_estimators=20, n_jobs=1)
    model.fit(demo).save(tmp_path / "g")
    pairs = pd.DataFrame({"cell_line": demo.cell_lines[:2], "drug": ["aspirin", "aspirin"]})
    data = pipeline.pairs_dataset(pairs, reference=demo, smiles=pd.Series({"aspirin": "CC(=O)Oc1ccccc1C(=O)O"}))
    out = pipeline.predict(tmp_path / "g", data)
    assert np.isfinite(out["prediction"]).all()


def test_new_rows_missing_genes_and_bad_smiles_are_errors(demo):
    expr = demo.cell_view("expression").to_frame().iloc[:1, :10]
    pairs = pd.DataFrame({"cell_line": ["X"], "drug": [demo.perturbations[0]]})
    with pytest.raises(ValueError, match="lack 990 features"):
        pipeline.pairs_dataset(pairs, reference=demo, cell_views={"expression": expr})
    with pytest.raises(ValueError, match="not-a-drug"):
        pipeline.pairs_dataset(pairs, reference=demo, smiles=pd.Series({"not-a-drug": "C1CC(("}))
    with pytest.raises(ValueError, match="columns 'cell_line' and 'drug'"):
        pipeline.pairs_dataset(pd.DataFrame({"x": [1]}), reference=demo)
