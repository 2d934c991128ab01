"""The shared-Gram ridge heads equal sklearn's Ridge and pick the brute-force leave-one-out alpha."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from cellresponse.models.baselines._tabular import _ridge_loo


@pytest.mark.parametrize("alpha", [0.5, 10.0, 300.0])
def test_matches_sklearn_ridge(alpha):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 200))
    y = x[:, :4].sum(axis=1) + rng.normal(size=60)
    w, b, chosen = _ridge_loo(x @ x.T, x, y, np.array([alpha]))
    ref = Ridge(alpha=alpha).fit(x, y)
    np.testing.assert_allclose(w, ref.coef_, atol=1e-10)
    assert b == pytest.approx(ref.intercept_, abs=1e-10) and chosen == alpha


def test_chooses_the_brute_force_leave_one_out_alpha():
    rng = np.random.default_rng(1)
    alphas = np.array([0.1, 1.0, 10.0, 100.0, 1000.0])
    for n_signal in (2, 50):
        x = rng.normal(size=(40, 80))
        y = x[:, :n_signal].sum(axis=1) + rng.normal(size=40) * 3
        _, _, chosen = _ridge_loo(x @ x.T, x, y, alphas)
        errors = []
        for alpha in alphas:
            err = 0.0
            for i in range(len(y)):
                keep = np.arange(len(y)) != i
                err += (Ridge(alpha=alpha).fit(x[keep], y[keep]).predict(x[i : i + 1])[0] - y[i]) ** 2
            errors.append(err)
        assert chosen == alphas[int(np.argmin(errors))]
