"""Raw expression as an ensemble member, and the runner hooks the ensemble uses."""

from __future__ import annotations

import numpy as np
import pytest

from cellresponse.models import make_model
from cellresponse.splits import make_split


@pytest.fixture(scope="module")
def folds(dependency_panel):
    f = make_split(dependency_panel, mode="cell_line", n_folds=4, seed=0, valid_fraction=0.25).folds[0]
    return dependency_panel[f.train], dependency_panel[f.valid], dependency_panel[f.test]


def test_raw_representation_uses_cheap_heads(folds):
    train, valid, test = folds
    model = make_model("leap", representations=("raw", "pca"), predictors=("ridge", "knn", "enet"),
                       raw_predictors=("ridge",), seeds=(0,), n_components=4, use_cache=False)  # fmt: skip
    model.fit(train, valid=valid)
    names = [n for _, _, n in model.members_]
    assert [n for n in names if ":raw" in n] == ["expression:raw:ridge"]
    assert {"expression:pca:ridge", "expression:pca:knn", "expression:pca:enet"} <= set(names)
    extras = model.benchmark_extras(test)
    # every member, then the member best on inner validation (the one an ensemble must beat)
    assert list(extras["member_predictions"].columns) == [*names, "valid_best"]
    assert len(extras["member_predictions"]) == len(test)
    best = max(names, key=lambda n: model.member_scores_[n])
    np.testing.assert_array_equal(extras["member_predictions"]["valid_best"], extras["member_predictions"][best])
    assert extras["combiner"].set_index("member").loc[best, "valid_best"]
    # Without pruning every member is refitted, so zero-weight members still predict
    # (their scores would otherwise exist only on folds where they got weight).
    assert (extras["member_predictions"].std() > 0).all()
    combiner = extras["combiner"]
    assert set(combiner["representation"].dropna()) == {"raw", "pca"}
    assert np.isclose(combiner["weight"].sum(skipna=True), sum(model.combiner_weights_.values()))
    with pytest.raises(ValueError, match="raw_predictors"):
        make_model("leap", representations=("raw",), raw_predictors=("svm",)).fit(train)


def test_default_members_include_raw():
    params = make_model("leap").get_params()
    assert params["representations"][0] == "raw" and params["raw_predictors"] == ("ridge", "knn")
    assert "enet" not in params["predictors"] and "lgbm" not in params["predictors"]


def test_task_registry_rejects_duplicates():
    from cellresponse.tasks import Task, available_tasks, register_task

    assert {"response", "expression", "dependency"} <= set(available_tasks())
    with pytest.raises(ValueError, match="already registered"):
        register_task("dependency")(type("OtherDependency", (Task,), {}))
