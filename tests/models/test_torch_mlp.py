"""MLP torch models: smoke, overfit, determinism, save/load, scaling on training lines only."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from cellresponse.models import load_model, make_model

FAST = {
    "cell_hidden": (16,),
    "drug_hidden": (8,),
    "head_hidden": (8,),
    "trainer__epochs": 3,
    "trainer__batch_size": 64,
    "trainer__num_threads": 1,
}


@pytest.mark.parametrize("name", ["mlp_expression", "mlp_cnv", "mlp_all"])
def test_mlp_fit_predict_save_load(response_ds, tmp_path, name):
    model = make_model(name, **FAST).fit(response_ds)
    pred = model.predict(response_ds)
    assert pred.shape == (len(response_ds),) and np.isfinite(pred).all()
    model.save(tmp_path / name)
    np.testing.assert_allclose(load_model(tmp_path / name).predict(response_ds), pred, rtol=1e-6)


def test_mlp_fast_dev_run(response_ds):
    model = make_model("mlp_all", trainer__fast_dev_run=True, **FAST).fit(response_ds)
    assert len(model.history_) == 1


def test_mlp_seeded_determinism(response_ds):
    a = make_model("mlp_all", **FAST).fit(response_ds).predict(response_ds)
    b = make_model("mlp_all", **FAST).fit(response_ds).predict(response_ds)
    c = make_model("mlp_all", **{**FAST, "random_state": 1}).fit(response_ds).predict(response_ds)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_mlp_overfits_tiny_batch(response_ds):
    tiny = response_ds.subset(np.arange(16))
    params = {
        **FAST,
        "trainer__epochs": 200,
        "trainer__batch_size": 16,
        "trainer__lr": 3e-3,
        "trainer__patience": 1000,
        "dropout": 0.0,
    }
    model = make_model("mlp_all", **params).fit(tiny, valid=tiny)
    assert float(np.mean((model.predict(tiny) - tiny.y) ** 2)) < 0.01 * float(np.var(tiny.y))


def test_scaler_uses_training_cell_lines_only(response_ds):
    train = response_ds.subset(np.flatnonzero(np.isin(response_ds.cell_lines, np.unique(response_ds.cell_lines)[:20])))
    model = make_model("mlp_expression", trainer__fast_dev_run=True, **FAST).fit(train)
    view = response_ds.cell_view("expression")
    expected = view.lookup(np.unique(train.cell_lines))  # the whole train set incl. the carved valid lines
    fitted_on = np.unique(model.scaler_.mean["expression"])
    assert fitted_on.size > 1
    # the scaler saw only training lines (after carving 10 % for validation): means differ from all lines
    assert not np.allclose(model.scaler_.mean["expression"], view.values.mean(axis=0))
    assert np.all(np.abs(model.scaler_.mean["expression"]) <= np.abs(expected).max(axis=0) + 1e-6)


def test_progress_bar_runs(response_ds):
    make_model("mlp_cnv", trainer__progress=True, **FAST).fit(response_ds)


@pytest.mark.parametrize("drug_offset", [True, False])
def test_drug_offset_is_added_back_to_the_network_output(response_ds, tmp_path, drug_offset):
    import pandas as pd
    import torch

    train = response_ds.subset(np.flatnonzero(response_ds.perturbations != response_ds.perturbations[0]))
    model = make_model("mlp_all", trainer__fast_dev_run=True, drug_offset=drug_offset, **FAST).fit(train, valid=train)
    with torch.no_grad():  # a network that outputs 0 leaves exactly the offset + training shift
        for p in model.network_.parameters():
            p.zero_()
    pred = model.predict(response_ds)
    means = pd.Series(train.y).groupby(train.perturbations).mean()
    expected = means.reindex(response_ds.perturbations).fillna(float(np.mean(train.y))).to_numpy()
    if drug_offset:  # unseen drug (the one left out) -> the global training mean
        np.testing.assert_allclose(pred, expected + model.y_shift_, rtol=1e-6)
        assert abs(model.y_shift_) < 1e-9 and model.y_scale_ < np.std(train.y)
    else:
        np.testing.assert_allclose(pred, np.full(len(pred), np.mean(train.y)), rtol=1e-6)
    model.save(tmp_path / "m")
    np.testing.assert_allclose(load_model(tmp_path / "m").predict(response_ds), pred, rtol=1e-6)
