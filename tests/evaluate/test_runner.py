"""The engine on the response task: files, leaderboard, tests, failures, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.evaluate import RunOptions, run_benchmark
from cellresponse.report import build_report
from cellresponse.results import read_results
from cellresponse.splits import make_split
from cellresponse.tasks import get_task

NAIVE = get_task("response").baselines
QUIET = RunOptions(progress=False, min_group_size=5)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    from cellresponse.data.synthetic import make_response_dataset

    ds = make_response_dataset(n_cell_lines=90, n_genes=20, n_drugs=8, noise=0.2, random_state=1)
    out = tmp_path_factory.mktemp("bench")
    split = make_split(ds, mode="lco", n_folds=3, seed=0)
    res = run_benchmark(ds, models=["ridge_per_drug"], split=split, out=out, options=QUIET)
    return res, out, split


def test_results_schema_and_files(bench):
    _, out, split = bench
    for name in ("results.csv", "summary.csv", "leaderboard.csv", "stats.csv", "timings.csv", "split.csv",
                 "config.json", "predictions/obs.csv.gz", "predictions/values.npz"):  # fmt: skip
        assert (out / name).is_file(), name
    res = read_results(out)
    assert set(res.results["fold"]) == {0, 1, 2}  # per-fold rows only; fold means live in summary.csv
    assert {"pearson", "spearman", "rmse", "per_drug_pearson_mean", "normalized_pearson"} <= set(res.results.metric)
    assert {"per_drug_pearson_mean", "per_drug_pearson_median"} <= set(res.summary.metric)
    assert set(res.results.model) == {*NAIVE, "ridge_per_drug"}
    cfg = res.config
    assert cfg["split_hash"] == split.hash and cfg["cellresponse_version"] and cfg["complete"]
    assert cfg["format_version"] == 1 and cfg["seeds"]["models"]["ridge_per_drug"] is None
    assert cfg["n_result_rows"] == len(res.results)


def test_leaderboard_gains_and_tests(bench):
    res, out, _ = bench
    board = res.leaderboard()
    best = res.config["best_baseline"]
    assert best in NAIVE
    assert board.loc[best, "gain per_drug_pearson_mean"] == pytest.approx(0.0)
    assert board.index[0] == "ridge_per_drug"  # the synthetic signal is linear in expression
    assert board.loc["ridge_per_drug", "n drugs scored"] == 8
    row = res.stats.query("model == 'ridge_per_drug' and is_best_baseline and metric == 'per_drug_pearson'")
    assert len(row) == 1 and row["n"].iloc[0] == 8 and row["over"].iloc[0] == "drug"
    written = read_results(out).leaderboard
    pd.testing.assert_index_equal(written.index, board.index)


def test_report_is_self_contained(bench):
    _, out, _ = bench
    html = build_report(out).read_text()
    assert "data:image/png;base64," in html and "<script" not in html
    assert "Leaderboard" in html and "ridge_per_drug" in html and "Per-drug Pearson of the best model" in html


def test_failing_model_keeps_other_results(_response_ds, tmp_path):
    split = make_split(_response_ds, mode="lco", n_folds=3, seed=0)
    # a view the dataset lacks: the model fails on every fold, the baselines survive.
    res = run_benchmark(_response_ds, models=["ridge_per_drug"], split=split, out=tmp_path, options=QUIET,
                        model_params={"ridge_per_drug": {"cell_views": ("no_such_view",)}})  # fmt: skip
    assert res.failures and all(f["model"] == "ridge_per_drug" for f in res.failures)
    assert "drug_mean" in set(res.results.model) and "ridge_per_drug" not in set(res.results.model)
    assert read_results(tmp_path).config["failures"]


def test_reproducible_and_seeded(_response_ds, tmp_path):
    params = {"random_forest": {"n_estimators": 10, "cell_components": 5, "drug_components": 4, "n_jobs": 1}}
    split = make_split(_response_ds, mode="lpo", n_folds=3, seed=4)
    a = run_benchmark(_response_ds, models=["random_forest"], split=split, out=tmp_path / "a", options=QUIET,
                      model_params=params)  # fmt: skip
    run_benchmark(_response_ds, models=["random_forest"], split=split, out=tmp_path / "b", options=QUIET,
                      model_params=params)  # fmt: skip
    for name in ("results.csv", "summary.csv", "stats.csv", "leaderboard.csv", "predictions/values.npz",
                 "predictions/obs.csv.gz", "split.csv"):  # fmt: skip
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    c = run_benchmark(_response_ds, models=["random_forest"], split=split, seed=5, options=QUIET, model_params=params)
    assert c.config["seeds"]["models"]["random_forest"] == 5 and a.config["seeds"]["models"]["random_forest"] == 4
    assert not np.allclose(a.predictions.values["random_forest"], c.predictions.values["random_forest"])
    np.testing.assert_array_equal(a.predictions.values["drug_mean"], c.predictions.values["drug_mean"])


def test_split_for_other_dataset_rejected(_response_ds):
    split = make_split(_response_ds, mode="lco", n_folds=3)
    with pytest.raises(ValueError, match="another dataset"):
        run_benchmark(_response_ds[list(range(50))], models=[], split=split, options=QUIET)


def test_split_mode_of_another_task_rejected(_synth):
    split = make_split(_synth, mode="dose_interpolation")
    with pytest.raises(ValueError, match="dose_interpolation' belongs to the expression task"):
        from cellresponse.tasks import check_split_mode

        check_split_mode(get_task("response"), "dose_interpolation")
    assert split.n_folds == 1


def test_bad_parameters_fail_before_any_fold(_response_ds):
    split = make_split(_response_ds, mode="lco", n_folds=3)
    with pytest.raises(ValueError, match="model 'ridge_per_drug' has no parameter 'no_such_param'"):
        run_benchmark(_response_ds, models=["ridge_per_drug"], split=split, options=QUIET,
                      model_params={"ridge_per_drug": {"no_such_param": 1}})  # fmt: skip
    with pytest.raises(ValueError, match="not in the run"):
        run_benchmark(_response_ds, models=[], split=split, options=QUIET, model_params={"lightgbm": {}})
