"""``cellresponse predict`` and ``train`` on bundles: pairs without --dataset, compounds by ID,
repurposing queries, and the one-line errors."""

from __future__ import annotations

import json

import pandas as pd

from cellresponse.cli import main


def test_predict_pairs_from_the_bundle_alone(bundles, tmp_path, capsys):
    bundle = bundles["gdsc2-demo-ridge"]
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"cell_line": bundle.cell_lines()[:2], "drug": ["Docetaxel", "Camptothecin"]}).to_csv(
        pairs, index=False
    )
    assert main(["predict", "--model", str(bundle.path), "--pairs", str(pairs), "--out", str(tmp_path / "p.csv")]) == 0
    out = pd.read_csv(tmp_path / "p.csv")
    assert list(out.columns) == ["cell_line", "drug", "prediction"] and out["prediction"].notna().all()
    pd.DataFrame({"cell_line": ["ACH-00000X"], "drug": ["Docetaxel"]}).to_csv(pairs, index=False)
    assert main(["predict", "--model", str(bundle.path), "--pairs", str(pairs)]) == 2
    assert "cell_line: 1 unknown cell line(s): 'ACH-00000X' (closest:" in capsys.readouterr().err


def test_predict_signature_by_compound_id_and_repurposing(bundles, tmp_path, capsys):
    path = str(bundles["a375-expr-ridge"].path)
    common = ["--cell-line", "A375", "--dose", "20", "--time", "24"]
    signature = ["predict", "--model", path, "--compound", "vemurafenib", *common, "--out", str(tmp_path / "s.csv")]
    assert main(signature) == 2
    assert "dose 20 outside the training range [0.04, 10]; pass --allow-extrapolation" in capsys.readouterr().err
    assert main([*signature, "--allow-extrapolation"]) == 0
    assert "dose 20 outside the training range [0.04, 10]" in capsys.readouterr().err
    assert pd.read_csv(tmp_path / "s.csv")["extrapolated"].all()
    assert len(pd.read_csv(tmp_path / "s.csv")) == 978
    (tmp_path / "up.txt").write_text("DUSP6\nFOSL1\n")
    (tmp_path / "down.txt").write_text("JUN\n")
    args = ["predict", "--model", path, "--up", str(tmp_path / "up.txt"), "--down", str(tmp_path / "down.txt")]
    assert main([*args, *common, "--mode", "reverse", "--out", str(tmp_path / "r.csv")]) == 0
    ranked = pd.read_csv(tmp_path / "r.csv")
    assert len(ranked) == 47 and ranked["connectivity"].is_monotonic_increasing
    (tmp_path / "up.txt").write_text("DUSP6\nNOPE\n")
    assert main([*args, *common]) == 2
    assert "up: 1 gene(s) are not among the model's 978 signature genes: NOPE" in capsys.readouterr().err
    assert main([*args, *common, "--allow-missing-genes", "--out", str(tmp_path / "r2.csv")]) == 0
    assert "dropped query genes not in the model: ['NOPE']" in capsys.readouterr().err
    assert main([*args, "--cell-line", "A375"]) == 2
    assert "also needs --dose, --time" in capsys.readouterr().err


def test_train_reports_cross_validated_scores_and_names_the_bundle(tmp_path, capsys):
    out = tmp_path / "b"
    assert (
        main(
            [
                "train",
                "--dataset",
                "gdsc2_demo",
                "--model",
                "drug_mean",
                "--cv-folds",
                "2",
                "--name",
                "dm",
                "--valid-fraction",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "2-fold cross-validation holding out whole cell lines" in printed and "drug_mean" in printed
    info = json.loads((out / "bundle.json").read_text())
    assert info["name"] == "dm" and info["scores"]["n_folds"] == 2
    assert main(["serve", "--model", str(tmp_path / "nowhere")]) == 2
    assert "model bundle" in capsys.readouterr().err
    old = tmp_path / "old"
    assert main(["train", "--dataset", "gdsc2_demo", "--model", "drug_mean", "--cv-folds", "0", "--out", str(old)]) == 0
    (old / "bundle.json").unlink()
    capsys.readouterr()
    assert main(["serve", "--model", str(old)]) == 2
    assert "is not a model bundle: no bundle.json (a model saved before bundles existed" in capsys.readouterr().err
