"""Vectorised heads agree with per-target sklearn fits and respect missing targets."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Ridge

from cellresponse.models.leap import enet_fista, make_head


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    n, k, t = 80, 12, 15
    z = rng.normal(size=(n, k))
    coef = rng.normal(size=(k, t)) * (rng.random((k, t)) < 0.3)
    y = z @ coef + rng.normal(scale=0.5, size=(n, t))
    y[rng.random((n, t)) < 0.1] = np.nan
    y[:, :4] = np.where(np.isnan(y[:, :4]), 0.0, y[:, :4])  # some complete columns
    return z, y, coef


def test_enet_fista_matches_sklearn_with_masks(problem):
    z, y, _ = problem
    zc = z - z.mean(0)
    coef, icpt, _ = enet_fista(zc, y, alpha=np.full(y.shape[1], 0.05), l1_ratio=0.7, max_iter=5000, tol=1e-10)
    for t in range(y.shape[1]):
        m = np.isfinite(y[:, t])
        ref = ElasticNet(alpha=0.05, l1_ratio=0.7, tol=1e-12, max_iter=100_000).fit(zc[m], y[m, t])
        np.testing.assert_allclose(coef[:, t], ref.coef_, atol=1e-5)
        assert icpt[t] == pytest.approx(ref.intercept_, abs=1e-5)


def test_ridge_head_is_exact_per_pattern(problem):
    z, y, _ = problem
    head = make_head("ridge").fit(z, y)
    for t in (0, 5, 9):
        m = np.isfinite(y[:, t])
        ref = Ridge(alpha=float(head.alpha_[t]) * m.sum()).fit(z[m], y[m, t])
        np.testing.assert_allclose(head.coef_[:, t], ref.coef_, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["ridge", "enet", "lasso", "knn", "mean", "lgbm", "mlp"])
def test_heads_fit_predict_and_state(problem, kind):
    z, y, _coef = problem
    params = {"n_estimators": 10} if kind == "lgbm" else {"trainer": {"epochs": 5}} if kind == "mlp" else {}
    head = make_head(kind, **params).fit(z.astype(np.float32), y, random_state=0)
    pred = head.predict(z[:7].astype(np.float32))
    assert pred.shape == (7, y.shape[1]) and np.isfinite(pred).all()
    meta, arrays = head.get_state()
    again = make_head(kind)
    again.set_state(meta, arrays)
    np.testing.assert_allclose(again.predict(z[:7].astype(np.float32)), pred, rtol=1e-5, atol=1e-5)


def test_linear_heads_recover_signal(problem):
    z, y, coef = problem
    truth = z @ coef
    for kind in ("ridge", "enet", "lasso"):
        pred = make_head(kind).fit(z, y).predict(z)
        r = np.mean([np.corrcoef(pred[:, t], truth[:, t])[0, 1] for t in range(y.shape[1]) if np.ptp(truth[:, t])])
        assert r > 0.9, kind
    lasso = make_head("lasso").fit(z, y)
    assert (lasso.coef_ == 0).mean() > 0.2  # sparse


def test_knn_skips_missing_neighbour_targets():
    z = np.array([[0.0], [0.1], [5.0]], dtype=np.float32)
    y = np.array([[1.0, np.nan], [3.0, 4.0], [10.0, 10.0]])
    pred = make_head("knn", k=2).fit(z, y).predict(np.array([[0.05]], dtype=np.float32))
    np.testing.assert_allclose(pred, [[2.0, 4.0]])


def test_unknown_head():
    with pytest.raises(ValueError, match=r"unknown LEAP predictor 'svm'"):
        make_head("svm")


def test_ridge_em_matches_exact_for_many_patterns():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(60, 5))
    y = z @ rng.normal(size=(5, 30)) + rng.normal(scale=0.3, size=(60, 30))
    y[rng.random(y.shape) < 0.05] = np.nan
    exact = make_head("ridge", max_patterns=1000).fit(z, y)
    em = make_head("ridge", max_patterns=0, em_iter=200).fit(z, y)
    same = np.isclose(exact.alpha_, em.alpha_)
    assert same.mean() > 0.7
    # EM scales the penalty by all lines, the exact solve by observed lines: ~1 % apart
    np.testing.assert_allclose(em.coef_[:, same], exact.coef_[:, same], rtol=0.05, atol=0.02)
