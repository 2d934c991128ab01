"""The expression task through the command line: benchmark and signature prediction."""

from __future__ import annotations

import pandas as pd

from cellresponse.cli import main


def test_expression_benchmark_and_signature_prediction(tmp_path, capsys):
    out = tmp_path / "expr"
    rc = main(["benchmark", "--task", "expression", "--dataset", "lincs_272", "--split", "lco", "--folds", "2",
               "--models", "expr_ridge", "--out", str(out), "--no-progress"])  # fmt: skip
    assert rc == 0
    results = pd.read_csv(out / "results.csv")
    assert {"expr_ridge", "expr_zero", "expr_ridge|shuffle_drug"} <= set(results["model"])
    assert set(results["fold"]) == {0, 1}
    assert (out / "report.html").is_file() and (out / "config.json").is_file()

    model_dir = tmp_path / "model"
    assert main(["train", "--dataset", "lincs_272", "--model", "expr_ridge", "--valid-fraction", "0",
                 "--out", str(model_dir)]) == 0  # fmt: skip
    obs = pd.read_csv(out / "predictions" / "obs.csv.gz")
    cell = str(obs["cell_line"].iloc[0])
    sig = tmp_path / "sig.csv"
    assert main(["predict", "--model", str(model_dir), "--compound-smiles", "CC(=O)Oc1ccccc1C(=O)O",
                 "--cell-line", cell, "--dose", "10", "--time", "24", "--out", str(sig)]) == 0  # fmt: skip
    table = pd.read_csv(sig)
    assert list(table.columns) == ["gene", "prediction", "extrapolated"] and len(table) == 978
    assert not table["extrapolated"].any()  # 10 µM and 24 h are within the training range
    assert main(["predict", "--model", str(model_dir), "--compound-smiles", "CCO", "--cell-line", cell]) == 2
    assert "--dose" in capsys.readouterr().err
