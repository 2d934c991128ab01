from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cellresponse.metrics import (
    grouped_metric,
    normalized_pearson,
    paired_wilcoxon,
    pearson,
    r2,
    rmse,
    score_scalar,
    spearman,
)


def test_metrics_agree_with_scipy_and_sklearn():
    from sklearn.metrics import mean_squared_error, r2_score

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=200), rng.normal(size=200)
    assert pearson(a, b) == pytest.approx(stats.pearsonr(a, b)[0])
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b)[0])
    assert rmse(a, b) == pytest.approx(np.sqrt(mean_squared_error(a, b)))
    assert r2(a, b) == pytest.approx(r2_score(a, b))


def test_constant_prediction_correlation_is_nan():
    assert np.isnan(pearson(np.arange(5.0), np.ones(5)))


def test_drug_mean_trap_global_high_within_zero():
    """Predicting each drug's mean gives a high global Pearson but nothing within a drug."""
    rng = np.random.default_rng(1)
    drugs = np.repeat(np.arange(20), 50)
    potency = rng.normal(0, 3, 20)
    y = potency[drugs] + rng.normal(0, 1, drugs.size)
    pred = potency[drugs] + rng.normal(0, 1e-3, drugs.size)  # the drug mean, tiny jitter
    table = score_scalar(y, pred, perturbations=drugs, cell_lines=np.tile(np.arange(50), 20), baseline=potency[drugs])
    overall = table[table.group_by == "all"].set_index("metric")["value"]
    assert overall["pearson"] > 0.8
    assert abs(overall["per_drug_pearson_mean"]) < 0.1
    assert abs(overall["normalized_pearson"]) < 0.1


def test_normalized_pearson_removes_baseline():
    rng = np.random.default_rng(2)
    base = rng.normal(size=100)
    signal = rng.normal(size=100)
    assert normalized_pearson(base + signal, base + signal, baseline=base) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="baseline has 3 values"):
        normalized_pearson(base, base, baseline=base[:3])


def test_normalized_pearson_of_the_baseline_itself_is_undefined():
    # a prediction equal to the baseline up to float rounding has no residual signal
    rng = np.random.default_rng(4)
    base = rng.normal(5.0, 2.0, size=200)
    y = base + rng.normal(size=200)
    pred = (base.astype(np.float32)).astype(np.float64)  # rounding noise only (~1e-7 relative)
    assert np.isnan(normalized_pearson(y, base + 1e-15 * rng.normal(size=200), baseline=base))
    assert not np.isnan(normalized_pearson(y, pred + 1e-3 * rng.normal(size=200), baseline=base))


def test_grouped_metric_min_size():
    g = np.array(["a"] * 12 + ["b"] * 3)
    y = np.arange(15.0)
    out = grouped_metric(y, y, g, metric=pearson, min_size=10)
    assert list(out.index) == ["a"] and out["a"] == pytest.approx(1.0)


def test_paired_wilcoxon_detects_improvement():
    rng = np.random.default_rng(3)
    ref = pd.Series(rng.normal(0.3, 0.1, 40), index=[f"d{i}" for i in range(40)])
    better = ref + 0.1 + rng.normal(0, 0.01, 40)
    res = paired_wilcoxon(better, ref)
    assert res["n"] == 40 and res["pvalue"] < 1e-6 and res["median_diff"] > 0
    assert paired_wilcoxon(ref, better)["pvalue"] > 0.99
