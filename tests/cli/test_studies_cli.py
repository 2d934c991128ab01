"""The command line beyond one dataset: a cross-study benchmark on real files, repeats over
split seeds, and the drug-matching report."""

from __future__ import annotations

import json

import pandas as pd

from cellresponse.cli import main


def test_cross_study_benchmark(tmp_path, capsys, real_data_root) -> None:
    """The embedded GDSC2 subset -> CCLE activity area (the other direction), all lines and unseen lines."""
    for lines, folds in (("all", None), ("unseen", "2")):
        out = tmp_path / lines
        argv = ["benchmark", "--train-dataset", "gdsc2_demo", "--test-dataset", "ccle", "--test-target", "actarea",
                "--test-lines", lines, "--models", "ridge_per_drug", "--param", "ridge_per_drug.n_top_genes=100",
                "--out", str(out), "--no-progress", "--min-group-size", "5"]  # fmt: skip
        assert main([*argv, *(["--folds", folds] if folds else [])]) == 0
        cfg = json.loads((out / "config.json").read_text())
        info = cfg["dataset_info"]["cross_study"]
        assert cfg["split"]["mode"] == "cross_study" and cfg["split"]["n_folds"] == (1 if lines == "all" else 2)
        assert info["test_sign"] == -1.0 and len(info["shared_drugs"]) == 5  # actarea points the other way
        summary = pd.read_csv(out / "extras" / "transfer.summary.csv")
        assert set(summary["subset"]) == ({"all", "unseen"} if lines == "all" else {"unseen"})
        assert "Cross-study transfer" in (out / "report.html").read_text()
    assert "gdsc2_demo->ccle" in capsys.readouterr().out


def test_seeds_flag(tmp_path, capsys) -> None:
    out = tmp_path / "seeds"
    rc = main(["benchmark", "--dataset", "gdsc2_demo", "--split", "lco", "--folds", "2", "--seeds", "3,4",
               "--models", "ridge_per_drug", "--param", "ridge_per_drug.n_top_genes=100", "--out", str(out),
               "--no-progress"])  # fmt: skip
    assert rc == 0 and (out / "seed_3" / "config.json").is_file() and (out / "seed_4" / "report.html").is_file()
    spread = pd.read_csv(out / "spread.csv")
    assert spread.query("model == 'ridge_per_drug' and metric == 'per_drug_pearson_mean'")["n_runs"].item() == 2
    assert "2 seeds" in capsys.readouterr().out


def test_drug_report(capsys, real_data_root) -> None:
    assert main(["data", "drugs", "gdsc2", "ccle"]) == 0
    out = capsys.readouterr().out
    assert "shared 13" in out and "Tanespimycin = 17-AAG" in out
    assert main(["data", "drugs", "gdsc2", "gdsc9"]) == 2
    assert "two screens of" in capsys.readouterr().err
