"""The row rule: rows are kept unless a model of the run needs a view they lack; then they
are dropped for every model of the run, and the run says how many and why."""

from __future__ import annotations

import numpy as np
import pytest

from cellresponse.data.synthetic import make_response_dataset
from cellresponse.evaluate import RunOptions, rows_for_models, run_benchmark
from cellresponse.results import read_results
from cellresponse.splits import make_split

QUIET = RunOptions(progress=False, min_group_size=3)


@pytest.fixture(scope="module")
def gappy():
    """40 lines x 8 drugs; drugs D00, D01 have no fingerprint, lines CL000-CL002 no expression."""
    ds = make_response_dataset(n_cell_lines=40, n_genes=20, n_drugs=8, random_state=3)
    morgan = ds.perturbation_view("morgan")
    expr = ds.cell_view("expression")
    return ds.with_views(
        cell_views={**ds.cell_views, "expression": expr.subset(ids=list(expr.ids[3:]))},
        perturbation_views={"morgan": morgan.subset(ids=list(morgan.ids[2:]))},
    )


def test_rows_for_models(gappy) -> None:
    rows = rows_for_models(gappy, ["drug_mean", "ridge_per_drug"])
    no_expr = gappy.obs["cell_line"].isin(["CL000", "CL001", "CL002"]).to_numpy()
    assert (rows.keep == ~no_expr).all() and rows.needs == {"cell:expression": ["ridge_per_drug"]}
    rows = rows_for_models(gappy, ["drug_mean", "ridge_per_drug", "elastic_net"])
    no_fp = gappy.obs["perturbation"].isin(["D00", "D01"]).to_numpy()
    assert (rows.keep == ~(no_expr | no_fp)).all()
    assert rows.needs["perturbation:morgan"] == ["elastic_net"]
    assert rows.dropped["perturbation:morgan"]["perturbations"] == 2
    assert rows.dropped["perturbation:morgan"]["rows"] == int((no_fp & ~no_expr).sum())
    assert "lack the 'morgan' view that elastic_net reads" in rows.describe()
    assert rows_for_models(gappy, ["drug_mean"]).n_dropped == 0


def test_same_rows_for_every_model(gappy, tmp_path) -> None:
    split = make_split(gappy, mode="lco", n_folds=3, seed=0)
    per_drug = run_benchmark(gappy, models=["ridge_per_drug"], split=split, out=tmp_path / "a", options=QUIET)
    assert set(per_drug.predictions.obs["drug"]) == {f"D{j:02d}" for j in range(8)}  # no structure model: all drugs
    both = run_benchmark(
        gappy, models=["ridge_per_drug", "elastic_net"], split=split, out=tmp_path / "b", options=QUIET
    )
    obs = both.predictions.obs
    assert not obs["drug"].isin(["D00", "D01"]).any() and not obs["cell_line"].isin(["CL000"]).any()
    for name, values in both.predictions.values.items():  # every model scored on the same rows
        assert np.isfinite(values).all() and len(values) == len(obs), name
    cfg = read_results(tmp_path / "b").config
    assert cfg["row_filter"]["dropped"] == int(len(gappy) - len(obs)) > 0
    assert cfg["row_filter"]["needs"]["perturbation:morgan"] == ["elastic_net"]
    assert cfg["split_hash"] != split.hash  # the hash follows the rows actually used


def test_no_row_left_is_an_error(gappy) -> None:
    empty = gappy.perturbation_view("morgan").subset(ids=[])
    ds = gappy.with_views(perturbation_views={"morgan": empty})
    with pytest.raises(ValueError, match=r"no row of dataset .* has every view the models need"):
        rows_for_models(ds, ["elastic_net"])
