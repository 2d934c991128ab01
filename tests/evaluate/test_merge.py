"""Merging benchmark shards gives exactly the results of one run."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from cellresponse.datasets import load_dataset
from cellresponse.evaluate import RunOptions, merge_benchmarks, run_benchmark
from cellresponse.results import Predictions, ResultsWriter, read_predictions
from cellresponse.splits import make_split

QUIET = RunOptions(progress=False)
FILES = ("results.csv", "summary.csv", "stats.csv", "leaderboard.csv", "ablation.csv", "predictions/values.npz",
         "predictions/obs.csv.gz", "split.csv")  # fmt: skip


@pytest.fixture(scope="module")
def demo():
    data = load_dataset("gdsc2_demo")
    return data, make_split(data, mode="lco", n_folds=3, seed=0)


@pytest.fixture(scope="module")
def whole(demo, tmp_path_factory):
    data, split = demo
    out = tmp_path_factory.mktemp("whole")
    return run_benchmark(data, models=["ridge_per_drug", "elastic_net"], split=split, out=out, options=QUIET), out


@pytest.fixture(scope="module")
def shards(demo, tmp_path_factory):
    data, split = demo
    root = tmp_path_factory.mktemp("shards")
    plan = {"a": [0, 1], "b": [2], "c": [0]}
    for name, folds in plan.items():
        run_benchmark(data, models=["ridge_per_drug", "elastic_net"], split=split.select_folds(folds),
                      out=root / name, options=QUIET)  # fmt: skip
    run_benchmark(data, models=["elastic_net"], split=split, out=root / "en", options=QUIET)
    return root


def test_merged_equals_one_run_byte_for_byte(demo, whole, shards, tmp_path):
    _, split = demo
    _, ref = whole
    merged = merge_benchmarks([shards / "a", shards / "b"], out=tmp_path / "m")
    for name in FILES:
        assert (tmp_path / "m" / name).read_bytes() == (ref / name).read_bytes(), name
    assert merged.config["split_hash"] == split.hash and merged.config["complete"]
    assert len(merged.config["merged_from"]) == 2
    assert set(merged.timings["model"]) >= {"ridge_per_drug", "elastic_net", "drug_mean"}


def test_shards_of_other_models_merge(demo, whole, shards, tmp_path):
    ref, _ = whole
    merged = merge_benchmarks([shards / "a", shards / "b", shards / "en"], out=tmp_path / "m2")
    key = ["model", "fold", "metric", "group_by", "group"]
    a = ref.results.set_index(key)["value"].sort_index()
    b = merged.results.set_index(key)["value"].sort_index()
    np.testing.assert_array_equal(a.to_numpy(), b.reindex(a.index).to_numpy())


def test_select_folds_keeps_full_hash(demo):
    _, split = demo
    part = split.select_folds([1])
    assert part.n_folds == 1 and part.hash != split.hash and part.full_hash == split.hash
    with pytest.raises(ValueError, match=r"folds \[7\] are not in the split; it has folds \[0, 1, 2\]"):
        split.select_folds([7])


def test_partial_merge_is_labelled(shards, tmp_path):
    merged = merge_benchmarks([shards / "a"], out=tmp_path / "p")
    assert merged.config["split_hash"].startswith("folds [0, 1] of ")


def test_shards_of_other_split_refused(demo, shards, tmp_path):
    data, _ = demo
    other = make_split(data, mode="lco", n_folds=3, seed=1)
    run_benchmark(data, models=[], split=other, out=tmp_path / "x", options=QUIET)
    with pytest.raises(ValueError, match="full_split_hash"):
        merge_benchmarks([shards / "a", tmp_path / "x"])


def test_duplicate_shards_refused(shards, tmp_path):
    with pytest.raises(ValueError, match="named twice"):
        merge_benchmarks([shards / "a", shards / "a"])
    shutil.copytree(shards / "a", tmp_path / "copy")
    with pytest.raises(ValueError, match="cover the same"):
        merge_benchmarks([shards / "a", tmp_path / "copy"])


def test_conflicting_predictions_refused(shards, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(shards / "b", bad)
    preds = read_predictions(bad)
    preds.values["drug_mean"] = preds.values["drug_mean"] + 1.0
    ResultsWriter(bad).predictions(Predictions(preds.obs, preds.y_true, preds.values, None, preds.context))
    with pytest.raises(ValueError, match=r"fold 2: model 'drug_mean' has different predictions"):
        merge_benchmarks([shards / "en", bad])


def test_not_a_results_directory_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        merge_benchmarks([tmp_path])
