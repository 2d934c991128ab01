"""Helpers shared by the tabular models (global and per drug): estimator persistence,
LightGBM training and closed-form leave-one-out ridge.

Persistence never pickles: linear models store coefficients, LightGBM its own text
model format, random forests the skops format (a typed, non-executable archive).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_SKOPS_TRUSTED = [
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._tree.Tree",
]


def _estimator_bytes(est: Any) -> np.ndarray:
    import skops.io as sio

    return np.frombuffer(sio.dumps(est), dtype=np.uint8).copy()


def _estimator_from_bytes(buf: np.ndarray) -> Any:
    import skops.io as sio

    return sio.loads(buf.tobytes(), trusted=_SKOPS_TRUSTED)


def _random_forest(model: Any) -> Any:
    """An unfitted sklearn random forest with ``model``'s hyperparameters (``max_samples``
    where the model has it)."""
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(
        n_estimators=model.n_estimators,
        min_samples_leaf=model.min_samples_leaf,
        max_features=model.max_features,
        max_samples=getattr(model, "max_samples", None),
        n_jobs=model.n_jobs,
        random_state=model.random_state,
    )


def _lgbm_params(model: Any) -> dict[str, Any]:
    return {
        "objective": "regression",
        "learning_rate": model.learning_rate,
        "num_leaves": model.num_leaves,
        "min_data_in_leaf": model.min_child_samples,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "feature_fraction": 0.8,
        "lambda_l2": 1.0,
        "max_bin": 63,
        "seed": model.random_state,
        "num_threads": model.n_jobs,
        "verbosity": -1,
        "deterministic": True,
        "force_row_wise": True,
    }


def _fit_lgbm(model: Any, x: np.ndarray, y: np.ndarray, xv: np.ndarray | None, yv: np.ndarray | None) -> Any:
    """Train with LightGBM's native API; early stopping on (xv, yv) when given."""
    import lightgbm as lgb

    params = _lgbm_params(model)
    train = lgb.Dataset(x, label=y, free_raw_data=True)
    if xv is not None and yv is not None and len(yv) >= 10 and model.early_stopping_rounds:
        valid = lgb.Dataset(xv, label=yv, reference=train)
        return lgb.train(
            params,
            train,
            num_boost_round=model.n_estimators,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(model.early_stopping_rounds, verbose=False)],
        )
    return lgb.train(params, train, num_boost_round=model.n_estimators)


def _booster_to_array(booster: Any) -> np.ndarray:
    return np.frombuffer(booster.model_to_string().encode(), dtype=np.uint8).copy()


def _booster_from_array(buf: np.ndarray) -> Any:
    import lightgbm as lgb

    return lgb.Booster(model_str=buf.tobytes().decode())


def _ridge_loo(k: np.ndarray, x: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Kernel ridge with intercept on centred data; alpha minimising the LOO error.

    Returns the primal weights, the intercept and the chosen alpha.
    """
    row_mean = k.mean(axis=0)
    kc = k - row_mean[None, :] - row_mean[:, None] + row_mean.mean()
    lam, q = np.linalg.eigh(kc)
    lam = np.clip(lam, 0.0, None)
    y_mean = y.mean()
    qty = q.T @ (y - y_mean)
    q2 = q * q
    best = (np.inf, alphas[0], np.zeros_like(y))
    n = len(y)
    for alpha in alphas:
        inv = 1.0 / (lam + alpha)
        dual = q @ (inv * qty)
        # Hat matrix of ridge with an unpenalised intercept: J/n + Kc (Kc + alpha I)^-1;
        # the in-sample residual is alpha * dual, and LOO residual = residual / (1 - h_ii).
        hat_diag = 1.0 / n + q2 @ (lam * inv)
        loo = np.mean((alpha * dual / (1.0 - hat_diag)) ** 2)
        if loo < best[0]:
            best = (loo, alpha, dual)
    _, alpha, dual = best
    x_mean = x.mean(axis=0)
    w = (x - x_mean).T @ dual
    return w, float(y_mean - x_mean @ w), float(alpha)
