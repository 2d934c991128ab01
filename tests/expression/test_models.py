"""Expression-model specifics: the registry's expression models, ``predict_signature``,
the learned baselines against the naive ones, and torch-specific tests for expr_dosetime.

The contract every model obeys (fit/predict, clone, save/load, seeds, wrong task) is
checked for all of them in ``tests/contract/test_model_contract.py``.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cellresponse.models import available_models, make_model
from cellresponse.models.expression import predict_signature
from cellresponse.splits import make_split

TINY_NET = {
    "hidden": 32,
    "trainer__epochs": 3,
    "trainer__batch_size": 64,
    "trainer__num_threads": 1,
}
EXPR_MODELS = available_models(task="expression")
PARAMS = {"expr_dosetime": TINY_NET}


def _parts(ds, mode="compound"):
    f = make_split(ds, mode=mode, n_folds=4, seed=0).folds[0]
    return ds[f.train], ds[f.valid], ds[f.test]


def test_registry_lists_the_expression_models():
    expected = {
        "expr_zero",
        "expr_train_mean",
        "expr_compound_mean",
        "expr_cell_mean",
        "expr_additive",
        "expr_tanimoto_knn",
        "expr_ridge",
        "expr_drug_blind",
        "expr_dosetime",
    }
    assert expected <= set(EXPR_MODELS)
    naive = {n for n in EXPR_MODELS if getattr(make_model(n, **PARAMS.get(n, {})), "is_naive_baseline", False)}
    assert {"expr_zero", "expr_train_mean", "expr_compound_mean", "expr_cell_mean"} <= naive
    assert "expr_dosetime" not in naive and "expr_drug_blind" not in naive


@pytest.mark.parametrize("name", ["expr_ridge", "expr_tanimoto_knn", "expr_dosetime", "expr_cell_mean"])
def test_predict_signature(name, synth):
    model = make_model(name, **PARAMS.get(name, {})).fit(synth)
    sig = predict_signature(model, smiles="c1ccccc1CCO", cell_line="SYN_CL01", dose=1.0, time=24.0)
    assert list(sig.index) == list(synth.target_names) and np.isfinite(sig).all()
    with pytest.raises(KeyError, match="no basal profile"):
        predict_signature(model, smiles="CCO", cell_line="UNKNOWN", dose=1.0, time=24.0)
    with pytest.raises(ValueError, match="invalid SMILES"):
        predict_signature(model, smiles="not(a)smiles", cell_line="SYN_CL01", dose=1.0, time=24.0)
    with pytest.raises(ValueError, match="dose and time"):
        predict_signature(model, smiles="CCO", cell_line="SYN_CL01", dose=0.0, time=24.0)


def test_learned_baselines_beat_naive_on_synthetic(synth):
    from cellresponse.metrics import per_signature_pearson

    train, _, test = _parts(synth, mode="dose_interpolation")
    score = {
        n: np.nanmean(per_signature_pearson(test.y, make_model(n).fit(train).predict(test)))
        for n in ("expr_ridge", "expr_train_mean", "expr_drug_blind")
    }
    assert score["expr_ridge"] > score["expr_train_mean"]
    assert score["expr_ridge"] > score["expr_drug_blind"]


# ------------------------------------------------------------------ torch model
def test_dosetime_fast_dev_run(synth):
    train, valid, test = _parts(synth)
    params = {**TINY_NET, "trainer__epochs": 50, "trainer__fast_dev_run": True}
    model = make_model("expr_dosetime", **params).fit(train, valid=valid)
    assert len(model.history_) == 1
    assert model.predict(test).shape == test.y.shape


def test_dosetime_overfits_tiny_batch(synth):
    tiny = synth[np.arange(16)]
    model = make_model(
        "expr_dosetime",
        **{
            **TINY_NET,
            "trainer__epochs": 300,
            "trainer__lr": 3e-3,
            "trainer__batch_size": 16,
            "trainer__weight_decay": 0.0,
            "dropout": 0.0,
        },
    ).fit(tiny)
    losses = [h["train_loss"] for h in model.history_]
    assert losses[-1] < 0.1 * losses[0]


def test_dosetime_determinism_and_seed_matters(synth):
    train, _, test = _parts(synth)
    a = make_model("expr_dosetime", **TINY_NET, random_state=3).fit(train).predict(test)
    b = make_model("expr_dosetime", **TINY_NET, random_state=3).fit(train).predict(test)
    c = make_model("expr_dosetime", **TINY_NET, random_state=4).fit(train).predict(test)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_dosetime_save_is_pickle_free(synth, tmp_path):
    model = make_model("expr_dosetime", **TINY_NET).fit(synth)
    path = model.save(tmp_path / "m")
    assert sorted(p.name for p in path.iterdir()) == ["arrays.safetensors", "model.json"]


def test_dosetime_rejects_wrong_fingerprint_width(synth):
    from cellresponse.data import FeatureView

    model = make_model("expr_dosetime", **TINY_NET).fit(synth)
    fp = synth.perturbation_view("morgan")
    narrow = FeatureView("morgan", fp.ids, fp.values[:, :10], fp.feature_names[:10], "binary")
    with pytest.raises(ValueError, match=r"bits|morgan view lacks 54 of the 64 features"):
        model.predict(synth.with_views(perturbation_views={"morgan": narrow}))


def test_importing_expression_models_does_not_load_torch():
    code = (
        "import sys, cellresponse.models.expression, cellresponse.evaluate, cellresponse.tasks.expression; "
        "import cellresponse.datasets._lincs; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
