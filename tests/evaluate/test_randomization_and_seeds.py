"""Randomization tests (inputs permuted across entities), repeats over split seeds, and
rank comparisons (Friedman / Nemenyi, critical-difference diagram)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cellresponse.config import BenchmarkConfig
from cellresponse.data.synthetic import make_response_dataset
from cellresponse.evaluate import RunOptions, run_benchmark
from cellresponse.metrics import friedman_nemenyi, nemenyi_cd
from cellresponse.results import read_results, read_run_set
from cellresponse.splits import make_split, predefined_split
from cellresponse.tasks import RANDOMIZATION_TESTS, check_ablations, permute_input


@pytest.fixture(scope="module")
def panel():
    return make_response_dataset(n_cell_lines=60, n_genes=20, n_drugs=8, noise=0.2, random_state=2)


def test_permute_input(panel) -> None:
    rng = np.random.default_rng(0)
    for what in ("expression", "mutation", "cnv"):
        out = permute_input(panel, what, rng=rng)
        old, new = panel.cell_view(what), out.cell_view(what)
        assert list(new.ids) == list(old.ids) and not (new.values == old.values).all(axis=1).all()
        rows = {tuple(r) for r in old.values}
        assert all(tuple(r) in rows for r in new.values)  # rows moved, not changed
    tissue = permute_input(panel, "tissue", rng=rng).cell_meta["tissue"]
    assert sorted(tissue) == sorted(panel.cell_meta["tissue"]) and (tissue != panel.cell_meta["tissue"]).any()
    fp = permute_input(panel, "structure", rng=rng).perturbation_view("morgan")
    old = panel.perturbation_view("morgan")
    assert not any((fp.values[i] == old.values[i]).all() for i in range(len(old)))  # a derangement
    assert (out.obs.equals(panel.obs)) and np.array_equal(out.y, panel.y)
    with pytest.raises(ValueError, match="no cell view 'methylation'"):
        permute_input(panel, "methylation", rng=rng)
    assert check_ablations(["randomization", "permute_tissue"]) == list(RANDOMIZATION_TESTS)


def test_randomization_in_the_engine(panel, tmp_path) -> None:
    split = make_split(panel, mode="lco", n_folds=3, seed=0)
    res = run_benchmark(panel, models=["ridge_per_drug", "elastic_net"], split=split, out=tmp_path,
                        options=RunOptions(progress=False, min_group_size=5, ablations=["randomization"]))  # fmt: skip
    drops = res.ablation.query("model == 'ridge_per_drug' and metric == 'per_drug_pearson_mean'").set_index("ablation")
    # the synthetic signal lives in expression: permuting it hurts, permuting structure cannot (per-drug model)
    assert drops.loc["permute_expression", "drop"] > 0.3
    assert drops.loc["permute_structure", "drop"] == pytest.approx(0.0)
    test = res.stats.query("model == 'ridge_per_drug' and reference == 'ridge_per_drug|permute_expression'")
    assert (test["pvalue"] < 0.05).all()
    from cellresponse.report import build_report

    html = build_report(tmp_path).read_text()
    assert "Randomization tests" in html and "Critical difference over drugs" in html


def test_training_time_randomization(panel, tmp_path) -> None:
    from cellresponse.pipeline import randomization_test

    split = make_split(panel, mode="lco", n_folds=3, seed=0)
    table = randomization_test(panel, models=["ridge_per_drug"], split=split, out=tmp_path,
                               inputs=["expression", "tissue"])  # fmt: skip
    row = table.set_index(["input", "mode"]).loc[("expression", "train")]
    assert row["drop"] > 0.3 and row["pvalue"] < 0.05  # refit on permuted expression: nothing left to learn
    assert set(table["mode"]) == {"test", "train"}
    assert (tmp_path / "randomization.csv").is_file() and (tmp_path / "train_tissue" / "config.json").is_file()


def test_friedman_nemenyi() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(30, 1))
    scores = pd.DataFrame(np.hstack([base + 1.0, base + 0.5, base, base + rng.normal(0, 0.01, (30, 1))]),
                          columns=["a", "b", "c", "d"])  # fmt: skip
    comp = friedman_nemenyi(scores)
    assert list(comp.ranks.index[:2]) == ["a", "b"] and comp.ranks["a"] == 1.0
    assert comp.pvalue < 1e-6 and comp.cd == pytest.approx(nemenyi_cd(4, 30))
    sig = comp.pairwise.set_index(["model", "reference"])["significant"]
    assert sig[("a", "c")] and not sig[("c", "d")]
    assert friedman_nemenyi(-scores, higher_is_better=False).ranks["a"] == 1.0
    with pytest.raises(ValueError, match="at least two models"):
        friedman_nemenyi(scores[["a"]])


def test_critical_difference_figure() -> None:
    from cellresponse.plotting import critical_difference

    fig = critical_difference(pd.Series({"a": 1.2, "b": 2.0, "c": 2.8}), cd=1.0, title="t", highlight=["c"])
    assert fig.axes[0].get_title() == "t"
    from cellresponse.plotting import transfer_per_drug

    empty = pd.DataFrame(columns=["model", "subset", "drug", "spearman"])
    assert transfer_per_drug(empty, models=["m"]).axes  # nothing scored: an empty figure, no warning


def test_seeds_and_compare_runs(panel, tmp_path) -> None:
    from cellresponse.pipeline import benchmark_seeds, compare_runs

    cfg = BenchmarkConfig(split="lco", folds=3, models=["ridge_per_drug"], seeds=[0, 1, 2], out=str(tmp_path / "s"),
                          progress=False, min_group_size=5)  # fmt: skip
    runs = benchmark_seeds(cfg, data=panel)
    assert runs.labels == ["seed_0", "seed_1", "seed_2"]
    assert read_results(tmp_path / "s" / "seed_1").config["seeds"]["split"] == 1
    row = runs.spread.set_index(["model", "metric"]).loc[("ridge_per_drug", "per_drug_pearson_mean")]
    assert row["n_runs"] == 3 and 0 < row["sd"] < 0.2 and row["min"] <= row["mean"] <= row["max"]
    assert runs.ranks["model"].iloc[0] == "ridge_per_drug" and (tmp_path / "s" / "report.html").is_file()
    assert set(runs.group_spread["model"]) >= {"ridge_per_drug", "drug_mean"} or len(runs.group_spread)
    again = read_run_set(tmp_path / "s")
    assert again.config["kind"] == "seeds" and len(again.figures) == len(runs.figures)
    cmp = compare_runs({"x": tmp_path / "s" / "seed_0", "y": tmp_path / "s" / "seed_1"}, out=tmp_path / "c")
    assert cmp.config["kind"] == "comparison" and cmp.ranks["n_blocks"].iloc[0] == 2
    with pytest.raises(ValueError, match="distinct integers"):
        benchmark_seeds(BenchmarkConfig(seeds=[1, 1]), data=panel)
    with pytest.raises(ValueError, match="at least two"):
        compare_runs({"x": tmp_path / "s" / "seed_0"}, out=tmp_path / "c2")


def test_predefined_split(panel) -> None:
    labels = np.array(["train", "val", "test"])[np.arange(len(panel)) % 3]
    ds = replace(panel, obs=panel.obs.assign(split=labels))
    split = predefined_split(ds)
    (fold,) = split.folds
    assert (labels[fold.test] == "test").all() and (labels[fold.valid] == "val").all()
    assert (labels[fold.train] == "train").all() and set(split.assignment["fold"]) == {-1, 0}
    with pytest.raises(ValueError, match="labels \\['other'\\]"):
        predefined_split(replace(ds, obs=ds.obs.assign(split="other")))
