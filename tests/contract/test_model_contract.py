"""One contract suite over every registered scalar-target model."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from cellresponse.models import NotFittedError, available_models, get_model_class, load_model, make_model
from cellresponse.splits import make_split

# Small settings so every model fits in well under a second on the synthetic panel.
FAST = {
    "cell_components": 5,
    "n_top_genes": 20,
    "drug_components": 4,
    "n_estimators": 20,
    "max_epochs": 2,
    "epochs": 2,
    "n_jobs": 1,
    # leap: one seed, tiny autoencoders, cheap heads, no on-disk cache
    "ae_epochs": 2,
    "seeds": (0,),
    "n_components": 4,
    "use_cache": False,
    "predictors": ("ridge", "knn"),
    # VNNs: the synthetic genes are not in GO, so use the seeded random-hierarchy control
    "ontology": "random",
}
RESPONSE_MODELS = [m for m in available_models(task="response")]


def _make(name):
    cls = get_model_class(name)
    params = {k: v for k, v in FAST.items() if k in cls().get_params()}
    return make_model(name, **params)


@pytest.fixture(scope="module")
def fold_data(_response_ds):
    split = make_split(_response_ds, mode="lco", n_folds=3, seed=0)
    f = split.folds[0]
    return _response_ds[f.train], _response_ds[f.valid], _response_ds[f.test]


@pytest.mark.parametrize("name", RESPONSE_MODELS)
def test_fit_predict_save_load_clone(name, fold_data, tmp_path):
    train, valid, test = fold_data
    model = _make(name)
    with pytest.raises(NotFittedError):
        model.predict(test)
    clone(model)  # hyperparameters only in __init__
    model.fit(train, valid=valid)
    pred = model.predict(test)
    assert pred.shape == (len(test),) and np.isfinite(pred).all()
    model.save(tmp_path / name)
    again = load_model(tmp_path / name)
    assert type(again) is type(model)
    np.testing.assert_allclose(again.predict(test), pred, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", RESPONSE_MODELS)
def test_same_seed_same_predictions(name, fold_data):
    train, valid, test = fold_data
    a = _make(name).fit(train, valid=valid).predict(test)
    b = _make(name).fit(train, valid=valid).predict(test)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_init_takes_keyword_only_hyperparameters():
    import inspect

    for name in available_models():
        sig = inspect.signature(get_model_class(name).__init__)
        positional = [p for p in list(sig.parameters.values())[1:] if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert not positional, f"{name}: positional hyperparameters {positional}"


def test_registry_rejects_duplicates_and_unknown():
    from cellresponse.models import register_model

    with pytest.raises(ValueError, match="already registered"):
        register_model("drug_mean")(type("Other", (), {}))
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        get_model_class("nope")


def test_load_rejects_other_format_version(fold_data, tmp_path):
    import json

    train, _, _ = fold_data
    path = _make("ridge_per_drug").fit(train).save(tmp_path / "m")
    doc = json.loads((path / "model.json").read_text())
    doc["format_version"] = 999
    (path / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="format_version 999"):
        load_model(path)
    with pytest.raises(FileNotFoundError, match="not a saved cellresponse model"):
        load_model(tmp_path / "empty")


def test_baselines_fall_back_for_unseen_entities(response_ds):
    split = make_split(response_ds, mode="ldo", n_folds=4, seed=0)
    f = split.folds[0]
    model = make_model("tissue_drug_mean").fit(response_ds[f.train])
    pred = model.predict(response_ds[f.test])
    assert np.allclose(pred, np.mean(response_ds[f.train].y))
    assert model.fallback_counts_["global"] == len(f.test)


def test_mean_effects_recovers_additive_structure():
    import pandas as pd

    from cellresponse.data import Dataset

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=15), rng.normal(size=30)
    cells, drugs = np.meshgrid(np.arange(30), np.arange(15))
    keep = rng.random(cells.size) < 0.7
    c, d = cells.ravel()[keep], drugs.ravel()[keep]
    obs = pd.DataFrame({"cell_line": c.astype(str), "perturbation": d.astype(str)})
    ds = Dataset(obs=obs, y=3 + a[d] + b[c], target="t")
    pred = make_model("mean_effects", n_iter=50).fit(ds).predict(ds)
    np.testing.assert_allclose(pred, ds.y, atol=1e-3)
