"""``--explain``: per-fold attributions of every model in extras/, seeded, in the report and
through the command line; without it nothing changes."""

from __future__ import annotations

import pandas as pd
import pytest

from cellresponse.data.synthetic import make_response_dataset
from cellresponse.evaluate import RunOptions, run_benchmark
from cellresponse.explain import ATTRIBUTION_COLUMNS
from cellresponse.report import build_report
from cellresponse.results import read_results
from cellresponse.splits import make_split

MODELS = ["ridge_per_drug", "random_forest_per_drug"]
PARAMS = {"random_forest_per_drug": {"n_estimators": 20, "n_jobs": 1}}


@pytest.fixture(scope="module")
def panel():
    ds = make_response_dataset(n_cell_lines=60, n_genes=20, n_drugs=5, noise=0.2, random_state=3)
    return ds, make_split(ds, mode="lco", n_folds=2, seed=0)


def _run(panel, out, *, explain: bool):
    ds, split = panel
    options = RunOptions(progress=False, min_group_size=5, explain=explain, explain_top=5)
    return run_benchmark(ds, models=MODELS, split=split, out=out, model_params=PARAMS, options=options)


def test_explain_writes_attributions_of_each_fitted_model_per_fold(panel, tmp_path):
    _run(panel, tmp_path / "a", explain=True)
    res = read_results(tmp_path / "a")
    extras = res.extras("attributions")
    assert set(extras) == set(MODELS)  # the naive baselines read no features: nothing to explain
    ridge, forest = extras["ridge_per_drug"], extras["random_forest_per_drug"]
    assert list(ridge.columns) == [*ATTRIBUTION_COLUMNS, "fold"]
    assert set(ridge["fold"]) == {0, 1} and set(ridge["method"]) == {"coefficient", "view_permutation"}
    assert set(forest["method"]) == {"permutation", "view_permutation"}
    per = ridge[ridge["method"] == "coefficient"].groupby(["fold", "drug"])["rank"].max()
    assert (per == 5).all()
    assert res.config["explain"] == {"top": 5}
    # the planted signal: each drug's response is linear in the first five genes
    top = ridge[(ridge["method"] == "coefficient") & (ridge["rank"] <= 3)]
    assert top["feature"].isin([f"G{g:03d}" for g in range(5)]).mean() > 0.6
    # same seed, same bytes
    _run(panel, tmp_path / "b", explain=True)
    for name in MODELS:
        a = (tmp_path / "a" / "extras" / f"{name}.attributions.csv").read_bytes()
        b = (tmp_path / "b" / "extras" / f"{name}.attributions.csv").read_bytes()
        assert a == b
    html = build_report(tmp_path / "a").read_text()
    assert "What drives the predictions" in html and "most frequent top feature" in html


def test_without_explain_there_are_no_attributions(panel, tmp_path):
    _run(panel, tmp_path / "plain", explain=False)
    res = read_results(tmp_path / "plain")
    assert res.extras("attributions") == {} and res.config["explain"] is None
    assert "What drives the predictions" not in build_report(tmp_path / "plain").read_text()


def test_explain_from_the_command_line(tmp_path):
    from cellresponse.cli import main

    out = tmp_path / "cli"
    argv = ["benchmark", "--dataset", "gdsc2_demo", "--split", "lco", "--folds", "2", "--models", "ridge_per_drug"]
    assert main([*argv, "--explain", "--no-progress", "--out", str(out)]) == 0
    table = pd.read_csv(out / "extras" / "ridge_per_drug.attributions.csv")
    assert table["drug"].nunique() > 10 and table["rank"].max() == 20
    assert "What drives the predictions" in (out / "report.html").read_text()
