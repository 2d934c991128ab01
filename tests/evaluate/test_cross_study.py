"""Cross-study evaluation on synthetic studies: the joined dataset, the cross_study split,
per-drug transfer scores, the report section, and the bad inputs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cellresponse.config import BenchmarkConfig
from cellresponse.data import FeatureView
from cellresponse.data.synthetic import make_response_dataset
from cellresponse.datasets import align_samples, join_studies
from cellresponse.evaluate import RunOptions, run_benchmark, transfer_scores
from cellresponse.results import read_results
from cellresponse.splits import make_split, read_split_file
from cellresponse.tasks import ScoreContext


def _studies():
    """Study A: lines CL000-CL059 (ln IC50). Study B: lines CL040-CL079 of the same panel, on
    another scale and pointing the other way (an activity area), drugs spelled differently."""
    full = make_response_dataset(n_cell_lines=80, n_genes=20, n_drugs=8, noise=0.2, random_state=5)
    line_no = full.obs["cell_line"].str[2:].astype(int).to_numpy()
    a = replace(full[line_no < 60], name="study_a", info={"target_direction": "resistance"})
    b = full[line_no >= 40]
    obs = b.obs.assign(perturbation=b.obs["perturbation"].str.replace("D", "d-"))
    meta = pd.DataFrame({"name": pd.unique(obs["perturbation"])}, index=pd.unique(obs["perturbation"]))
    b = replace(b, obs=obs, y=-0.5 * b.y + 3.0, target="actarea", name="study_b", perturbation_meta=meta,
                info={"target_direction": "sensitivity"})  # fmt: skip
    return a, b


@pytest.fixture(scope="module")
def joined():
    a, b = _studies()
    return join_studies(a, b)


def test_join(joined) -> None:
    info = joined.info["cross_study"]
    assert len(info["shared_drugs"]) == 8 and info["test_sign"] == -1.0
    assert info["n_test_lines"] == 40 and info["n_test_lines_seen"] == 20 and not info["namespaced_test_lines"]
    test = joined.obs["study"] == "study_b"
    assert set(joined.obs.loc[test, "perturbation"]) == {f"D{j:02d}" for j in range(8)}  # the training IDs
    assert joined.obs.loc[test, "seen_line"].sum() == int((joined.obs.loc[test, "cell_line"] < "CL060").sum())
    assert joined.target == "ln_ic50->-actarea"
    split = make_split(joined, mode="cross_study", n_folds=None, seed=0)
    (fold,) = split.folds
    assert (joined.obs["study"].to_numpy()[fold.test] == "study_b").all()
    assert (joined.obs["study"].to_numpy()[np.concatenate([fold.train, fold.valid])] == "study_a").all()
    assert set(split.assignment.columns) == {"study", "cell_line", "fold"}


def test_transfer_run_report(joined, tmp_path) -> None:
    from cellresponse.pipeline import benchmark

    cfg = BenchmarkConfig(models=["ridge_per_drug"], out=str(tmp_path / "x"), progress=False, min_group_size=5)
    result = benchmark(cfg, data=joined)
    assert result.config["split"]["mode"] == "cross_study"
    res = read_results(tmp_path / "x")
    summary = res.extras("summary")["transfer"].set_index(["subset", "model"])
    # the test target was negated, so a model that learned study A ranks study B's lines correctly
    assert summary.loc[("all", "ridge_per_drug"), "spearman_mean"] > 0.5
    assert summary.loc[("unseen", "ridge_per_drug"), "n_drugs"] == 8
    assert np.isnan(summary.loc[("unseen", "drug_mean"), "spearman_mean"])  # constant within a drug
    stats = res.extras("stats")["transfer"]
    best = stats[stats["is_best_baseline"] & (stats["subset"] == "unseen") & (stats["metric"] == "per_drug_spearman")]
    assert best["reference"].tolist() == ["tissue_drug_mean"] and best["pvalue"].iloc[0] < 0.01
    html = (tmp_path / "x" / "report.html").read_text()
    assert "Cross-study transfer" in html and "sign flipped" in html


def test_unseen_lines(joined, tmp_path) -> None:
    a, b = _studies()
    dropped = join_studies(a, b, drop_seen_lines=True)
    test = dropped.obs[dropped.obs["study"] == "study_b"]
    assert len(test) and not test["seen_line"].any() and (test["cell_line"] >= "CL060").all()
    # K folds: every test line tested once, its rows in the training study held out of that fold
    split = make_split(joined, mode="cross_study", n_folds=4, seed=1)
    lines, study = joined.cell_lines, joined.obs["study"].to_numpy()
    tested = []
    for f in split.folds:
        assert (study[f.test] == "study_b").all() and (study[np.concatenate([f.train, f.valid])] == "study_a").all()
        assert not set(lines[f.test]) & set(lines[np.concatenate([f.train, f.valid])])
        tested += list(f.test)
    assert sorted(tested) == list(np.flatnonzero(study == "study_b"))
    again = read_split_file(split.to_csv(tmp_path / "split.csv"), joined, seed=1)
    assert again.hash == split.hash and again.mode == "cross_study"


def test_namespacing_and_alignment() -> None:
    a, b = _studies()
    expr = b.cell_view("expression")
    b = b.with_views(cell_views={**b.cell_views, "expression": FeatureView("expression", expr.ids, expr.values * 3 + 1,
                                                                            expr.feature_names)})  # fmt: skip
    joined = join_studies(a, b, align="rank")
    assert joined.info["cross_study"]["namespaced_test_lines"]
    test = joined.obs[joined.obs["study"] == "study_b"]
    assert test["cell_line"].str.startswith("study_b:").all() and test["seen_line"].sum() > 0
    rows = joined.cell_view("expression").lookup(["CL045", "study_b:CL045"])
    assert np.allclose(rows[0], rows[1])  # per-sample ranks undo a monotone platform difference
    x = np.array([[1.0, 2.0, 4.0], [2.0, 8.0, 3.0]])
    assert np.allclose(align_samples(x, "zscore").mean(axis=1), 0)


def test_bad_inputs() -> None:
    a, b = _studies()
    other = b.obs.assign(perturbation="X" + b.obs["perturbation"])
    no_drugs = replace(b, obs=other, perturbation_meta=pd.DataFrame(index=pd.unique(other["perturbation"])))
    with pytest.raises(ValueError, match="share no drug"):
        join_studies(a, no_drugs)
    views = {k: FeatureView(k, v.ids, v.values, [f"other_{g}" for g in v.feature_names], v.kind)
             for k, v in b.cell_views.items()}  # fmt: skip
    with pytest.raises(ValueError, match="share no genes"):
        join_studies(a, b.with_views(cell_views=views))
    with pytest.raises(ValueError, match="no unseen line"):
        join_studies(a, replace(a[a.obs["cell_line"].to_numpy() < "CL010"], name="copy"), drop_seen_lines=True)
    with pytest.raises(ValueError, match="needs a dataset joined by join_studies"):
        make_split(a, mode="cross_study")
    with pytest.raises(ValueError, match="--test-lines must be"):
        from cellresponse.pipeline import load_cross_study

        load_cross_study(BenchmarkConfig(train_dataset="gdsc2", test_dataset="ctrp_v2", test_lines="some"))


def test_transfer_scores_auroc() -> None:
    """AUROC of responders: a lower predicted resistance must mark CR/PR rows."""
    from cellresponse.results import Predictions

    rng = np.random.default_rng(0)
    truth = rng.normal(size=40)
    obs = pd.DataFrame({"row": range(40), "fold": 0, "cell_line": [f"L{i}" for i in range(40)], "drug": "D",
                        "seen_line": False, "mrecist_class": np.where(truth < -0.3, "PR", "PD")})  # fmt: skip
    preds = Predictions(obs=obs, y_true=truth.astype(np.float32),
                        values={"m": truth.astype(np.float32), "global_mean": np.zeros(40, np.float32)})  # fmt: skip
    ctx = ScoreContext("response", "drug", "y", ("global_mean", "m"), ("global_mean",), 5)
    tables = transfer_scores(preds, ctx)
    row = tables["per_drug"].query("model == 'm' and subset == 'unseen'").iloc[0]  # no line seen: one subset
    assert row["auroc"] == 1.0 and row["spearman"] == pytest.approx(1.0)


def test_cli_pair_arguments() -> None:
    from cellresponse.pipeline import load_cross_study

    with pytest.raises(ValueError, match="needs both --train-dataset and --test-dataset"):
        load_cross_study(BenchmarkConfig(train_dataset="gdsc2"))
    with pytest.raises(ValueError, match="both 'gdsc2'"):
        load_cross_study(BenchmarkConfig(train_dataset="gdsc2", test_dataset="gdsc2"))


def test_quiet_options_exist() -> None:
    assert RunOptions(progress=False).include_baselines and run_benchmark
