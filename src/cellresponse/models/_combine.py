"""Combination weights of ensemble members, learned on inner-validation predictions.

Members' predictions are combined around each group's (drug's, gene's) training mean
``m``: ``m + sum_k w_gk (p_k - m)``. The weights are non-negative. A group with enough
validation rows gets its own weights, shrunk toward the global combination with a
ridge-like pull (an empirical-Bayes compromise between one combination for all groups
and one per group):

    w_g = argmin_{w >= 0}  ||r_g - P_g w||^2 + tau * s_g * ||w - w_global||^2

where ``r_g`` and ``P_g`` are the group's standardised target and member deviations and
``s_g`` is the mean squared member deviation of the group times its number of rows
(``tau = 1`` weighs the prior like as many rows as the group has). ``tau`` is chosen by
cross-validation over the validation rows' own groups (cell lines): combiner weights are
fitted on the other parts and scored on the held-out part. ``tau = inf`` (one global
combination) is always a candidate, and so is the single member that fits best (on the
parts a held-out part is not in): an ensemble that does not beat its best member under
cross-validation is not used. Groups absent from validation get the global weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Shrinkage strengths tried by cross-validation (``inf``: global weights only).
DEFAULT_TAUS: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0, 3.0, float("inf"))


def _nnls(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    from scipy.optimize import nnls

    if design.shape[0] == 0:
        return np.zeros(design.shape[1])
    w, _ = nnls(design, target, maxiter=50 * design.shape[1] + 100)
    return np.asarray(w)


def shrunk_nnls(design: np.ndarray, target: np.ndarray, prior: np.ndarray, penalty: float) -> np.ndarray:
    """``argmin_{w >= 0} ||target - design w||^2 + penalty ||w - prior||^2``.

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> shrunk_nnls(x, np.array([1.0, 1.0]), np.array([0.0, 0.0]), 1.0).round(3).tolist()
    [0.5, 0.5]
    """
    k = design.shape[1]
    if penalty <= 0:
        return _nnls(design, target)
    root = np.sqrt(penalty)
    aug = np.vstack([design, root * np.eye(k)])
    return _nnls(aug, np.concatenate([target, root * prior]))


@dataclass
class GroupWeights:
    """Per-group non-negative combination weights shrunk toward one global combination.

    Parameters
    ----------
    taus
        Shrinkage strengths to choose from by cross-validation (``inf``: global only).
    n_splits
        Cross-validation parts (over the ``cv_groups`` given to :meth:`fit`).
    min_rows
        Groups with fewer validation rows get the global weights.
    random_state
        Seeds the assignment of ``cv_groups`` to parts.
    tolerance
        The simplest candidate (single member, then global weights, then per-group
        weights from the strongest shrinkage down) whose cross-validated loss is within
        this relative margin of the best is chosen: a more complex combiner must beat a
        simpler one by more than noise.
    """

    taus: Sequence[float] = DEFAULT_TAUS
    n_splits: int = 5
    min_rows: int = 8
    random_state: int = 0
    tolerance: float = 0.005
    global_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    groups_: list[str] = field(default_factory=list)
    weights_: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    tau_: float = float("inf")
    single_: int = -1
    cv_loss_: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ fitting
    def _solve(
        self, dev: np.ndarray, resid: np.ndarray, codes: np.ndarray, n_groups: int, tau: float | str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Global weights and per-group weights (rows of groups with too few rows = global);
        ``tau="single"``: the one member with the smallest squared error, alone."""
        if tau == "single":
            k = dev.shape[1]
            fits = [_nnls(dev[:, [j]], resid)[0] for j in range(k)]
            loss = [float(((resid - f * dev[:, j]) ** 2).sum()) for j, f in enumerate(fits)]
            glob = np.zeros(k)
            best = int(np.argmin(loss))
            glob[best] = fits[best]
            return glob, np.tile(glob, (n_groups, 1))
        tau = float(tau)
        glob = _nnls(dev, resid)
        per = np.tile(glob, (n_groups, 1))
        if np.isinf(tau):
            return glob, per
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for rows in np.split(order, bounds):
            if rows.size < self.min_rows:
                continue
            p = dev[rows]
            scale = float((p * p).sum()) / p.shape[1]
            per[codes[rows[0]]] = shrunk_nnls(p, resid[rows], glob, tau * scale)
        return glob, per

    def fit(
        self, deviations: np.ndarray, target: np.ndarray, *, groups: np.ndarray, cv_groups: np.ndarray
    ) -> GroupWeights:
        """Learn the weights.

        Parameters
        ----------
        deviations
            ``(n, k)`` member predictions minus the group's training mean.
        target
            ``(n,)`` truth minus the group's training mean.
        groups
            ``(n,)`` group (drug, gene) of each row: weights are per group.
        cv_groups
            ``(n,)`` unit the cross-validation holds out together (cell line).

        Raises
        ------
        ValueError
            For mismatched shapes, non-finite values or no rows.
        """
        dev = np.asarray(deviations, dtype=np.float64)
        y = np.asarray(target, dtype=np.float64)
        if dev.ndim != 2 or dev.shape[0] != len(y) or len(groups) != len(y) or len(cv_groups) != len(y):
            raise ValueError(
                f"deviations {dev.shape}, target {y.shape}, groups {len(groups)} and cv_groups "
                f"{len(cv_groups)} must describe the same rows"
            )
        if len(y) == 0:
            raise ValueError("no validation rows to learn combination weights from")
        if not (np.isfinite(dev).all() and np.isfinite(y).all()):
            raise ValueError("member predictions or targets hold NaN or infinite values")
        codes, uniq = pd.factorize(pd.Index(np.asarray(groups, dtype=object)))
        # standardise each group so every drug counts alike (the headline metric is a mean over drugs)
        sd = pd.Series(y).groupby(codes).std(ddof=0).to_numpy()
        sd = np.where(np.isfinite(sd) & (sd > 1e-12), sd, 1.0)[codes]
        dev, y = dev / sd[:, None], y / sd
        taus: list[float | str] = [float(t) for t in self.taus]
        if not taus:
            raise ValueError("taus must hold at least one value")
        if dev.shape[1] > 1:
            taus.append("single")
        cv_codes, cv_uniq = pd.factorize(pd.Index(np.asarray(cv_groups, dtype=object)))
        n_parts = min(self.n_splits, len(cv_uniq))
        if len(taus) > 1 and n_parts >= 2:
            part_of = np.random.default_rng(self.random_state).permutation(len(cv_uniq)) % n_parts
            part = part_of[cv_codes]
            for tau in taus:
                loss = 0.0
                for k in range(n_parts):
                    fit_rows, held = part != k, part == k
                    _, per = self._solve(dev[fit_rows], y[fit_rows], codes[fit_rows], len(uniq), tau)
                    pred = (dev[held] * per[codes[held]]).sum(1)
                    loss += float(((y[held] - pred) ** 2).sum())
                self.cv_loss_[str(tau)] = loss / len(y)
            best = min(self.cv_loss_.values())
            simplest_first = sorted(taus, key=lambda t: (0, 0.0) if t == "single" else (1, -float(t)))
            choice = next(t for t in simplest_first if self.cv_loss_[str(t)] <= best * (1 + self.tolerance))
        else:
            choice = taus[0]
        self.global_, self.weights_ = self._solve(dev, y, codes, len(uniq), choice)
        self.single_ = int(np.argmax(self.global_)) if choice == "single" else -1
        self.tau_ = float("inf") if choice == "single" else float(choice)
        self.groups_ = [str(g) for g in uniq]
        return self

    # ----------------------------------------------------------------- applying
    def weights_for(self, groups: np.ndarray) -> np.ndarray:
        """``(n, k)`` weights of each row's group (global weights for unseen groups)."""
        pos = pd.Index(self.groups_).get_indexer(pd.Index(np.asarray(groups, dtype=object)).astype(str))
        out = np.tile(self.global_, (len(pos), 1))
        out[pos >= 0] = self.weights_[pos[pos >= 0]]
        return out

    def combine(self, base: np.ndarray, members: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """``base + sum_k w_gk (members_k - base)`` per row."""
        base = np.asarray(base, dtype=np.float64)
        dev = np.asarray(members, dtype=np.float64) - base[:, None]
        return base + (dev * self.weights_for(groups)).sum(1)

    # -------------------------------------------------------------- persistence
    def get_state(self, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "taus": [str(t) for t in self.taus],
            "n_splits": self.n_splits,
            "min_rows": self.min_rows,
            "random_state": self.random_state,
            "tolerance": self.tolerance,
            "groups": self.groups_,
            "tau": str(self.tau_),
            "single": self.single_,
            "cv_loss": self.cv_loss_,
        }
        return meta, {f"{prefix}.global": self.global_, f"{prefix}.weights": self.weights_}

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str) -> GroupWeights:
        out = cls(
            taus=tuple(float(t) for t in meta["taus"]),
            n_splits=int(meta["n_splits"]),
            min_rows=int(meta["min_rows"]),
            random_state=int(meta["random_state"]),
            tolerance=float(meta["tolerance"]),
        )
        out.groups_ = list(meta["groups"])
        out.tau_ = float(meta["tau"])
        out.single_ = int(meta["single"])
        out.cv_loss_ = {k: float(v) for k, v in meta["cv_loss"].items()}
        out.global_ = np.asarray(arrays[f"{prefix}.global"], dtype=np.float64)
        out.weights_ = np.asarray(arrays[f"{prefix}.weights"], dtype=np.float64)
        return out


__all__ = ["DEFAULT_TAUS", "GroupWeights", "shrunk_nnls"]
