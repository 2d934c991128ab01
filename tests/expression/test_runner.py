"""The expression task through the one engine: files, schema, ablation, paired tests, report."""

from __future__ import annotations

import numpy as np
import pytest

from cellresponse import __version__
from cellresponse.evaluate import run_benchmark
from cellresponse.report import build_report
from cellresponse.results import RESULT_COLUMNS, STATS_COLUMNS, read_results
from cellresponse.splits import make_split
from cellresponse.tasks import shuffle_dose_time, shuffle_drug

TINY = {"expr_dosetime": {"hidden": 16, "trainer__epochs": 2, "trainer__num_threads": 1}}


@pytest.fixture(scope="module")
def bench(tmp_path_factory, _synth):
    out = tmp_path_factory.mktemp("bench")
    split = make_split(_synth, mode="compound", n_folds=2, seed=0)
    result = run_benchmark(_synth, models=["expr_dosetime"], split=split, out=out, model_params=TINY)
    build_report(out)
    return out, split, result


def test_outputs_and_schema(bench, synth):
    out, split, _ = bench
    res = read_results(out)
    assert list(res.results.columns) == RESULT_COLUMNS and res.results["fold"].dtype.kind == "i"
    assert list(res.stats.columns) == STATS_COLUMNS
    for name in ("summary.csv", "leaderboard.csv", "ablation.csv", "timings.csv", "split.csv", "report.html",
                 "extras/expr_dosetime.dose_curves.csv"):  # fmt: skip
        assert (out / name).is_file(), name
    assert res.config["cellresponse_version"] == __version__ and res.config["split_hash"] == split.hash
    assert res.config["task"] == "expression" and res.config["synthetic"] is True
    models = set(res.results["model"])
    assert {"expr_dosetime", "expr_ridge", "expr_drug_blind", "expr_zero"} <= models
    assert {"expr_dosetime|shuffle_drug", "expr_dosetime|shuffle_dose_time"} <= models
    assert {"all", "compound", "cell_line"} <= set(res.results["group_by"])
    pred = res.predictions.values["expr_ridge"]
    assert pred.shape == (len(synth), synth.y.shape[1]) and np.isfinite(pred).all()
    np.testing.assert_array_equal(np.sort(res.predictions.obs["row"]), np.arange(len(synth)))


def test_paired_tests_and_ablation(bench):
    _, _, result = bench
    stats = result.stats
    assert set(stats["over"]) == {"signature", "compound"} and set(stats["alternative"]) == {"two-sided"}
    assert stats["pvalue"].dropna().between(0, 1).all()
    assert stats["is_best_baseline"].any()
    abl = result.ablation
    ridge = abl[(abl.model == "expr_ridge") & (abl.metric == "pearson") & (abl.ablation == "shuffle_drug")]
    assert ridge["drop"].item() > 0  # synthetic effects depend on the drug
    blind = abl[(abl.model == "expr_drug_blind") & (abl.metric == "pearson") & (abl.ablation == "shuffle_drug")]
    assert blind["drop"].item() == pytest.approx(0.0, abs=1e-9)


def test_report_marks_synthetic(bench):
    out, _, _ = bench
    html = (out / "report.html").read_text()
    assert "SYNTHETIC DATA" in html and "data:image/png;base64," in html and "<script" not in html
    assert "Shuffle ablation" in html and "Dose-response" in html


def test_shuffles_are_valid_but_wrong(synth):
    rng = np.random.default_rng(0)
    test = synth[np.arange(40)]
    sd = shuffle_drug(test, rng=rng, pool=list(synth.perturbation_view("morgan").ids))
    assert (sd.perturbations != test.perturbations).all()
    assert set(sd.perturbations) <= set(synth.perturbations)
    np.testing.assert_array_equal(sd.y, test.y)
    st = shuffle_dose_time(test, rng=rng, pool=synth.obs)
    same = (st.obs[["dose", "time"]].to_numpy() == test.obs[["dose", "time"]].to_numpy()).all(axis=1)
    assert not same.any()


def test_runner_rejects_foreign_split_and_bad_ablation(synth, tmp_path):
    from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset
    from cellresponse.evaluate import RunOptions

    other = make_expression_dataset(SyntheticExpressionPanel(n_cell_lines=2, n_compounds=3, n_genes=30), random_state=9)
    split = make_split(other, mode="compound", n_folds=3)
    with pytest.raises(ValueError, match="split was made for another dataset"):
        run_benchmark(synth, models=[], split=split, out=tmp_path)
    split = make_split(synth, mode="compound", n_folds=2)
    with pytest.raises(ValueError, match="unknown ablations"):
        run_benchmark(synth, models=[], split=split, options=RunOptions(ablations=["shuffle_cells"]))


def test_plots_return_figures(bench, synth):
    from matplotlib.figure import Figure

    from cellresponse.plotting._expression import (
        plot_dose_response,
        plot_model_comparison,
        plot_signature_heatmap,
    )

    _, _, result = bench
    y = synth.y[:12]
    assert isinstance(plot_model_comparison(result.results), Figure)
    assert isinstance(plot_signature_heatmap(y, y, gene_names=synth.target_names), Figure)
    fig = plot_dose_response(
        synth.obs.iloc[:12],
        y,
        y_pred=y,
        gene=synth.target_names[0],
        gene_names=synth.target_names,
        compounds=["SYN_CP00"],
    )
    assert isinstance(fig, Figure)
    with pytest.raises(KeyError, match="not among"):
        plot_dose_response(synth.obs, synth.y, gene="nope", gene_names=synth.target_names, compounds=[])
