"""Vectorised per-perturbation predictors ("heads") on a cell-line representation.

Every head maps a representation ``Z`` (lines x k) to a target matrix ``Y`` (lines x T,
one column per gene or drug, NaN = not measured). The T per-target problems are
independent, but they are solved together:

- ridge: one SVD of Z shared by all targets; the penalty of each target is chosen by
  exact leave-one-out error (the hat-matrix shortcut) over a grid. Columns with missing
  entries are grouped by missingness pattern, so each pattern costs one SVD and the
  solution is exact (no imputation of the target).
- elastic net / lasso: FISTA (accelerated proximal gradient) on all targets at once.
  Complete columns use the shared Gram matrix ``Z'Z``; columns with missing entries use
  a masked gradient. A decreasing penalty path with warm starts is fitted on an inner
  split; each target keeps the penalty with the best inner error and is refitted.
- kNN: one distance matrix; neighbour means skip missing targets.
- LightGBM: one booster per target (slow; optional).
- MLP: one multi-output network with a masked loss (torch, trained by
  :func:`cellresponse.models.train.train_network`; weights kept as NumPy).

All heads standardise nothing themselves: the ensemble standardises ``Z`` per fold.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from cellresponse.models._torch import import_torch, torch_settings
from cellresponse.models.train import TrainerConfig, train_network

#: Default trainer of the ``"mlp"`` head: Adam, 60 epochs, one thread, no validation.
MLP_HEAD_TRAINER = TrainerConfig(
    epochs=60, batch_size=64, lr=1e-3, weight_decay=1e-4, num_threads=1, valid_fraction=0.0
)

HEAD_KINDS = ("mean", "ridge", "enet", "lasso", "knn", "lgbm", "mlp")


def _masked(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mask = np.isfinite(y)
    return np.where(mask, y, 0.0), mask


def _col_means(y0: np.ndarray, mask: np.ndarray) -> np.ndarray:
    counts = mask.sum(axis=0)
    return np.where(counts > 0, y0.sum(axis=0) / np.maximum(counts, 1), 0.0)


class Head:
    """Base class: ``fit(Z, Y)`` then ``predict(Z)``; ``get_state``/``set_state`` for saving."""

    kind: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        self.params = params

    def fit(self, z: np.ndarray, y: np.ndarray, *, random_state: int = 0) -> Head:
        raise NotImplementedError

    def predict(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    def set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class _LinearHead(Head):
    coef_: np.ndarray
    intercept_: np.ndarray
    alpha_: np.ndarray

    def predict(self, z: np.ndarray) -> np.ndarray:
        return (z @ self.coef_ + self.intercept_).astype(np.float32)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"coef": self.coef_, "intercept": self.intercept_, "alpha": self.alpha_}

    def set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.coef_, self.intercept_, self.alpha_ = arrays["coef"], arrays["intercept"], arrays["alpha"]


class MeanHead(_LinearHead):
    """Per-target mean of the observed training values (the gene/drug-mean baseline)."""

    kind = "mean"

    def fit(self, z: np.ndarray, y: np.ndarray, *, random_state: int = 0) -> MeanHead:
        y0, mask = _masked(y)
        self.coef_ = np.zeros((z.shape[1], y.shape[1]), np.float32)
        self.intercept_ = _col_means(y0, mask).astype(np.float32)
        self.alpha_ = np.zeros(y.shape[1], np.float32)
        return self


# --------------------------------------------------------------------------- ridge
DEFAULT_RIDGE_ALPHAS = (0.1, 1.0, 10.0, 100.0, 1e3, 1e4)


def _centred_svd(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(column means, U, s, Vt)`` of the column-centred ``z`` (thin SVD)."""
    zm = z.mean(axis=0)
    u, s, vt = np.linalg.svd(z - zm, full_matrices=False)
    return zm, u, s, vt


def _ridge_pattern(
    z: np.ndarray,
    y: np.ndarray,
    alphas: np.ndarray,
    fixed: np.ndarray | None = None,
    svd: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ridge for complete ``y`` on rows ``z``: alpha per column by LOO, or ``fixed``.

    ``svd`` (from :func:`_centred_svd` of the same ``z``) skips the decomposition, so EM
    rounds on a fixed design share one SVD.
    """
    n, k = z.shape
    t = y.shape[1]
    if n < 3:
        return np.zeros((k, t)), y.mean(axis=0) if n else np.zeros(t), np.zeros(t)
    zm, u, s, vt = _centred_svd(z) if svd is None else svd
    ym = y.mean(axis=0)
    yc = y - ym
    uty = u.T @ yc
    if fixed is None:
        best_err = np.full(t, np.inf)
        best_alpha = np.full(t, alphas[0])
        u32 = u.astype(np.float32)
        for a in alphas:
            d = s**2 / (s**2 + a)
            fitted = u32 @ (d[:, None] * uty).astype(np.float32)
            h = (u**2) @ d + 1.0 / n
            loo = (yc - fitted) / np.maximum(1.0 - h, 1e-6)[:, None]
            err = (loo**2).mean(axis=0)
            better = err < best_err
            best_err = np.where(better, err, best_err)
            best_alpha = np.where(better, a, best_alpha)
    else:
        best_alpha = np.asarray(fixed, float)
    coef = np.zeros((k, t))
    for a in np.unique(best_alpha):
        cols = best_alpha == a
        coef[:, cols] = vt.T @ ((s / (s**2 + a))[:, None] * uty[:, cols])
    intercept = ym - zm @ coef
    return coef, intercept, best_alpha


class RidgeHead(_LinearHead):
    """Per-target ridge; alpha per target by exact leave-one-out over ``alphas``.

    Penalties are scaled by the number of lines, so the grid means the same for any n.
    Columns with missing entries: with few distinct missingness patterns (at most
    ``max_patterns``) each pattern is solved exactly on its rows; otherwise missing
    entries are filled by EM (``em_iter`` rounds of impute-with-prediction and refit on
    the shared SVD), which converges to the masked least-squares solution.
    """

    kind = "ridge"

    def fit(self, z: np.ndarray, y: np.ndarray, *, random_state: int = 0) -> RidgeHead:
        alphas = np.asarray(self.params.get("alphas", DEFAULT_RIDGE_ALPHAS), float)
        max_patterns = int(self.params.get("max_patterns", 20))
        em_iter = int(self.params.get("em_iter", 15))
        z = z.astype(np.float64)
        mask = np.isfinite(y)
        k, t = z.shape[1], y.shape[1]
        n = len(z)
        coef = np.zeros((k, t))
        intercept = np.zeros(t)
        alpha = np.zeros(t)
        full = mask.all(axis=0)
        if full.any():
            c, b, a = _ridge_pattern(z, y[:, full].astype(np.float64), alphas * n)
            coef[:, full], intercept[full], alpha[full] = c, b, a / n
        part = np.flatnonzero(~full)
        if len(part):
            patterns, inverse = np.unique(mask[:, part].T, axis=0, return_inverse=True)
            inverse = np.asarray(inverse).reshape(-1)
            if len(patterns) <= max_patterns:
                for p_idx, pattern in enumerate(patterns):
                    cols = part[inverse == p_idx]
                    rows = np.flatnonzero(pattern)
                    c, b, a = _ridge_pattern(z[rows], y[np.ix_(rows, cols)].astype(np.float64), alphas * len(rows))
                    coef[:, cols], intercept[cols], alpha[cols] = c, b, a / max(len(rows), 1)
            else:
                yp = y[:, part].astype(np.float64)
                mp = mask[:, part]
                filled = np.where(mp, yp, _col_means(np.where(mp, yp, 0.0), mp))
                chosen = None
                svd = _centred_svd(z)  # the design is fixed across EM rounds: decompose once
                for _ in range(em_iter):
                    c, b, chosen = _ridge_pattern(z, filled, alphas * n, fixed=chosen, svd=svd)
                    filled = np.where(mp, yp, z @ c + b)
                coef[:, part], intercept[part], alpha[part] = c, b, np.asarray(chosen) / n
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        self.alpha_ = alpha.astype(np.float32)
        return self


# ---------------------------------------------------------------------- elastic net
def enet_fista(
    z: np.ndarray,
    y: np.ndarray,
    *,
    alpha: np.ndarray,
    l1_ratio: float,
    coef_init: np.ndarray | None = None,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Solve T elastic nets at once by FISTA; ``y`` may hold NaN (masked out).

    Objective per target t (sklearn's ElasticNet parametrisation)::

        1/(2 n_t) * sum_obs (y - z b - c)^2 + alpha_t * (l1_ratio |b|_1 + (1 - l1_ratio)/2 |b|^2)

    ``z`` must be column-centred over all rows. For complete columns the intercept is the
    column mean and the gradient uses the shared Gram matrix; columns with missing entries
    use a masked gradient (intercept updated jointly).

    Returns
    -------
    coef, intercept, n_iter
    """
    n, k = z.shape
    y0, mask = _masked(y)
    n_obs = np.maximum(mask.sum(axis=0), 1).astype(np.float64)
    full = mask.all(axis=0)
    part = ~full
    gram = z.T @ z
    lmax = max(float(np.linalg.eigvalsh(gram)[-1]), float(n))
    alpha = np.broadcast_to(np.asarray(alpha, np.float64), (y.shape[1],))
    lip = lmax / n_obs + alpha * (1 - l1_ratio)
    step = 1.0 / lip
    thresh = alpha * l1_ratio * step
    zty = z.T @ y0
    ymean = _col_means(y0, mask)
    coef = np.zeros((k, y.shape[1])) if coef_init is None else coef_init.astype(np.float64).copy()
    intercept = ymean.copy()
    zp, mp, yp = z, mask[:, part].astype(np.float64), y0[:, part]
    b_prev, c_prev = coef.copy(), intercept.copy()
    yb, yc = coef.copy(), intercept.copy()
    tk = 1.0
    it = 0
    for it in range(1, max_iter + 1):
        grad = np.empty_like(yb)
        gc = np.zeros_like(yc)
        if full.any():
            grad[:, full] = (gram @ yb[:, full] - zty[:, full]) / n_obs[full]
        if part.any():
            resid = mp * (zp @ yb[:, part] + yc[part] - yp)
            grad[:, part] = (zp.T @ resid) / n_obs[part]
            gc[part] = resid.sum(axis=0) / n_obs[part]
        grad += alpha * (1 - l1_ratio) * yb
        b_new = yb - step * grad
        b_new = np.sign(b_new) * np.maximum(np.abs(b_new) - thresh, 0.0)
        c_new = yc - step * gc
        c_new[full] = ymean[full]
        t_next = (1 + np.sqrt(1 + 4 * tk * tk)) / 2
        mom = (tk - 1) / t_next
        yb = b_new + mom * (b_new - b_prev)
        yc = c_new + mom * (c_new - c_prev)
        if it % 10 == 0:
            delta = np.abs(b_new - b_prev).max() if b_new.size else 0.0
            if delta <= tol * max(np.abs(b_new).max() if b_new.size else 0.0, 1e-12):
                b_prev, c_prev = b_new, c_new
                break
        b_prev, c_prev, tk = b_new, c_new, t_next
    return b_prev, c_prev, it


def _alpha_max(z: np.ndarray, y: np.ndarray, l1_ratio: float) -> np.ndarray:
    y0, mask = _masked(y)
    yc = np.where(mask, y0 - _col_means(y0, mask), 0.0)
    n_obs = np.maximum(mask.sum(axis=0), 1)
    return np.abs(z.T @ yc).max(axis=0) / (n_obs * max(l1_ratio, 1e-3)) + 1e-12


class ElasticNetHead(_LinearHead):
    """Per-target elastic net (``l1_ratio=1`` is the lasso), all targets in one FISTA solve.

    A path of ``n_alphas`` penalties (``alpha_max`` down to ``alpha_min_ratio * alpha_max``,
    per target) is fitted with warm starts on a random ``1 - valid_fraction`` of the lines;
    each target takes the penalty with the lowest error on the rest, then is refitted on
    all lines.
    """

    kind = "enet"
    default_l1_ratio: ClassVar[float] = 0.5

    def fit(self, z: np.ndarray, y: np.ndarray, *, random_state: int = 0) -> ElasticNetHead:
        l1 = float(self.params.get("l1_ratio", self.default_l1_ratio))
        n_alphas = int(self.params.get("n_alphas", 8))
        ratio = float(self.params.get("alpha_min_ratio", 1e-2))
        max_iter = int(self.params.get("max_iter", 300))
        valid_fraction = float(self.params.get("valid_fraction", 0.2))
        z = z.astype(np.float64)
        zm = z.mean(axis=0)
        zc = z - zm
        n = len(z)
        rng = np.random.default_rng(random_state)
        inner = rng.permutation(n)
        n_val = max(1, round(valid_fraction * n)) if n >= 5 else 0
        val, tr = inner[:n_val], inner[n_val:]
        amax = _alpha_max(zc, y, l1)
        grid = amax[None, :] * np.geomspace(1.0, ratio, n_alphas)[:, None]
        if n_val:
            shift = zc[tr].mean(axis=0)
            ztr = zc[tr] - shift
            coef = None
            yv0, mv = _masked(y[val])
            best = np.full(y.shape[1], np.inf)
            chosen = grid[-1].copy()
            start = np.zeros((z.shape[1], y.shape[1]))
            for a in grid:
                coef, icpt, _ = enet_fista(ztr, y[tr], alpha=a, l1_ratio=l1, coef_init=coef, max_iter=max_iter)
                pred = (zc[val] - shift) @ coef + icpt
                err = (mv * (pred - yv0) ** 2).sum(axis=0) / np.maximum(mv.sum(axis=0), 1)
                better = err < best
                best = np.where(better, err, best)
                chosen = np.where(better, a, chosen)
                start[:, better] = coef[:, better]
        else:
            chosen = grid[len(grid) // 2]
            start = None
        # Refit on all lines at each target's penalty, warm-started from the inner fit.
        coef, icpt, _ = enet_fista(zc, y, alpha=chosen, l1_ratio=l1, coef_init=start, max_iter=max_iter)
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = (icpt - zm @ coef).astype(np.float32)
        self.alpha_ = chosen.astype(np.float32)
        return self


class LassoHead(ElasticNetHead):
    """Per-target lasso (elastic net with ``l1_ratio=1``)."""

    kind = "lasso"
    default_l1_ratio = 1.0


# ------------------------------------------------------------------------------ kNN
class KnnHead(Head):
    """Mean target of the ``k`` nearest training lines (Euclidean in the representation).

    Missing targets of a neighbour are skipped (the mean is over neighbours that have it).
    """

    kind = "knn"

    def fit(self, z: np.ndarray, y: np.ndarray, *, random_state: int = 0) -> KnnHead:
        self.z_ = z.astype(np.float32)
        self.y_ = y.astype(np.float32)
        return self

    def predict(self, z: np.ndarray) -> np.ndarray:
        k = min(int(self.params.get("k", 20)), len(self.z_))
        d = (z**2).sum(1)[:, None] - 2 * z @ self.z_.T + (self.z_**2).sum(1)[None, :]
        nn_idx = np.argpartition(d, k - 1, axis=1)[:, :k]
        y0, mask = _masked(self.y_)
        w = np.zeros((len(z), len(self.z_)), np.float32)
        np.put_along_axis(w, nn_idx, 1.0, axis=1)
        num = w @ y0
        den = w @ mask.astype(np.float32)
        fallback = _col_means(y0, mask)
        return np.where(den > 0, num / np.maximum(den, 1e-12), fallback).astype(np.float32)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"z": self.z_, "y": self.y_}

    def set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.z_, self.y_ = arrays["z"], arrays["y"]


# ------------------------------------------------------------------------- LightGBM
class LightGBMHead(Head):
    """One small LightGBM regressor per target (skips missing values); slow for many targets."""

    kind = "lgbm"

    def fit(self, z: np.ndarray, y: np.ndarray, *, random_state: int = 0) -> LightGBMHead:
        import lightgbm as lgb

        params = {
            "objective": "regression",
            "learning_rate": float(self.params.get("learning_rate", 0.1)),
            "num_leaves": int(self.params.get("num_leaves", 7)),
            "min_data_in_leaf": int(self.params.get("min_data_in_leaf", 10)),
            "feature_fraction": 0.8,
            "verbosity": -1,
            "num_threads": int(self.params.get("n_jobs", 1)),
            "seed": int(random_state),
        }
        rounds = int(self.params.get("n_estimators", 50))
        y0, mask = _masked(y)
        self.fallback_ = _col_means(y0, mask).astype(np.float32)
        self._boosters: list[Any] = []
        for t in range(y.shape[1]):
            rows = mask[:, t]
            if rows.sum() < 10 or np.ptp(y[rows, t]) == 0:
                self._boosters.append(None)
                continue
            ds = lgb.Dataset(z[rows], y[rows, t], free_raw_data=True)
            booster = lgb.train(params, ds, num_boost_round=rounds)
            self._boosters.append(booster)
        return self

    def predict(self, z: np.ndarray) -> np.ndarray:
        out = np.tile(self.fallback_, (len(z), 1))
        for t, booster in enumerate(self._boosters):
            if booster is not None:
                out[:, t] = booster.predict(z)
        return out.astype(np.float32)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        texts = [b.model_to_string() if b is not None else None for b in self._boosters]
        return {"models": texts}, {"fallback": self.fallback_}

    def set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        import lightgbm as lgb

        self.fallback_ = arrays["fallback"]
        self._boosters = [lgb.Booster(model_str=t) if t is not None else None for t in meta["models"]]


# ------------------------------------------------------------------------------ MLP
class MLPHead(Head):
    """One multi-output MLP (k -> hidden -> T) with a masked MSE on standardised targets.

    Settings: ``hidden`` (256), ``dropout`` (0.2) and ``trainer`` (a
    :class:`~cellresponse.models.train.TrainerConfig`, or a mapping of the fields that
    differ from the default :data:`MLP_HEAD_TRAINER`). Trained with torch through the package's one loop
    (seeded, global RNG and threads restored); weights are kept as NumPy arrays.
    """

    kind = "mlp"
    settings: ClassVar[tuple[str, ...]] = ("hidden", "dropout", "trainer")

    def fit(self, z: np.ndarray, y: np.ndarray, *, random_state: int = 0) -> MLPHead:
        unknown = sorted(set(self.params) - set(self.settings))
        if unknown:
            raise ValueError(f"unknown 'mlp' head setting(s) {unknown}; valid: {', '.join(self.settings)}")
        trainer = TrainerConfig.coerce(self.params.get("trainer", MLP_HEAD_TRAINER), base=MLP_HEAD_TRAINER)
        torch = import_torch()
        hidden = int(self.params.get("hidden", 256))
        dropout = float(self.params.get("dropout", 0.2))
        y0, mask = _masked(y)
        mu = _col_means(y0, mask)
        var = (mask * (y0 - mu) ** 2).sum(0) / np.maximum(mask.sum(0) - 1, 1)
        sd = np.where(var > 1e-12, np.sqrt(var), 1.0)
        yt = torch.as_tensor(np.where(mask, (y0 - mu) / sd, 0.0).astype(np.float32)).to(trainer.device)
        mt = torch.as_tensor(mask.astype(np.float32)).to(trainer.device)
        zt = torch.as_tensor(z.astype(np.float32)).to(trainer.device)
        n = len(z)

        def batches(gen: Any) -> Any:
            order = torch.randperm(n, generator=gen)
            return (order[s : s + trainer.batch_size].to(zt.device) for s in range(0, n, trainer.batch_size))

        def loss(net: Any, idx: Any) -> Any:
            m = mt[idx]
            return ((net(zt[idx]) - yt[idx]) ** 2 * m).sum() / m.sum().clamp(min=1.0)

        with torch_settings(
            num_threads=trainer.num_threads,
            deterministic=trainer.deterministic,
            seed=random_state,
            device=trainer.device,
        ):
            net = torch.nn.Sequential(
                torch.nn.Linear(z.shape[1], hidden),
                torch.nn.ReLU(),
                torch.nn.Dropout(dropout),
                torch.nn.Linear(hidden, y.shape[1]),
            ).to(trainer.device)
            train_network(net, batches, loss, config=trainer, seed=random_state)
        w1, b1, w2, b2 = (p.detach().cpu() for p in net.parameters())
        self.w1_ = np.ascontiguousarray(w1.T.numpy(), dtype=np.float32)
        self.b1_ = np.asarray(b1.numpy(), dtype=np.float32).copy()
        # C order, as saving writes it: a loaded head then runs the same BLAS kernel
        self.w2_ = np.ascontiguousarray((np.asarray(w2.T.numpy()) * sd).astype(np.float32))
        self.b2_ = (np.asarray(b2.numpy()) * sd + mu).astype(np.float32)
        return self

    def predict(self, z: np.ndarray) -> np.ndarray:
        h = np.maximum(z.astype(np.float32) @ self.w1_ + self.b1_, 0.0)
        return (h @ self.w2_ + self.b2_).astype(np.float32)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"w1": self.w1_, "b1": self.b1_, "w2": self.w2_, "b2": self.b2_}

    def set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.w1_, self.b1_, self.w2_, self.b2_ = (arrays[k] for k in ("w1", "b1", "w2", "b2"))


_HEADS: dict[str, type[Head]] = {
    "mean": MeanHead,
    "ridge": RidgeHead,
    "enet": ElasticNetHead,
    "lasso": LassoHead,
    "knn": KnnHead,
    "lgbm": LightGBMHead,
    "mlp": MLPHead,
}


def make_head(kind: str, **params: Any) -> Head:
    """A head of ``kind`` (one of :data:`HEAD_KINDS`) with settings ``params``."""
    try:
        return _HEADS[kind](**params)
    except KeyError:
        raise ValueError(f"unknown LEAP predictor {kind!r}; choose from {HEAD_KINDS}") from None


__all__ = [
    "HEAD_KINDS",
    "MLP_HEAD_TRAINER",
    "ElasticNetHead",
    "Head",
    "KnnHead",
    "LassoHead",
    "LightGBMHead",
    "MLPHead",
    "MeanHead",
    "RidgeHead",
    "enet_fista",
    "make_head",
]
