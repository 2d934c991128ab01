from __future__ import annotations

import numpy as np
import pytest

from cellresponse.metrics import (
    paired_wilcoxon,
    per_signature_delta_pearson,
    per_signature_metrics,
    per_signature_pearson,
    per_signature_precision_at_k,
    per_signature_rmse,
    per_signature_spearman,
    score_expression,
)


def test_pearson_spearman_rmse_known_values():
    y = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    p = np.array([[2.0, 4.0, 6.0, 8.0], [1.0, 4.0, 9.0, 16.0]])
    np.testing.assert_allclose(per_signature_pearson(y, p)[0], 1.0)
    np.testing.assert_allclose(per_signature_spearman(y, p), [1.0, -1.0])
    np.testing.assert_allclose(per_signature_rmse(y, y), [0.0, 0.0])
    assert per_signature_pearson(y, p)[1] < -0.9


def test_constant_prediction_scores_zero_and_constant_truth_nan():
    y = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    p = np.zeros_like(y)
    out = per_signature_pearson(y, p)
    assert out[0] == 0.0 and np.isnan(out[1])
    ref = np.array([0.5, 0.1, 0.2])
    assert per_signature_delta_pearson(y[:1], ref[None, :].astype(np.float32), reference=ref)[0] == 0.0


def test_precision_at_k():
    y = np.array([[5.0, 4.0, 0.0, -4.0, -5.0, 0.1]])
    p = np.array([[4.0, 0.0, 5.0, -5.0, 0.0, -4.0]])
    assert per_signature_precision_at_k(y, p, k=2, direction="up")[0] == 0.5
    assert per_signature_precision_at_k(y, p, k=2, direction="down")[0] == 0.5
    with pytest.raises(ValueError, match="direction"):
        per_signature_precision_at_k(y, p, k=2, direction="sideways")
    with pytest.raises(ValueError, match="k must be"):
        per_signature_precision_at_k(y, p, k=99)


def test_shapes_checked():
    with pytest.raises(ValueError, match="shape"):
        per_signature_pearson(np.zeros((2, 3)), np.zeros((3, 2)))


def test_score_expression_groups_and_trivial_k_skipped():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(6, 20))
    p = y + rng.normal(scale=0.5, size=y.shape)
    table = score_expression(y, p, reference=y.mean(0), groups={"compound": np.array(list("aabbcc"))}, top_k=(5, 50))
    assert set(table.columns) == {"metric", "group_by", "group", "value"}
    assert "precision_up@5" in set(table["metric"]) and "precision_up@50" not in set(table["metric"])
    per = per_signature_metrics(y, p, reference=y.mean(0), top_k=(5,))
    overall = table[(table.group_by == "all") & (table.metric == "pearson")]["value"].item()
    assert overall == pytest.approx(per["pearson"].mean())
    assert len(table[(table.group_by == "compound") & (table.metric == "rmse")]) == 3


def test_paired_test_direction():
    a = np.linspace(0.5, 0.9, 20)
    b = a - 0.1
    two_sided = {"alternative": "two-sided"}
    assert paired_wilcoxon(a, b, **two_sided)["median_diff"] == pytest.approx(0.1)
    assert paired_wilcoxon(a, b, **two_sided)["pvalue"] < 0.01
    assert paired_wilcoxon(b, a, higher_is_better=False, **two_sided)["median_diff"] == pytest.approx(0.1)
    assert np.isnan(paired_wilcoxon(a[:3], b[:3], **two_sided)["pvalue"])
    # one-sided: the model better than the reference is significant, worse is not
    assert paired_wilcoxon(a, b)["pvalue"] < 0.01 and paired_wilcoxon(b, a)["pvalue"] > 0.5
