"""The expression benchmark runner: files, schema, ablation, paired tests, report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cellresponse import __version__
from cellresponse.evaluate._expression import (
    RESULT_COLUMNS,
    ablation_table,
    run_expression_benchmark,
    shuffle_dose_time,
    shuffle_drug,
)
from cellresponse.splits._expression import make_expression_split

TINY = {"expr_dosetime": {"hidden": 16, "n_tokens": 2, "token_dim": 8, "max_epochs": 2, "n_threads": 1}}


@pytest.fixture(scope="module")
def bench(tmp_path_factory, _synth):
    out = tmp_path_factory.mktemp("bench")
    split = make_expression_split(_synth, mode="compound", n_folds=2, seed=0)
    results = run_expression_benchmark(
        _synth, models=["expr_dosetime"], split=split, out=out, seed=0, model_params=TINY
    )
    return out, split, results


def test_outputs_and_schema(bench, synth):
    out, split, results = bench
    assert list(results.columns) == RESULT_COLUMNS
    for name in (
        "results.csv",
        "tests.csv",
        "ablation.csv",
        "config.json",
        "report.html",
        "predictions/obs.csv",
        "predictions/y_true.npy",
        "predictions/expr_dosetime.npy",
        "predictions/dose_curves.csv",
    ):
        assert (out / name).is_file(), name
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["cellresponse_version"] == __version__ and cfg["split"]["hash"] == split.hash
    assert cfg["dataset"]["synthetic"] is True
    models = set(results["model"])
    assert {"expr_dosetime", "expr_ridge", "expr_drug_blind", "expr_zero"} <= models
    assert {"expr_dosetime|shuffle_drug", "expr_dosetime|shuffle_dose_time"} <= models
    assert {"all", "compound", "cell_line"} <= set(results["group_by"])
    pred = np.load(out / "predictions" / "expr_ridge.npy", allow_pickle=False)
    assert pred.shape == (len(synth), synth.y.shape[1]) and np.isfinite(pred).all()


def test_paired_tests_and_ablation(bench):
    out, _, results = bench
    tests = pd.read_csv(out / "tests.csv")
    assert tests["reference"].nunique() == 1 and set(tests["level"]) == {"signature", "compound"}
    assert tests["pvalue"].dropna().between(0, 1).all()
    abl = ablation_table(results)
    ridge = abl[(abl.model == "expr_ridge") & (abl.metric == "pearson") & (abl.condition == "shuffle_drug")]
    assert ridge["drop"].item() > 0  # synthetic effects depend on the drug
    blind = abl[(abl.model == "expr_drug_blind") & (abl.metric == "pearson") & (abl.condition == "shuffle_drug")]
    assert blind["drop"].item() == pytest.approx(0.0, abs=1e-9)


def test_report_marks_synthetic(bench):
    out, _, _ = bench
    html = (out / "report.html").read_text()
    assert "SYNTHETIC DATA" in html and "data:image/png;base64," in html and "<script" not in html


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

    other = make_expression_dataset(SyntheticExpressionPanel(n_cell_lines=2, n_compounds=3, n_genes=30), random_state=9)
    split = make_expression_split(other, mode="compound", n_folds=3)
    with pytest.raises(ValueError, match="split was made on dataset"):
        run_expression_benchmark(synth, models=[], split=split, out=tmp_path)
    split = make_expression_split(synth, mode="compound", n_folds=2)
    with pytest.raises(ValueError, match="unknown ablations"):
        run_expression_benchmark(synth, models=[], split=split, out=tmp_path, ablations=["shuffle_cells"])


def test_plots_return_figures(bench, synth):
    from matplotlib.figure import Figure

    from cellresponse.plotting._expression import (
        plot_dose_response,
        plot_model_comparison,
        plot_signature_heatmap,
    )

    _, _, results = bench
    y = synth.y[:12]
    assert isinstance(plot_model_comparison(results), Figure)
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
