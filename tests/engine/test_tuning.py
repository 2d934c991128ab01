"""Nested hyperparameter search (``--tune``): seeded, on the inner validation part only,
the same on every executor, written to the results directory and the report; bad search
spaces are refused before any work.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cellresponse.cli import main
from cellresponse.config import BenchmarkConfig
from cellresponse.evaluate import _folds, check_search_space
from cellresponse.evaluate._jobs import Job, Shared
from cellresponse.pipeline import load_for_config, split_for_config
from cellresponse.results import read_results

BASE = ["benchmark", "--dataset", "gdsc2_demo", "--folds", "3", "--no-baselines", "--no-progress",
        "--models", "ridge_per_drug", "--tune", "--tune-trials", "3"]  # fmt: skip
SPACE = "[search_space.ridge_per_drug]\nn_top_genes = {choices = [20, 50, 100]}\n"


def _config(tmp_path, text: str = SPACE) -> str:
    path = tmp_path / "run.toml"
    path.write_text(text)
    return str(path)


def test_a_tuned_run_is_the_same_on_every_executor_and_is_reported(tmp_path):
    cfg = _config(tmp_path)
    assert main([*BASE, "--config", cfg, "--out", str(tmp_path / "serial")]) == 0
    assert main([*BASE, "--config", cfg, "--executor", "processes", "--workers", "2",
                 "--out", str(tmp_path / "proc")]) == 0  # fmt: skip
    for name in ("results.csv", "stats.csv", "predictions/values.npz", "extras/ridge_per_drug.tuning.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "proc" / name).read_bytes(), name
    res = read_results(tmp_path / "serial")
    trials = res.extras("tuning")["ridge_per_drug"]
    assert len(trials) == 9 and sorted(trials["fold"].unique()) == [0, 1, 2]
    assert (trials.groupby("fold")["chosen"].sum() == 1).all()
    assert {json.loads(p)["n_top_genes"] for p in trials["params"]} <= {20, 50, 100}
    chosen = trials[trials["chosen"]]
    best = trials.groupby("fold")["valid_score"].max()
    assert np.allclose(chosen.set_index("fold")["valid_score"], best)  # the best inner-validation trial
    assert res.config["tuning"]["search_space"] == {"ridge_per_drug": {"n_top_genes": {"choices": [20, 50, 100]}}}
    assert "Hyperparameter search (nested, inner validation)" in (tmp_path / "serial" / "report.html").read_text()


def test_the_search_never_sees_the_test_part():
    cfg = BenchmarkConfig(dataset="gdsc2_demo", folds=3, seed=0)
    data = load_for_config(cfg)
    split = split_for_config(data, cfg)
    fold = split.folds[0]
    y = np.array(data.y)
    y[fold.test] = np.random.default_rng(1).permutation(y[fold.test])  # other test truths, same rows
    scrambled = data.__class__(**{**{f: getattr(data, f) for f in data.__dataclass_fields__}, "y": y})
    space = check_search_space("ridge_per_drug", {"n_top_genes": {"choices": [20, 50, 100]}})
    job = Job("ridge_per_drug", 0, {}, space=space, trials=3)
    cells = [_folds.compute_cell(Shared(d, split, "response", [], 0, None), job) for d in (data, scrambled)]
    tables = [cell.extras["tuning"] for cell in cells]
    assert len(tables[0]) == 3 and tables[0]["valid_score"].notna().all()
    pd.testing.assert_frame_equal(tables[0], tables[1])


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[search_space.ridge_per_drug]\nn_top_gene = {choices = [20, 50]}\n", "n_top_gene"),
        ("[search_space.ridge_per_drug]\nn_top_genes = {int = [100, 100]}\n", "empty range [100, 100]"),
        ("[search_space.ridge_per_drug]\nn_top_genes = {choices = []}\n", "empty choice list"),
        ("[search_space.ridge_per_drug]\nn_top_genes = {int = [-5, 10]}\n", "n_top_genes"),
        ("[search_space.ridge_per_drug]\nn_top_genes = {float = [1e-3, 1], lg = true}\n", "exactly one of"),
        ("[search_space.lightgbm]\nnum_leaves = {int = [8, 64]}\n", "not tuned in this run"),
    ],
)
def test_a_bad_search_space_is_refused_before_any_work(toml, message, tmp_path, capsys):
    out = tmp_path / "r"
    assert main([*BASE, "--config", _config(tmp_path, toml), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "search space" in err.replace("search_space", "search space")
    assert not (out / "results.csv").exists()


def test_tune_with_a_model_that_declares_no_space_is_refused(tmp_path, capsys):
    args = [*BASE[:-5], "--models", "elastic_net_per_drug", "--tune", "--out", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "model 'elastic_net_per_drug' declares no search space" in err
    assert "[search_space.elastic_net_per_drug]" in err
    assert not (tmp_path / "r" / "results.csv").exists()


def test_tune_without_an_inner_validation_part_is_refused(tmp_path, capsys):
    args = [*BASE, "--config", _config(tmp_path), "--valid-fraction", "0", "--out", str(tmp_path / "r")]
    assert main(args) == 2
    assert "--valid-fraction above 0" in capsys.readouterr().err
