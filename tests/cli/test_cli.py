from __future__ import annotations

import json

import pandas as pd

from cellresponse.cli import main


def test_help_lists_subcommands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "benchmark", "train", "predict"):
        assert cmd in out


def test_benchmark_train_predict_on_embedded_subset(tmp_path, capsys):
    out = tmp_path / "bench"
    rc = main(["benchmark", "--dataset", "gdsc2_demo", "--split", "lco", "--folds", "2", "--models", "ridge_per_drug",
               "--param", "ridge_per_drug.n_top_genes=100", "--out", str(out), "--no-progress"])  # fmt: skip
    assert rc == 0
    table = pd.read_csv(out / "summary.csv")
    assert "per_drug_pearson_mean" in set(table.metric)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["config"]["model_params"]["ridge_per_drug"]["n_top_genes"] == 100
    assert (out / "report.html").is_file()
    # The written split file reproduces the run's folds.
    from cellresponse.datasets import load_dataset
    from cellresponse.splits import read_split_file

    data = load_dataset("gdsc2_demo")
    again = read_split_file(out / "split.csv", data, valid_fraction=0.1, seed=0)
    assert again.describe()["fold_sizes"] == [{k: v for k, v in f.items()} for f in cfg["split"]["fold_sizes"]]

    model_dir = tmp_path / "model"
    assert main(["train", "--dataset", "gdsc2_demo", "--model", "ridge_per_drug", "--param", "n_top_genes=100",
                 "--out", str(model_dir)]) == 0  # fmt: skip
    from cellresponse.results import read_predictions

    preds = read_predictions(out).obs.head(5)
    pairs = tmp_path / "pairs.csv"
    preds[["cell_line", "drug"]].to_csv(pairs, index=False)
    assert main(["predict", "--model", str(model_dir), "--pairs", str(pairs), "--dataset", "gdsc2_demo",
                 "--out", str(tmp_path / "p.csv")]) == 0  # fmt: skip
    result = pd.read_csv(tmp_path / "p.csv")
    assert len(result) == 5 and result["prediction"].notna().all()


def test_user_errors_are_one_line(tmp_path, capsys):
    rc = main(["benchmark", "--dataset", "gdsc2_demo", "--models", "nope", "--out", str(tmp_path)])
    assert rc == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("modles = ['x']\n")
    assert main(["benchmark", "--config", str(bad)]) == 2
    assert "unknown keys ['modles']" in capsys.readouterr().err


def test_benchmark_shards_merge_into_one_run(tmp_path, capsys):
    common = ["benchmark", "--dataset", "gdsc2_demo", "--split", "lco", "--folds", "3", "--models", "ridge_per_drug",
              "--param", "ridge_per_drug.n_top_genes=100", "--no-progress"]  # fmt: skip
    assert main([*common, "--out", str(tmp_path / "whole")]) == 0
    assert main([*common, "--only-folds", "0", "--out", str(tmp_path / "a")]) == 0
    assert main([*common, "--only-folds", "1,2", "--out", str(tmp_path / "b")]) == 0
    assert json.loads((tmp_path / "a" / "config.json").read_text())["split"]["n_folds"] == 1
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "m")]) == 0
    whole = json.loads((tmp_path / "whole" / "config.json").read_text())
    merged = json.loads((tmp_path / "m" / "config.json").read_text())
    assert merged["split_hash"] == whole["split_hash"] and merged["split"]["n_folds"] == 3
    assert (tmp_path / "m" / "report.html").is_file()
    for name in ("results.csv", "summary.csv", "stats.csv", "leaderboard.csv"):
        assert (tmp_path / "m" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    assert main(["merge", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "is not a cellresponse results directory (no config.json)" in capsys.readouterr().err
