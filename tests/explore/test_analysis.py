"""explore_classification and the labelled inputs it runs on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.explore import (
    CVScheme,
    ExploreSettings,
    explore_classification,
    labelled_samples,
    preset_samples,
)


def make_xy(*, n=60, n_genes=40, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["a", "b", "c"], n // 3)
    x = rng.normal(size=(n, n_genes))
    for i, c in enumerate("abc"):
        x[y == c, i] += 2.0  # gene i marks class i
    idx = [f"s{i}" for i in range(n)]
    return pd.DataFrame(x, index=idx, columns=[f"g{j}" for j in range(n_genes)]), pd.Series(y, index=idx, name="cls")


SMALL = ExploreSettings(
    models=("logreg_l2", "linear_svm"),
    k_grid=(5, 10),
    cv=CVScheme(outer_folds=3, inner_folds=2, n_jobs=1),
    n_permutations=3,
    progress=False,
)


def test_explore_classification_finds_the_marker_genes():
    x, y = make_xy()
    analysis = explore_classification(x, y, settings=SMALL)
    summary = analysis.cv_summary()
    assert set(summary["model"]) == {"logreg_l2", "linear_svm"}
    auc = summary[summary["metric"] == "roc_auc_ovr_macro"].set_index("model")["mean"]
    assert analysis.best_model == auc.idxmax() and auc.max() > 0.8
    assert {"g0", "g1", "g2"} <= set(analysis.top_genes["gene"].head(5))
    assert analysis.permutation is not None and analysis.permutation["n_permutations"] == 3
    assert list(analysis.embedding.columns) == ["PC1", "PC2"] and set(analysis.explained) == {"PC1", "PC2"}
    s = analysis.summary()
    assert (s["n_samples"], s["n_features"], s["n_classes"], s["outer_folds"]) == (60, 40, 3, 3)
    assert s["chance_balanced_accuracy"] == pytest.approx(1 / 3)
    # the same settings give the same scores
    again = explore_classification(x, y, settings=SMALL)
    pd.testing.assert_frame_equal(again.cv.scores, analysis.cv.scores)


def test_permutation_test_can_be_skipped():
    x, y = make_xy()
    settings = ExploreSettings(models=("logreg_l2",), k_grid=(5,), cv=CVScheme(3, 2), n_permutations=0, progress=False)
    assert explore_classification(x, y, settings=settings).permutation is None


def test_labelled_samples_drops_and_notes():
    x, y = make_xy()
    table = pd.DataFrame({"cls": y.iloc[:-3]})  # three samples lack a label
    table.loc["s0", "cls"] = "rare"  # a class of one
    got = labelled_samples(x, table, min_class_size=5, sources=("x.csv", "y.csv"))
    assert "s0" not in got.y.index and len(got.y) == 60 - 4
    assert list(got.x.index) == list(got.y.index)
    assert got.sources == ("x.csv", "y.csv")
    assert got.notes[0].startswith("3 samples have no label") and "['rare']" in got.notes[1]
    with pytest.raises(KeyError, match=r"label column 'tissue' not in y\.csv"):
        labelled_samples(x, table, column="tissue", sources=("x.csv", "y.csv"))
    with pytest.raises(ValueError, match=r"no sample of x\.csv has a label in y\.csv"):
        labelled_samples(x, table.set_axis([f"other{i}" for i in range(len(table))]), sources=("x.csv", "y.csv"))


def test_gdsc_tissue_preset(real_data_root):
    got = preset_samples("gdsc-tissue", min_class_size=40)
    sizes = got.y.value_counts()
    assert sizes.min() >= 40 and len(sizes) >= 5
    assert got.x.index.equals(got.y.index) and got.x.shape[1] > 1000
    assert len(got.sources) == 2 and any("small_class" in n for n in got.notes)
    with pytest.raises(ValueError, match="preset must be one of"):
        preset_samples("ccle-tissue")
