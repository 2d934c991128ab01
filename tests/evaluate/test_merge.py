"""Merging benchmark shards gives exactly the results of one run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cellresponse.datasets import load_dataset
from cellresponse.evaluate import merge_benchmarks, run_benchmark
from cellresponse.splits import make_split


@pytest.fixture(scope="module")
def demo():
    data = load_dataset("gdsc2_demo")
    return data, make_split(data, mode="lco", n_folds=3, seed=0)


@pytest.fixture(scope="module")
def whole(demo, tmp_path_factory):
    data, split = demo
    out = tmp_path_factory.mktemp("whole")
    return run_benchmark(data, models=["ridge_per_drug", "elastic_net"], split=split, out=out, progress=False), out


@pytest.fixture(scope="module")
def shards(demo, tmp_path_factory):
    data, split = demo
    root = tmp_path_factory.mktemp("shards")
    plan = {"a": (["ridge_per_drug"], [0, 1]), "b": (["ridge_per_drug"], [2]), "c": (["elastic_net"], [0, 1, 2])}
    for name, (models, folds) in plan.items():
        run_benchmark(data, models=models, split=split.select_folds(folds), out=root / name, progress=False)
    return root


def test_merged_equals_one_run(demo, whole, shards, tmp_path):
    data, split = demo
    ref, _ = whole
    merged = merge_benchmarks(data, [shards / "a", shards / "b", shards / "c"], out=tmp_path / "m")
    key = ["model", "fold", "metric", "group_by", "group"]
    a = ref.results.sort_values(key).reset_index(drop=True)
    b = merged.results.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[key], b[key])
    # written predictions carry 9 significant digits; drug_mean - mean_effects residuals are tiny
    np.testing.assert_allclose(
        a["value"].to_numpy(float), b["value"].to_numpy(float), rtol=1e-4, atol=1e-3, equal_nan=True
    )
    s_key = ["model", "reference", "metric"]
    sa, sb = ref.stats.sort_values(s_key), merged.stats.sort_values(s_key)
    np.testing.assert_allclose(sa["pvalue"].to_numpy(float), sb["pvalue"].to_numpy(float), rtol=1e-4, equal_nan=True)
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["split_hash"] == split.hash and cfg["complete"]
    assert len(cfg["merged_from"]) == 3
    assert set(merged.timings["model"]) >= {"ridge_per_drug", "elastic_net", "drug_mean"}


def test_select_folds_keeps_full_hash(demo):
    _, split = demo
    part = split.select_folds([1])
    assert part.n_folds == 1 and part.hash != split.hash and part.full_hash == split.hash
    with pytest.raises(ValueError, match=r"folds \[7\] are not in the split"):
        split.select_folds([7])


def test_partial_merge_is_labelled(demo, shards, tmp_path):
    data, _ = demo
    merged = merge_benchmarks(data, [shards / "a"], out=tmp_path / "p")
    assert merged.config["split_hash"].startswith("folds [0, 1] of ")


def test_shards_of_other_split_refused(demo, shards, tmp_path):
    data, _ = demo
    other = make_split(data, mode="lco", n_folds=3, seed=1)
    run_benchmark(data, models=[], split=other, out=tmp_path / "x", progress=False)
    with pytest.raises(ValueError, match="full_split_hash"):
        merge_benchmarks(data, [shards / "a", tmp_path / "x"])


def test_conflicting_predictions_refused(demo, shards, tmp_path):
    data, _ = demo
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(shards / "b", bad)
    preds = pd.read_csv(bad / "predictions.csv.gz")
    preds["drug_mean"] += 1.0
    preds.to_csv(bad / "predictions.csv.gz", index=False)
    with pytest.raises(ValueError, match=r"fold 2: model 'drug_mean' has different predictions"):
        merge_benchmarks(data, [shards / "b", bad])


def test_other_dataset_and_incomplete_refused(demo, shards, tmp_path):
    data, _ = demo
    with pytest.raises(ValueError, match="another dataset"):
        merge_benchmarks(data[np.arange(100)], [shards / "a"])
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        merge_benchmarks(data, [tmp_path])
