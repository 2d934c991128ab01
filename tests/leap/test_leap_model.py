"""The registered ``leap`` ensemble: contract, leakage rules, combiner, bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from cellresponse.data import FeatureView
from cellresponse.models import NotFittedError, available_models, load_model, make_model
from cellresponse.splits import make_split

FAST = {
    "representations": ("pca", "ae"),
    "predictors": ("ridge", "knn"),
    "seeds": (0,),
    "n_components": 4,
    "ae_epochs": 2,
}


@pytest.fixture(scope="module")
def folds(dependency_panel):
    split = make_split(dependency_panel, mode="cell_line", n_folds=4, seed=0, valid_fraction=0.25)
    f = split.folds[0]
    return dependency_panel[f.train], dependency_panel[f.valid], dependency_panel[f.test]


@pytest.fixture(scope="module")
def fitted(folds):
    pytest.importorskip("torch")
    train, valid, _ = folds
    return make_model("leap", **FAST).fit(train, valid=valid)


def test_registered_for_both_tasks():
    assert "leap" in available_models(task="dependency")
    assert "leap" in available_models(task="response")


def test_fit_predict_save_load(fitted, folds, tmp_path):
    _, _, test = folds
    with pytest.raises(NotFittedError):
        make_model("leap", **FAST).predict(test)
    clone(fitted)
    pred = fitted.predict(test)
    assert pred.shape == (len(test),) and np.isfinite(pred).all()
    r = np.corrcoef(pred, test.y)[0, 1]
    assert r > 0.5
    fitted.save(tmp_path / "leap")
    again = load_model(tmp_path / "leap")
    np.testing.assert_allclose(again.predict(test), pred, rtol=1e-5, atol=1e-5)
    assert again.combiner_weights_ == fitted.combiner_weights_


def test_members_weights_and_scores(fitted, folds):
    _, _, test = folds
    members = fitted.predict_members(test)
    assert set(members) == set(fitted.combiner_weights_)
    assert len(members) == 4  # (pca, ae:s0) x (ridge, knn)
    assert all(w >= 0 for w in fitted.combiner_weights_.values())
    assert "ensemble" in fitted.member_scores_
    assert fitted.fit_info_["n_members"] == 4


def test_same_seed_same_predictions(folds):
    pytest.importorskip("torch")
    train, valid, test = folds
    a = make_model("leap", **FAST, use_cache=False).fit(train, valid=valid).predict(test)
    b = make_model("leap", **FAST, use_cache=False).fit(train, valid=valid).predict(test)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_test_lines_never_train_representations(fitted, folds, dependency_panel):
    train, valid, test = folds
    n_view = len(dependency_panel.cell_view("expression"))
    n_test = len(set(test.cell_lines))
    # unlabeled omics-only lines are used, test lines are not
    assert fitted.fit_info_["representation_lines"]["expression"] == n_view - n_test
    assert fitted.fit_info_["transductive"] is False
    params = {**FAST, "representations": ("pca",), "transductive": True}
    trans = make_model("leap", **params).fit(train, valid=valid)
    assert trans.fit_info_["representation_lines"]["expression"] == n_view
    assert trans.fit_info_["transductive"] is True


def test_unseen_gene_gets_global_mean(fitted, folds):
    _train, _, test = folds
    obs = test.obs.copy()
    obs.loc[obs.index[:3], "perturbation"] = "NEWGENE"
    odd = replace(test, obs=obs)
    pred = fitted.predict(odd)
    np.testing.assert_allclose(pred[:3], fitted.global_mean_)


def test_lines_without_omics(fitted, folds):
    _, _, test = folds
    view = test.cell_view("expression")
    keep = [i for i in view.ids if i != test.cell_lines[0]]
    smaller = view.subset(ids=keep)
    with pytest.raises(KeyError, match=r"have no 'expression' row.*restrict_to_views"):
        fitted.predict(test.with_views(cell_views={"expression": smaller}))


def test_training_lines_without_omics_are_skipped_and_recorded(folds):
    train, valid, _ = folds
    view = train.cell_view("expression")
    dropped = train.cell_lines[0]
    smaller = view.subset(ids=[i for i in view.ids if i != dropped])
    model = make_model("leap", **{**FAST, "representations": ("pca",)})
    model.fit(train.with_views(cell_views={"expression": smaller}), valid=valid)
    assert model.fit_info_["skipped"]["train_lines_without_expression"] == [dropped]


def test_mean_combiner_and_no_valid(folds):
    train, _, test = folds
    model = make_model("leap", **{**FAST, "representations": ("pca",), "combiner": "mean"}).fit(train)
    assert set(model.combiner_weights_.values()) == {0.5}
    assert model.fit_info_["inner_split"].startswith("random")
    assert np.isfinite(model.predict(test)).all()


def test_vector_or_bad_params(folds):
    train, _valid, _ = folds
    with pytest.raises(ValueError, match=r"predictors'? (parameter )?must be"):
        make_model("leap", predictors=("svm",)).fit(train)
    with pytest.raises(ValueError, match=r"representations'? (parameter )?must be"):
        make_model("leap", representations=()).fit(train)
    with pytest.raises(ValueError, match=r"combiner'? (parameter )?must be"):
        make_model("leap", combiner="vote", representations=("pca",), predictors=("ridge",)).fit(train)


def test_works_on_response_task(response_ds):
    split = make_split(response_ds, mode="cell_line", n_folds=3, seed=0)
    f = split.folds[0]
    model = make_model("leap", representations=("pca",), predictors=("ridge", "knn"), n_components=5)
    pred = model.fit(response_ds[f.train], valid=response_ds[f.valid]).predict(response_ds[f.test])
    assert np.isfinite(pred).all()


def test_plots_return_figures(fitted, folds):
    from matplotlib.figure import Figure

    from cellresponse.plotting._leap import plot_combiner_weights, plot_gain, plot_model_scores

    weights = pd.DataFrame([{"fold": 0, "member": k, "weight": v} for k, v in fitted.combiner_weights_.items()])
    assert isinstance(plot_combiner_weights(weights), Figure)
    summary = pd.DataFrame(
        {
            "model": ["leap", "a:pca:ridge", "gene_mean"],
            "value": [0.7, 0.6, 0.5],
            "role": ["ensemble", "member", "baseline"],
        }
    )
    assert isinstance(plot_model_scores(summary), Figure)
    per_gene = pd.DataFrame(
        {
            "model": ["leap", "gene_mean"] * 3,
            "gene": ["a", "a", "b", "b", "c", "c"],
            "metric": "auroc",
            "value": [0.7, 0.5, 0.8, 0.5, 0.6, 0.55],
        }
    )
    assert isinstance(plot_gain(per_gene, model="leap", references=["gene_mean"]), Figure)


def test_dependency_classes_view_missing_raises(dependency_panel):
    other = FeatureView("cnv", ["x"], np.zeros((1, 1)), ["f"])
    ds = dependency_panel.with_views(cell_views={"cnv": other})
    with pytest.raises(KeyError, match=r"no cell-line view 'expression'"):
        make_model("leap", **FAST).fit(ds)
