"""The features behind each response prediction: library (predict_response) and HTTP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse import pipeline
from cellresponse.datasets import load_dataset
from cellresponse.explain import contributions
from cellresponse.pipeline import QueryError

RIDGE, ENET = "gdsc2-demo-ridge", "gdsc2-demo-enet"


def _pairs(bundle, n_cells: int = 2, n_drugs: int = 2) -> pd.DataFrame:
    cells = bundle.cell_lines()[:n_cells]
    drugs = list(bundle.perturbations().index[:n_drugs])
    return pd.DataFrame({"cell_line": np.repeat(cells, n_drugs), "drug": np.tile(drugs, n_cells)})


@pytest.mark.parametrize("name", [RIDGE, ENET])
def test_predict_response_lists_the_largest_contributions(bundles, name):
    bundle = bundles[name]
    pairs = _pairs(bundle)
    out = pipeline.predict_response(bundle, pairs, top_features=4)
    plain = pipeline.predict_response(bundle, pairs)
    np.testing.assert_allclose(out["prediction"], plain["prediction"])
    demo = load_dataset("gdsc2_demo")
    keys = pd.MultiIndex.from_arrays([demo.cell_lines, demo.perturbations])
    rows = keys.get_indexer(pd.MultiIndex.from_frame(pairs[["cell_line", "drug"]]))
    assert (rows >= 0).all()
    rc = contributions(bundle.model(), demo[rows])  # same order as the pairs
    for i, feats in enumerate(out["top_features"]):
        assert len(feats) == 4 and set(feats[0]) == {"view", "feature", "value", "contribution"}
        sizes = [abs(f["contribution"]) for f in feats]
        assert sizes == sorted(sizes, reverse=True) and sizes[0] > 0
        order = np.argsort(-np.abs(rc.values[i]), kind="stable")[:4]
        assert [(f["view"], f["feature"]) for f in feats] == list(zip(rc.view[order], rc.feature[order], strict=True))
        np.testing.assert_allclose([f["contribution"] for f in feats], rc.values[i, order], rtol=1e-6)


def test_unknown_pairs_get_no_features_and_bad_values_are_refused(bundles):
    bundle = bundles[RIDGE]
    pairs = pd.DataFrame({"cell_line": [bundle.cell_lines()[0]] * 2, "drug": ["Docetaxel", "not-a-drug"]})
    out = pipeline.predict_response(bundle, pairs, on_unknown="nan", top_features=2)
    assert len(out["top_features"].iloc[0]) == 2 and out["top_features"].iloc[1] is None
    for bad in (-1, 51, 2.5, True):
        with pytest.raises(QueryError, match="top_features must be an integer") as err:
            pipeline.predict_response(bundle, pairs.iloc[:1], top_features=bad)
        assert err.value.field == "top_features"


def test_a_model_without_attributions_says_so(tmp_path):
    data = load_dataset("gdsc2_demo")
    params = {"n_estimators": 5, "n_jobs": 1, "cell_views": ("expression",)}
    pipeline.train(data, model="random_forest_per_drug", params=params, out=tmp_path / "rf", cv_folds=0)
    bundle = pipeline.read_bundle(tmp_path / "rf")
    pairs = pd.DataFrame({"cell_line": [bundle.cell_lines()[0]], "drug": ["Docetaxel"]})
    with pytest.raises(QueryError, match="has no per-prediction attributions") as err:
        pipeline.predict_response(bundle, pairs, top_features=3)
    assert err.value.field == "top_features"


def test_the_response_endpoint_returns_top_features(client, bundles):
    bundle = bundles[RIDGE]
    cells, drugs = bundle.cell_lines()[:2], list(bundle.perturbations().index[:3])
    r = client.post("/api/v1/response", json={"model": RIDGE, "cell_lines": cells, "drugs": drugs, "top_features": 3})
    assert r.status_code == 200, r.text
    rows = r.json()["predictions"]
    want = pipeline.predict_response(
        bundle, pd.DataFrame([(c, d) for c in cells for d in drugs], columns=["cell_line", "drug"]), top_features=3
    )
    assert [row["top_features"] for row in rows] == list(want["top_features"])
    plain = client.post("/api/v1/response", json={"model": RIDGE, "cell_lines": cells, "drugs": drugs}).json()
    assert all(row["top_features"] is None for row in plain["predictions"])
    np.testing.assert_allclose([p["prediction"] for p in plain["predictions"]], [p["prediction"] for p in rows])


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"top_features": 21}, "top_features", "less than or equal to 20"),
        ({"top_features": -1}, "top_features", "greater than or equal to 0"),
        ({"top_features": 2, "n_cells": 60}, "top_features", "1440 pairs; at most 1000 per request are explained"),
    ],
)
def test_bad_top_feature_requests_name_the_field(client, bundles, extra, field, text):
    bundle = bundles[RIDGE]
    n_cells = extra.pop("n_cells", 1)
    cells, drugs = bundle.cell_lines()[:n_cells], list(bundle.perturbations().index)
    r = client.post("/api/v1/response", json={"model": RIDGE, "cell_lines": cells, "drugs": drugs, **extra})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and text in r.json()["error"], r.json()
