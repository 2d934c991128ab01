from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.data import Dataset, FeatureView


def _view(ids=("a", "b"), n=3):
    return FeatureView(
        "expression", list(ids), np.arange(len(ids) * n).reshape(len(ids), n), [f"g{i}" for i in range(n)]
    )


def test_view_lookup_and_unknown_ids():
    v = _view()
    np.testing.assert_array_equal(v.lookup(["b", "a", "b"]), v.values[[1, 0, 1]])
    with pytest.raises(KeyError, match="no row for 2 IDs: x, y"):
        v.indexer(["a", "x", "y"])


def test_view_rejects_duplicates_and_shape_mismatch():
    with pytest.raises(ValueError, match="duplicated entity IDs: a"):
        FeatureView("e", ["a", "a"], np.zeros((2, 1)), ["g"])
    with pytest.raises(ValueError, match="duplicated feature names"):
        FeatureView("e", ["a", "b"], np.zeros((2, 2)), ["g", "g"])
    with pytest.raises(ValueError, match="shape"):
        FeatureView("e", ["a", "b"], np.zeros((3, 1)), ["g"])


def test_view_values_are_read_only():
    v = _view()
    with pytest.raises(ValueError):
        v.values[0, 0] = 5


def test_dataset_validates_targets_and_ids():
    obs = pd.DataFrame({"cell_line": ["a", "b"], "perturbation": ["d1", "d1"]})
    with pytest.raises(ValueError, match="non-finite values at rows 1"):
        Dataset(obs=obs, y=np.array([1.0, np.nan]), target="ln_ic50")
    with pytest.raises(ValueError, match="missing required columns"):
        Dataset(obs=obs.drop(columns="perturbation"), y=np.zeros(2), target="t")
    with pytest.raises(ValueError, match="expected"):
        Dataset(obs=obs, y=np.zeros(3), target="t")
    with pytest.raises(ValueError, match="target_names"):
        Dataset(obs=obs, y=np.zeros((2, 4)), target="signature", task="expression")


def test_subset_shares_views_and_returns_new_object(response_ds):
    sub = response_ds[np.arange(5)]
    assert len(sub) == 5 and len(response_ds) > 5
    assert sub.cell_views["expression"] is response_ds.cell_views["expression"]
    mask = np.zeros(len(response_ds), dtype=bool)
    mask[:3] = True
    assert len(response_ds.subset(mask)) == 3
    np.testing.assert_array_equal(
        sub.cell_features("expression"), response_ds.cell_features("expression", np.arange(5))
    )


def test_fingerprint_changes_with_content(response_ds):
    assert response_ds.fingerprint() == response_ds[np.arange(len(response_ds))].fingerprint()
    assert response_ds.fingerprint() != response_ds[np.arange(len(response_ds) - 1)].fingerprint()


def test_restrict_to_views_reports_drops(response_ds):
    view = response_ds.cell_views["expression"].subset(ids=list(response_ds.cell_views["expression"].ids[:10]))
    ds = response_ds.with_views(cell_views={**response_ds.cell_views, "expression": view})
    kept = ds.restrict_to_views(cell=["expression"])
    assert set(kept.cell_lines) <= set(view.ids)
    assert kept.info["view_filter"]["dropped_by_view"]["cell:expression"] == len(ds) - len(kept)


def test_unknown_view_names_available(response_ds):
    with pytest.raises(KeyError, match=r"has no cell-line view 'rna'.*expression"):
        response_ds.cell_view("rna")
