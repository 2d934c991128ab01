"""Intervals and novelty in the benchmark: written with the predictions, scored from them
alone, merged, reported; every task."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.data.synthetic import make_response_dataset
from cellresponse.evaluate import RunOptions, merge_benchmarks, run_benchmark, score_predictions
from cellresponse.report import build_report
from cellresponse.results import read_results
from cellresponse.splits import make_split
from cellresponse.tasks import ScoreContext, get_task
from cellresponse.uncertainty import NOVELTY_COLUMNS, VARIANTS, UncertaintyConfig, fold_intervals

QUIET = RunOptions(progress=False, min_group_size=5)
KEY = ["model", "fold", "metric", "group_by", "group"]


@pytest.fixture(scope="module")
def lco(tmp_path_factory):
    ds = make_response_dataset(n_cell_lines=120, n_genes=20, n_drugs=6, noise=0.3, random_state=2)
    split = make_split(ds, mode="lco", n_folds=3, seed=0, valid_fraction=0.4)
    out = tmp_path_factory.mktemp("lco")
    return ds, split, run_benchmark(ds, models=["ridge_per_drug"], split=split, out=out, options=QUIET), out


def test_predictions_carry_novelty_and_intervals_of_every_model(lco):
    _ds, _split, res, out = lco
    preds = read_results(out).predictions
    assert set(NOVELTY_COLUMNS) <= set(preds.obs.columns)
    assert (preds.obs["perturbation_novelty"] == 0).all()  # leave-cell-line-out: every drug was trained on
    assert preds.obs["cell_line_novelty"].between(0, 100).all()
    for fold in preds.folds:
        levels, intervals = fold_intervals(preds.context, fold)
        assert levels == (0.8, 0.9, 0.95)
        assert set(intervals) == set(res.config["models"])  # baselines too
        n = int((preds.obs["fold"] == fold).sum())
        for variants in intervals.values():
            assert set(variants) == set(VARIANTS)
            assert all(hw.shape == (n, 3) and (np.diff(hw, axis=1) >= 0).all() for hw in variants.values())
    assert len(read_results(out).extras("calibration")) == len(res.config["models"])


def test_coverage_width_and_group_rows(lco):
    _, _, res, _ = lco
    r = res.results
    overall = (
        r[(r["group_by"] == "all") & (r["model"] == "ridge_per_drug")]
        .set_index(["fold", "metric"])["value"]
        .sort_index()
    )
    for fold in (0, 1, 2):
        for level in (0.8, 0.9, 0.95):
            assert abs(overall[(fold, f"coverage@{level:g}")] - level) < 0.08
            assert overall[(fold, f"width_standard@{level:g}")] > 0
    drugs = r[(r["metric"] == "coverage@0.9") & (r["group_by"] == "drug") & (r["model"] == "ridge_per_drug")]
    assert len(drugs) == 3 * 6 and drugs["value"].between(0, 1).all()
    assert {"cell_line", "tissue"} <= set(r.loc[r["metric"] == "coverage@0.9", "group_by"])
    s = res.summary[res.summary["group_by"] == "all"].set_index(["model", "metric"])["value"].sort_index()
    assert s[("tissue_drug_mean", "width_ratio_best_baseline@0.9")] == pytest.approx(1.0)
    assert 0 <= s[("ridge_per_drug", "per_drug_coverage@0.9_within_0.05")] <= 1
    assert ("ridge_per_drug", "spearman_abs_error_vs_cell_line_novelty") in s.index
    tests = res.stats[res.stats["subset"] == "most vs least novel decile"]
    row = tests[(tests["model"] == "ridge_per_drug") & (tests["metric"] == "median_abs_error_by_cell_line_novelty")]
    assert len(row) == 1 and row["over"].iloc[0] == "drug"


def test_scores_are_a_pure_function_of_the_written_predictions(lco):
    _, _, _res, out = lco
    written = read_results(out)
    again = score_predictions(written.predictions, ScoreContext.from_config(written.config), get_task("response"))
    a = written.results.set_index(KEY)["value"].sort_index()
    b = again.set_index(KEY)["value"].sort_index()
    assert a.index.equals(b.index)
    np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, equal_nan=True)


def test_report_has_a_calibration_section(lco):
    _, _, _, out = lco
    html = build_report(out).read_text()
    for title in ("Calibration: nominal vs empirical coverage", "Per-drug coverage at 0.9", "Error vs novelty"):
        assert title in html


def test_without_uncertainty_nothing_changes(lco, tmp_path):
    ds, split, res, _ = lco
    plain = run_benchmark(ds, models=["ridge_per_drug"], split=split, out=tmp_path / "p",
                          options=RunOptions(progress=False, min_group_size=5, uncertainty=None))  # fmt: skip
    assert not set(NOVELTY_COLUMNS) & set(plain.predictions.obs.columns)
    assert not plain.results["metric"].str.startswith("coverage").any()
    assert not any("interval" in k for k in plain.predictions.context)
    assert "uncertainty" not in plain.config
    # the point predictions and their scores are those of the calibrated run
    base = res.results[res.results["metric"] == "per_drug_pearson_mean"].set_index(KEY)["value"]
    other = plain.results[plain.results["metric"] == "per_drug_pearson_mean"].set_index(KEY)["value"]
    pd.testing.assert_series_equal(base.sort_index(), other.sort_index())
    assert "Calibration" not in build_report(tmp_path / "p").read_text()


def test_same_seed_same_bytes_and_shards_merge(lco, tmp_path):
    ds, split, _, out = lco
    a = tmp_path / "a"
    b = tmp_path / "b"
    run_benchmark(ds, models=["ridge_per_drug"], split=split.select_folds([0, 1]), out=a, options=QUIET)
    run_benchmark(ds, models=["ridge_per_drug"], split=split.select_folds([2]), out=b, options=QUIET)
    merge_benchmarks([a, b], out=tmp_path / "m")
    for name in ("results.csv", "summary.csv", "stats.csv", "predictions/values.npz", "predictions/obs.csv.gz"):
        assert (tmp_path / "m" / name).read_bytes() == (out / name).read_bytes(), name


def test_leave_drug_out_scores_drug_novelty(tmp_path):
    ds = make_response_dataset(n_cell_lines=30, n_genes=10, n_drugs=40, noise=0.3, random_state=3)
    split = make_split(ds, mode="ldo", n_folds=2, seed=0, valid_fraction=0.3)
    res = run_benchmark(ds, models=[], split=split, out=tmp_path, options=QUIET)
    obs = res.predictions.obs
    assert (obs["perturbation_novelty"] > 0).all() and (obs["cell_line_novelty"] == 0).all()
    groups = res.summary[res.summary["group_by"] == "perturbation_novelty_group"]
    assert set(groups["group"]) == {str(d) for d in range(1, 11)}
    tests = res.stats[res.stats["metric"] == "median_abs_error_by_perturbation_novelty"]
    assert len(tests) and (tests["over"] == "cell_line").all() and (tests["n"] == 30).all()


def test_dependency_classes_get_prediction_sets(tmp_path):
    from tests.conftest import make_dependency_panel

    ds = make_dependency_panel(n_lines=60, n_genes=12, classes=True)
    split = make_split(ds, mode="lco", n_folds=2, seed=0, valid_fraction=0.4)
    res = run_benchmark(ds, models=[], split=split, out=tmp_path, options=QUIET)
    s = res.summary[res.summary["group_by"] == "all"].set_index(["model", "metric"])["value"].sort_index()
    for level in ("0.8", "0.9", "0.95"):
        size = s[("drug_mean", f"set_size@{level}")]
        assert 0 <= s[("drug_mean", f"set_empty@{level}")] <= 1 and 0 <= size <= 3
    assert res.summary[(res.summary["group_by"] == "gene") & (res.summary["metric"] == "coverage@0.9")].shape[0] > 0


def test_expression_gets_per_gene_intervals_and_signature_confidence(synth, tmp_path):
    split = make_split(synth, mode="compound", n_folds=2, seed=0, valid_fraction=0.3)
    opts = RunOptions(progress=False, ablations=(), uncertainty=UncertaintyConfig(min_group_size=10))
    res = run_benchmark(synth, models=["expr_ridge"], split=split, out=tmp_path, options=opts)
    r = res.results
    genes = r[(r["metric"] == "coverage@0.9") & (r["group_by"] == "gene") & (r["model"] == "expr_ridge")]
    assert len(genes) == 2 * synth.y.shape[1]
    s = res.summary[res.summary["group_by"] == "all"].set_index(["model", "metric"])["value"].sort_index()
    assert 0 <= s[("expr_ridge", "signature_confidence@0.9")] <= 1
    assert ("expr_ridge", "spearman_confidence_vs_pearson@0.9") in s.index
    assert 0.6 < s[("expr_ridge", "coverage@0.9")] <= 1
    assert "Calibration" in build_report(tmp_path).read_text()


def test_nan_validation_predictions_are_dropped_and_counted(response_ds, tmp_path, monkeypatch):
    from cellresponse.models import get_model_class

    cls = get_model_class("drug_mean")
    original = cls._predict

    def some_nan(self, data):
        out = np.asarray(original(self, data), dtype=float).copy()
        out[:3] = np.nan
        return out

    monkeypatch.setattr(cls, "_predict", some_nan)
    split = make_split(response_ds, mode="lco", n_folds=2, seed=0, valid_fraction=0.3)
    res = run_benchmark(response_ds, models=[], split=split, out=tmp_path, options=QUIET)
    table = read_results(tmp_path).extras("calibration")["drug_mean"]
    assert table["n_nan_dropped"].tolist() == [3, 3] and (table["n_calibration"] > 0).all()
    assert res.results.query("model == 'drug_mean' and metric == 'coverage@0.9'")["value"].notna().all()
