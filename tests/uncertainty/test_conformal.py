"""Split conformal intervals: equal to crepes on the same residuals, guaranteed coverage,
stated fallbacks, and bad input (levels, NaN residuals, sigmas)."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import crepes  # test-only reference implementation (Makefile pip line)
import numpy as np
import pytest

from cellresponse.uncertainty import (
    VARIANTS,
    IntervalCalibrator,
    check_level,
    conformal_quantile,
    prediction_sets,
    quantile_rank,
    signature_confidence,
)


def _panel(seed=1, n=997, groups="abcd"):
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 2, n)
    return rng.normal(size=n) * scale, rng.uniform(0.5, 2, n), rng.choice(list(groups), n)


def _off_boundary(sizes, level):
    """crepes computes the rank as int((1 - level) * (n + 1)) in floating point, which is
    one off where that product is an integer (e.g. 0.2 * 255 = 50.999...); compare away
    from those sizes (the exact rank is tested against rational arithmetic below)."""
    return all(abs((1 - level) * (n + 1) - round((1 - level) * (n + 1))) > 1e-6 for n in sizes)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_equal_to_crepes_on_the_same_residuals(variant, level):
    res, sig, groups = _panel()
    rng = np.random.default_rng(2)
    y_hat, g_test, s_test = rng.normal(size=60), rng.choice(list("abcd"), 60), rng.uniform(0.5, 2, 60)
    mondrian, normalized = variant.startswith("mondrian"), variant.endswith("normalized")
    sizes = np.unique(groups, return_counts=True)[1] if mondrian else [len(res)]
    if not _off_boundary(sizes, level):
        pytest.skip("floating-point boundary of crepes' rank")
    fit_kw = {"sigmas": sig if normalized else None, "bins": groups if mondrian else None}
    cr = crepes.ConformalRegressor().fit(res, **fit_kw)
    expected = cr.predict_int(y_hat, sigmas=s_test if normalized else None, bins=g_test if mondrian else None,
                              confidence=level)  # fmt: skip
    ours = IntervalCalibrator(min_group_size=1).fit(res, groups=groups, sigmas=sig)
    hw = ours.halfwidth(level, variant=variant, groups=g_test, sigmas=s_test)
    np.testing.assert_allclose(y_hat - hw, expected[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(y_hat + hw, expected[:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [9, 19, 99, 254, 1000])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_rank_is_exact(n, level):
    exact = math.ceil(Fraction(str(level)) * (n + 1))
    assert quantile_rank(n, level) == exact
    scores = np.arange(1.0, n + 1)
    expected = float(exact) if exact <= n else math.inf
    assert conformal_quantile(scores[::-1], level) == expected


def test_coverage_holds_on_exchangeable_data():
    """Marginal coverage is at least the level (averaged over many calibration draws)."""
    rng = np.random.default_rng(0)
    hits = []
    for _ in range(300):
        scale = rng.choice([0.5, 1.0, 3.0], size=150)
        groups = np.where(scale == 3.0, "wide", np.where(scale == 1.0, "mid", "narrow"))
        res = rng.normal(size=150) * scale
        cal = IntervalCalibrator(min_group_size=20).fit(res[:100], groups=groups[:100], sigmas=scale[:100])
        for variant in VARIANTS:
            hw = cal.halfwidth(0.9, variant=variant, groups=groups[100:], sigmas=scale[100:])
            hits.append((variant, float((np.abs(res[100:]) <= hw).mean())))
    for variant in VARIANTS:
        cov = np.mean([h for v, h in hits if v == variant])
        assert 0.89 <= cov <= 0.93, (variant, cov)


def test_small_and_unseen_groups_fall_back_to_the_pooled_quantile_and_are_reported():
    res, _, groups = _panel(n=400)
    groups = groups.astype(object)
    groups[:12] = "tiny"  # 12 calibration points < min_group_size 30
    cal = IntervalCalibrator(min_group_size=30).fit(res, groups=groups)
    pooled = conformal_quantile(np.abs(res), 0.9)
    hw = cal.halfwidth(0.9, variant="mondrian", groups=np.array(["tiny", "never-seen", "a"]))
    assert hw[0] == pytest.approx(pooled) and hw[1] == pytest.approx(pooled)
    assert hw[2] == pytest.approx(conformal_quantile(np.abs(res[groups == "a"]), 0.9))
    report = cal.report([0.9])
    assert report["n_fallback@0.9"] == 1 and "tiny" in report["fallback_examples@0.9"]
    # a group big enough for 0.8 but not for 0.99 falls back only at 0.99
    cal = IntervalCalibrator(min_group_size=30).fit(res[:200], groups=np.where(np.arange(200) < 40, "g", "h"))
    _, _, fb80 = cal.quantiles(0.8, variant="mondrian")
    _, _, fb99 = cal.quantiles(0.99, variant="mondrian")
    assert not fb80.any() and fb99.tolist() == [True, False]


@pytest.mark.parametrize("level", [0, 1, -0.1, 1.5, float("nan"), float("inf"), True, "0.9", None])
def test_level_outside_the_open_unit_interval_is_refused(level):
    with pytest.raises(ValueError, match=r"level must be"):
        check_level(level)
    cal = IntervalCalibrator().fit(np.arange(50.0))
    with pytest.raises(ValueError, match=r"level must be"):
        cal.halfwidth(level, variant="standard", n=2)


def test_nan_residuals_raise_by_default_and_are_counted_when_dropped():
    res = np.arange(60.0)
    res[[3, 17]] = np.nan
    with pytest.raises(ValueError, match=r"2 of 60 calibration residuals are NaN.*rows 3, 17.*nan_policy='drop'"):
        IntervalCalibrator().fit(res)
    cal = IntervalCalibrator().fit(res, nan_policy="drop")
    assert cal.n_calibration_ == 58 and cal.report([0.9])["n_nan_dropped"] == 2
    with pytest.raises(ValueError, match="no finite calibration residual"):
        IntervalCalibrator().fit(np.full(5, np.nan), nan_policy="drop")
    with pytest.raises(ValueError, match="nan_policy must be"):
        IntervalCalibrator().fit(np.arange(5.0), nan_policy="ignore")  # type: ignore[arg-type]


def test_bad_sigmas_groups_and_variants_are_named():
    with pytest.raises(ValueError, match=r"sigmas must be finite and > 0; 1 are not \(positions 2\)"):
        IntervalCalibrator().fit(np.ones(4), sigmas=np.array([1.0, 1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match=r"sigmas has shape \(3,\); expected \(4,\)"):
        IntervalCalibrator().fit(np.ones(4), sigmas=np.ones(3))
    with pytest.raises(ValueError, match=r"groups has shape"):
        IntervalCalibrator().fit(np.ones(4), groups=["a"])
    cal = IntervalCalibrator().fit(np.arange(40.0))
    with pytest.raises(ValueError, match="fitted without sigmas"):
        cal.halfwidth(0.9, variant="normalized", sigmas=np.ones(2))
    with pytest.raises(ValueError, match="unknown interval variant 'cqr'"):
        cal.halfwidth(0.9, variant="cqr", n=1)
    with pytest.raises(ValueError, match="not fitted"):
        IntervalCalibrator().halfwidth(0.9, n=1)
    with pytest.raises(ValueError, match="min_group_size"):
        IntervalCalibrator(min_group_size=0)


def test_too_few_points_for_the_level_give_unbounded_intervals():
    cal = IntervalCalibrator().fit(np.arange(1.0, 10.0))  # 9 points: 0.95 needs 19
    assert np.isinf(cal.halfwidth(0.95, variant="standard", n=2)).all()
    assert np.isfinite(cal.halfwidth(0.8, variant="standard", n=2)).all()


def test_vector_targets_calibrate_each_column():
    rng = np.random.default_rng(3)
    scale = np.array([0.1, 1.0, 5.0])
    res = rng.normal(size=(200, 3)) * scale
    cal = IntervalCalibrator(min_group_size=30).fit(res)
    hw = cal.halfwidth(0.9, variant="mondrian", n=4)
    assert hw.shape == (4, 3)
    for j in range(3):
        assert hw[0, j] == pytest.approx(conformal_quantile(np.abs(res[:, j]), 0.9))
    sig = np.broadcast_to(scale, res.shape)
    hw = cal.halfwidth(0.9, variant="standard", n=2)
    assert np.ptp(hw) == 0  # one pooled quantile for every gene
    normalized = IntervalCalibrator().fit(res, sigmas=sig).halfwidth(0.9, variant="normalized", sigmas=sig[:2])
    assert normalized[0, 2] / normalized[0, 0] == pytest.approx(50)
    with pytest.raises(ValueError, match="columns of a vector target are its groups"):
        IntervalCalibrator().fit(res, groups=np.zeros(200))


def test_state_round_trip_gives_the_same_intervals():
    res, sig, groups = _panel(n=300)
    cal = IntervalCalibrator(min_group_size=40).fit(res, groups=groups, sigmas=sig)
    meta, arrays = cal.get_state()
    again = IntervalCalibrator.from_state(meta, arrays)
    for variant in VARIANTS:
        a = cal.halfwidth(0.9, variant=variant, groups=groups[:20], sigmas=sig[:20])
        b = again.halfwidth(0.9, variant=variant, groups=groups[:20], sigmas=sig[:20])
        np.testing.assert_array_equal(a, b)


def test_prediction_sets_equal_crepes_conformal_classifier():
    """Sets of ordered classes from the interval equal crepes' sets with the nonconformity
    |class - prediction| on the same calibration scores."""
    rng = np.random.default_rng(4)
    y_cal = rng.integers(0, 3, 500).astype(float)
    p_cal = y_cal + rng.normal(scale=0.6, size=500)
    p_test = rng.uniform(-0.5, 2.5, 80)
    classes = np.array([0.0, 1.0, 2.0])
    alphas_test = np.abs(classes[None, :] - p_test[:, None])
    for level in (0.8, 0.9, 0.95):
        cc = crepes.ConformalClassifier().fit(np.abs(y_cal - p_cal))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cc.predict_set(alphas_test, confidence=level, smoothing=False).astype(bool)
        hw = IntervalCalibrator().fit(y_cal - p_cal).halfwidth(level, variant="standard", n=80)
        np.testing.assert_array_equal(prediction_sets(p_test, hw, classes=classes), expected)


def test_signature_confidence_counts_confident_top_genes():
    pred = np.array([[3.0, -2.0, 0.1, 0.0], [0.5, 0.4, 0.3, 0.2]])
    hw = np.full_like(pred, 1.0)
    np.testing.assert_allclose(signature_confidence(pred, hw, top_k=2), [1.0, 0.0])
    np.testing.assert_allclose(signature_confidence(pred, np.full_like(pred, np.inf), top_k=2), [0.0, 0.0])
    assert np.isnan(signature_confidence(pred, np.full_like(pred, np.nan))).all()
    with pytest.raises(ValueError, match="must be equal"):
        signature_confidence(pred, hw[:, :2])


def test_pooled_groups_name_the_unseen_and_the_small():
    res, _, groups = _panel(n=400)
    groups = groups.astype(object)
    groups[:12] = "tiny"
    cal = IntervalCalibrator(min_group_size=30).fit(res, groups=groups)
    assert cal.pooled_groups(["a", "tiny", "new", "a"], 0.9, variant="mondrian") == ["new", "tiny"]
    assert cal.pooled_groups(["a", "b"], 0.9, variant="standard") == ["a", "b"]
