from __future__ import annotations

import json

import pandas as pd
import pytest

from cellresponse.evaluate import NAIVE_BASELINES, run_benchmark
from cellresponse.report import build_report
from cellresponse.splits import make_split


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    from cellresponse.data.synthetic import make_response_dataset

    ds = make_response_dataset(n_cell_lines=90, n_genes=20, n_drugs=8, noise=0.2, random_state=1)
    out = tmp_path_factory.mktemp("bench")
    split = make_split(ds, mode="lco", n_folds=3, seed=0)
    res = run_benchmark(ds, models=["ridge_per_drug"], split=split, out=out, progress=False, min_group_size=5)
    return res, out, split


def test_results_schema_and_files(bench):
    _, out, split = bench
    for name in ("results.csv", "predictions.csv.gz", "stats.csv", "timings.csv", "split.csv", "config.json"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "results.csv")
    assert {"model", "fold", "metric", "value", "group_by", "group"} <= set(table.columns)
    assert {"pearson", "spearman", "rmse", "per_drug_pearson_mean", "normalized_pearson"} <= set(table.metric)
    assert set(table.model) == {*NAIVE_BASELINES, "ridge_per_drug"}
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["split_hash"] == split.hash and cfg["cellresponse_version"] and cfg["complete"]


def test_leaderboard_gains_and_tests(bench):
    res, _, _ = bench
    board = res.leaderboard()
    best = board.attrs["best_naive"]
    assert best in NAIVE_BASELINES
    assert board.loc[best, "gain per_drug_pearson_mean"] == pytest.approx(0.0)
    assert board.index[0] == "ridge_per_drug"  # the synthetic signal is linear in expression
    row = res.stats.query("model == 'ridge_per_drug' and is_best_naive and metric == 'per_drug_pearson'")
    assert len(row) == 1 and row["n"].iloc[0] == 8


def test_report_is_self_contained(bench):
    _, out, _ = bench
    html = build_report(out).read_text()
    assert "data:image/png;base64," in html and "<script" not in html
    assert "Leaderboard" in html and "ridge_per_drug" in html


def test_failing_model_keeps_other_results(_response_ds, tmp_path):
    split = make_split(_response_ds, mode="lco", n_folds=3, seed=0)
    # n_top_genes=0 cannot build features: the model fails on every fold, others survive.
    res = run_benchmark(
        _response_ds, models=["ridge_per_drug"], split=split, out=tmp_path, progress=False,
        model_params={"ridge_per_drug": {"cell_views": ("no_such_view",)}},
    )  # fmt: skip
    assert res.failures and all(f["model"] == "ridge_per_drug" for f in res.failures)
    assert "drug_mean" in set(res.results.model)
    assert json.loads((tmp_path / "config.json").read_text())["failures"]


def test_reproducible(_response_ds):
    split = make_split(_response_ds, mode="lpo", n_folds=3, seed=4)
    params = {
        "lightgbm": {"cell_components": 5, "n_top_genes": 20, "drug_components": 4, "n_estimators": 30, "n_jobs": 1}
    }
    a = run_benchmark(_response_ds, models=["lightgbm"], split=split, progress=False, model_params=params)
    b = run_benchmark(_response_ds, models=["lightgbm"], split=split, progress=False, model_params=params)
    pd.testing.assert_frame_equal(a.results, b.results)


def test_split_for_other_dataset_rejected(_response_ds):
    split = make_split(_response_ds, mode="lco", n_folds=3)
    with pytest.raises(ValueError, match="different dataset"):
        run_benchmark(_response_ds[list(range(50))], models=[], split=split, progress=False)
