"""``predict`` never makes a number up: unknown IDs, missing omics and doses outside the
training range are errors (or, when asked, NaN / imputed / extrapolated and flagged)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse import pipeline
from cellresponse.cli import main
from cellresponse.datasets import load_dataset
from cellresponse.errors import InputError
from cellresponse.models import closest_ids, make_model


@pytest.fixture(scope="module")
def demo():
    return load_dataset("gdsc2_demo")


@pytest.fixture(scope="module")
def ridge_dir(demo, tmp_path_factory):
    path = tmp_path_factory.mktemp("ridge") / "m"
    make_model("ridge_per_drug", n_top_genes=100, one_hot_tissue=False).fit(demo).save(path)
    return path


def _pairs(tmp_path, cells, drugs):
    path = tmp_path / "pairs.csv"
    pd.DataFrame({"cell_line": cells, "drug": drugs}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("drug", ["NoSuchDrug", "camptothecin", " Camptothecin ", "CAMPTOTHECIN"])
def test_unknown_drugs_are_errors_with_the_closest_known_ids(drug, demo, ridge_dir, tmp_path, capsys):
    line = demo.cell_lines[0]
    pairs = _pairs(tmp_path, [line, line], ["Camptothecin", drug])
    assert main(["predict", "--model", str(ridge_dir), "--pairs", str(pairs), "--dataset", "gdsc2_demo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cellresponse predict: error: ") and err.count("\n") == 1
    assert f"1 unknown drug(s): {drug!r}" in err and "--allow-unknown" in err
    if drug != "NoSuchDrug":
        assert "(closest known: 'Camptothecin')" in err
    else:
        assert "no close match; known e.g." in err


def test_allow_unknown_gives_nan_and_a_status_never_a_fallback(demo, ridge_dir, tmp_path, capsys):
    line = demo.cell_lines[0]
    pairs = _pairs(tmp_path, [line, line, "NOT-A-LINE"], ["Camptothecin", "NoSuchDrug", "Camptothecin"])
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(ridge_dir), "--pairs", str(pairs), "--dataset", "gdsc2_demo",
                 "--allow-unknown", "--out", str(out)]) == 0  # fmt: skip
    table = pd.read_csv(out)
    assert list(table["status"]) == ["ok", "unknown_drug", "unknown_cell_line"]
    assert np.isfinite(table["prediction"][0]) and table["prediction"][1:].isna().all()


def test_closest_ids_ignore_case_space_and_punctuation():
    known = ["5-Fluorouracil", "Camptothecin", "Cisplatin"]
    assert closest_ids(" 5 fluorouracil", known) == ["5-Fluorouracil"]
    assert closest_ids("Camptothecn", known)[0] == "Camptothecin"
    assert closest_ids("zzzz", known) == []


def test_new_cell_lines_need_features_and_mostly_missing_rows_are_named(demo, ridge_dir, tmp_path, capsys):
    genes = demo.cell_view("expression").feature_names
    expr = demo.cell_view("expression").to_frame().iloc[:2].copy()
    expr.index = ["NEW-1", "NEW-2"]
    expr.iloc[1, :] = np.nan  # all missing
    expr_path = tmp_path / "expr.csv"
    expr.rename_axis("cell_line").to_csv(expr_path)
    pairs = _pairs(tmp_path, ["NEW-1", "NEW-2"], ["Camptothecin", "Camptothecin"])
    base = ["predict", "--model", str(ridge_dir), "--pairs", str(pairs), "--dataset", "gdsc2_demo",
            "--expression", str(expr_path)]  # fmt: skip
    assert main(base) == 2
    err = capsys.readouterr().err
    assert f"--expression table {expr_path}: 1 row(s) are mostly missing: 'NEW-2' (100% missing)" in err
    assert "--impute-missing" in err
    out = tmp_path / "p.csv"
    assert main([*base, "--impute-missing", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table["imputed"]) == [0.0, 1.0] and np.isfinite(table["prediction"]).all()
    expr.iloc[1, :] = 1.0
    expr.iloc[1, 3] = "high"
    expr.rename_axis("cell_line").to_csv(expr_path)
    assert main(base) == 2
    assert f"row 'NEW-2', column {genes[3]!r} holds 'high'; expected a number" in capsys.readouterr().err


def test_pairs_with_empty_ids_are_refused(demo):
    pairs = pd.DataFrame({"cell_line": [demo.cell_lines[0], None], "drug": ["Camptothecin", "Camptothecin"]})
    with pytest.raises(InputError, match="column 'cell_line' is empty at data row"):
        pipeline.pairs_dataset(pairs, reference=demo)


@pytest.fixture(scope="module")
def expr_dir(_synth, tmp_path_factory):
    path = tmp_path_factory.mktemp("expr") / "m"
    make_model("expr_ridge").fit(_synth).save(path)
    return path


@pytest.mark.parametrize(
    ("dose", "message"),
    [
        ("inf", "argument --dose: expected a finite number, got 'inf'"),
        ("nan", "argument --dose: expected a finite number, got 'nan'"),
        ("-1", "argument --dose: expected a finite number > 0, got '-1'"),
        ("0", "argument --dose: expected a finite number > 0, got '0'"),
        ("1e300", "--dose must lie in [1e-06, 10000], got 1e+300"),
        ("5000", "dose 5000 outside the training range"),
    ],
)
def test_doses_must_be_finite_positive_and_within_the_training_range(dose, message, _synth, expr_dir, capsys):
    cell = str(_synth.cell_lines[0])
    rc = main(["predict", "--model", str(expr_dir), "--compound-smiles", "CCO", "--cell-line", cell,
               "--dose", dose, "--time", "24"])  # fmt: skip
    assert rc == 2
    assert message in capsys.readouterr().err


def test_extrapolation_only_when_asked_and_flagged(_synth, expr_dir, tmp_path):
    cell = str(_synth.cell_lines[0])
    doses = _synth.obs["dose"]
    args = ["predict", "--model", str(expr_dir), "--compound-smiles", "CCO", "--cell-line", cell, "--time",
            str(float(_synth.obs["time"].iloc[0]))]  # fmt: skip
    inside, outside = tmp_path / "in.csv", tmp_path / "out.csv"
    assert main([*args, "--dose", str(float(doses.median())), "--out", str(inside)]) == 0
    assert main([*args, "--dose", str(float(doses.max()) * 100), "--allow-extrapolation", "--out", str(outside)]) == 0
    assert not pd.read_csv(inside)["extrapolated"].any() and pd.read_csv(outside)["extrapolated"].all()


def test_an_unknown_expression_cell_line_names_the_closest(_synth, expr_dir, capsys):
    cell = str(_synth.cell_lines[0])
    assert main(["predict", "--model", str(expr_dir), "--compound-smiles", "CCO", "--cell-line", cell.lower() + " ",
                 "--dose", "1", "--time", "24"]) == 2  # fmt: skip
    assert f"(closest known: {cell!r})" in capsys.readouterr().err
