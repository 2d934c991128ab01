"""Split conformal intervals from held-out residuals: standard, Mondrian, normalized.

A calibrator keeps the nonconformity scores of a calibration set (absolute residuals,
optionally divided by a difficulty estimate ``sigma``) and turns any point prediction
into an interval ``prediction ± q * sigma`` at any level, where ``q`` is the
``ceil(level * (n + 1))``-th smallest calibration score: under exchangeability of
calibration and test observations the interval holds the truth with probability at
least ``level``. The Mondrian variants take the quantile within the observation's group
(a drug, a gene; the columns of a vector target), which gives that guarantee per group.

Why our own code and not crepes' ``ConformalRegressor`` (which the tests check this
against, on the same residuals): crepes gives a zero-width interval to a group absent
from calibration and an infinite one, with a warning, to a group too small for the
level; we need a stated fallback (the pooled quantile) that is counted and reported,
vectorized quantiles over ~1,000 groups, and state that saves without pickle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from cellresponse._util import examples

#: levels every benchmark scores; any level in (0, 1) can be asked of a calibrator
LEVELS = (0.8, 0.9, 0.95)
DEFAULT_LEVEL = 0.9
#: ``standard``: one quantile of |residual|; ``mondrian``: one per group (pooled for small
#: groups); ``normalized``: |residual| / sigma; ``mondrian_normalized``: both (served)
VARIANTS = ("standard", "mondrian", "normalized", "mondrian_normalized")
DEFAULT_VARIANT = "mondrian_normalized"
#: a Mondrian group with fewer calibration points uses the pooled quantile
MIN_GROUP_SIZE = 30
#: ordered class codes of class targets, which get prediction sets (dependency classes)
CLASS_TARGETS: dict[str, tuple[float, ...]] = {"dependency_class": (0.0, 1.0, 2.0)}
NanPolicy = Literal["raise", "drop"]
_EPS = 1e-9


def check_level(level: object, *, name: str = "level") -> float:
    """``level`` as a float in the open interval (0, 1).

    Raises
    ------
    ValueError
        If ``level`` is not a number strictly between 0 and 1.

    Examples
    --------
    >>> check_level(0.9)
    0.9
    """
    if isinstance(level, bool) or not isinstance(level, int | float | np.floating | np.integer):
        raise ValueError(f"{name} must be a number in (0, 1), got {level!r}")
    value = float(level)
    if not 0.0 < value < 1.0 or not math.isfinite(value):
        raise ValueError(f"{name} must be in (0, 1) (e.g. 0.9 for 90% intervals), got {level!r}")
    return value


def check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """Distinct valid levels in increasing order."""
    out = tuple(sorted({check_level(v, name="levels") for v in levels}))
    if not out:
        raise ValueError("levels must name at least one level in (0, 1)")
    return out


def quantile_rank(n: int, level: float) -> int:
    """1-based rank of the conformal quantile among ``n`` sorted scores: ``ceil(level * (n + 1))``
    (``n + 1`` or more means the interval is unbounded)."""
    return math.ceil(level * (n + 1) - _EPS)


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The split-conformal quantile of ``scores`` at ``level`` (``inf`` when there are too
    few scores for the level: fewer than ``level / (1 - level)``).

    Examples
    --------
    >>> conformal_quantile(np.arange(1.0, 20.0), 0.9)
    18.0
    """
    level = check_level(level)
    s = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    k = quantile_rank(len(s), level)
    return float(s[k - 1]) if 1 <= k <= len(s) else math.inf


def _as_2d(values: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{what} must be 1-D (scalar target) or 2-D (vector target), got shape {arr.shape}")
    return arr


class IntervalCalibrator:
    """Split-conformal calibration of any model's point predictions.

    Parameters
    ----------
    min_group_size
        Mondrian groups with fewer calibration points (after NaN removal), and groups
        whose own quantile is unbounded at the level asked, use the pooled quantile of
        all calibration points (counted in :meth:`report`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> cal = IntervalCalibrator().fit(rng.normal(size=500))
    >>> hw = cal.halfwidth(0.9, variant="standard", n=3)
    >>> bool(1.5 < hw[0] < 1.8)
    True
    """

    def __init__(self, *, min_group_size: int = MIN_GROUP_SIZE) -> None:
        if isinstance(min_group_size, bool) or int(min_group_size) < 1:
            raise ValueError(f"min_group_size must be an integer >= 1, got {min_group_size!r}")
        self.min_group_size = int(min_group_size)

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        residuals: np.ndarray,
        *,
        groups: Sequence[object] | np.ndarray | None = None,
        sigmas: np.ndarray | None = None,
        nan_policy: NanPolicy = "raise",
    ) -> Self:
        """Keep the nonconformity scores of calibration residuals (truth - prediction).

        Parameters
        ----------
        residuals
            ``(n,)`` for a scalar target or ``(n, n_targets)`` for a vector target, whose
            columns are then the Mondrian groups.
        groups
            Mondrian group of each row (scalar targets only), e.g. the drug.
        sigmas
            Difficulty estimates shaped like ``residuals`` (finite, > 0); needed by the
            normalized variants.
        nan_policy
            ``"raise"``: NaN residuals are an error; ``"drop"``: they are left out and
            counted in :meth:`report`.

        Raises
        ------
        ValueError
            For NaN residuals under ``nan_policy="raise"``, no finite residual, misshapen
            groups or sigmas, or sigmas that are not finite and positive.
        """
        res = _as_2d(residuals, "residuals")
        n_rows = res.shape[0]
        self.vector_ = res.ndim == 2
        self.n_targets_ = int(res.shape[1]) if res.ndim == 2 else 0
        if groups is not None and self.vector_:
            raise ValueError("groups are for scalar targets; the columns of a vector target are its groups")
        if self.vector_:
            codes = np.broadcast_to(np.arange(res.shape[1]), res.shape).ravel()
            labels = [str(i) for i in range(res.shape[1])]
        elif groups is not None:
            g = np.asarray(groups).astype(str)
            if g.shape != (n_rows,):
                raise ValueError(f"groups has shape {g.shape}; expected ({n_rows},) like the residuals")
            uniq, codes = np.unique(g, return_inverse=True)
            labels = uniq.tolist()
        else:
            codes = np.zeros(n_rows, dtype=np.int64)
            labels = []
        flat = res.ravel()
        sig = None
        if sigmas is not None:
            sig = np.asarray(sigmas, dtype=np.float64)
            if sig.shape != res.shape:
                raise ValueError(f"sigmas has shape {sig.shape}; expected {res.shape} like the residuals")
            sig = sig.ravel()
            bad = ~(np.isfinite(sig) & (sig > 0))
            if bad.any():
                where = examples(np.flatnonzero(bad))
                raise ValueError(f"sigmas must be finite and > 0; {int(bad.sum())} are not (positions {where})")
        if nan_policy not in ("raise", "drop"):
            raise ValueError(f"nan_policy must be 'raise' or 'drop', got {nan_policy!r}")
        nan = ~np.isfinite(flat)
        if nan.any() and nan_policy == "raise":
            rows = np.unique(np.flatnonzero(nan) // max(self.n_targets_, 1))
            raise ValueError(
                f"{int(nan.sum())} of {flat.size} calibration residuals are NaN or infinite (rows {examples(rows)}): "
                "the model predicted NaN for calibration rows; fix the model or fit with nan_policy='drop'"
            )
        keep = ~nan
        if not keep.any():
            raise ValueError(f"no finite calibration residual among {flat.size}: every prediction was NaN")
        self.n_dropped_ = int(nan.sum())
        self.group_labels_ = labels
        self._set_scores(np.abs(flat[keep]), None if sig is None else sig[keep], codes[keep].astype(np.int64))
        return self

    def _set_scores(self, abs_res: np.ndarray, sig: np.ndarray | None, codes: np.ndarray) -> None:
        self.abs_ = abs_res
        self.sigma_ = sig
        self.codes_ = codes
        self.n_calibration_ = len(abs_res)
        self.group_sizes_ = np.bincount(codes, minlength=max(len(self.group_labels_), 1))
        self._cache: dict[tuple[bool, bool], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @property
    def normalized(self) -> bool:
        """Whether difficulty estimates were given (the normalized variants are available)."""
        return self.sigma_ is not None

    def _sorted(self, *, normalized: bool, mondrian: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores sorted within groups, group start offsets, group sizes)."""
        key = (normalized, mondrian)
        if key not in self._cache:
            if normalized and self.sigma_ is None:
                raise ValueError("this calibrator was fitted without sigmas; normalized variants need them")
            scores = self.abs_ / self.sigma_ if normalized and self.sigma_ is not None else self.abs_
            codes = self.codes_ if mondrian else np.zeros_like(self.codes_)
            order = np.lexsort((scores, codes))
            sizes = np.bincount(codes, minlength=max(len(self.group_labels_), 1) if mondrian else 1)
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            self._cache[key] = (scores[order], starts, sizes)
        return self._cache[key]

    # ------------------------------------------------------------------ quantiles
    def quantiles(self, level: float, *, variant: str = DEFAULT_VARIANT) -> tuple[float, np.ndarray, np.ndarray]:
        """``(pooled quantile, per-group quantile, per-group fallback flag)`` at ``level``.

        Per-group arrays follow :attr:`group_labels_`; a group falls back to the pooled
        quantile when it has fewer than ``min_group_size`` points or its own quantile is
        unbounded at ``level``. Non-Mondrian variants return the pooled quantile for
        every group.
        """
        level = check_level(level)
        mondrian, normalized = _parse_variant(variant)
        pooled_scores, _, _ = self._sorted(normalized=normalized, mondrian=False)
        pooled = conformal_quantile(pooled_scores, level)
        n_groups = max(len(self.group_labels_), 1)
        if not mondrian or not self.group_labels_:
            return pooled, np.full(n_groups, pooled), np.zeros(n_groups, dtype=bool)
        scores, starts, sizes = self._sorted(normalized=normalized, mondrian=True)
        ranks = np.array([quantile_rank(int(n), level) for n in sizes])
        ok = (sizes >= self.min_group_size) & (ranks <= sizes)
        q = np.full(n_groups, pooled)
        q[ok] = scores[starts[ok] + ranks[ok] - 1]
        return pooled, q, ~ok

    def halfwidth(
        self,
        level: float,
        *,
        variant: str = DEFAULT_VARIANT,
        groups: Sequence[object] | np.ndarray | None = None,
        sigmas: np.ndarray | None = None,
        n: int | None = None,
    ) -> np.ndarray:
        """Half-widths of the intervals ``prediction ± halfwidth`` for new observations.

        Parameters
        ----------
        level
            Coverage level in (0, 1).
        variant
            One of :data:`VARIANTS`.
        groups
            Mondrian group per observation (scalar targets; groups unseen in calibration
            use the pooled quantile).
        sigmas
            Difficulty per observation, ``(m,)`` or ``(m, n_targets)`` (normalized variants).
        n
            Number of observations when neither ``groups`` nor ``sigmas`` says it.

        Returns
        -------
        numpy.ndarray
            ``(m,)`` or ``(m, n_targets)``; ``inf`` where calibration has too few points
            for the level.
        """
        check_fitted(self)
        mondrian, normalized = _parse_variant(variant)
        pooled, q, _ = self.quantiles(level, variant=variant)
        m = _count(groups, sigmas, n)
        if self.vector_:
            base = np.broadcast_to(
                q[None, :] if mondrian else np.full((1, self.n_targets_), pooled), (m, self.n_targets_)
            )
        elif mondrian and groups is not None and self.group_labels_:
            idx = pd.Index(self.group_labels_).get_indexer(np.asarray(groups).astype(str))
            base = np.where(idx >= 0, q[np.maximum(idx, 0)], pooled)
        else:
            base = np.full(m, pooled)
        if not normalized:
            return np.array(base, dtype=np.float64)
        if sigmas is None:
            raise ValueError(f"variant {variant!r} needs sigmas (difficulty estimates) for the new observations")
        sig = np.asarray(sigmas, dtype=np.float64)
        if sig.shape != base.shape:
            raise ValueError(f"sigmas has shape {sig.shape}; expected {base.shape}")
        return base * sig

    def pooled_groups(
        self, groups: Sequence[object] | np.ndarray, level: float, *, variant: str = DEFAULT_VARIANT
    ) -> list[str]:
        """The groups among ``groups`` whose intervals use the pooled quantile at ``level``:
        absent from calibration, or too small there (all of them for non-Mondrian variants)."""
        uniq = sorted({str(g) for g in np.asarray(groups)})
        mondrian, _ = _parse_variant(variant)
        if not mondrian or self.vector_:
            return uniq if not self.vector_ else []
        _, _, fallback = self.quantiles(level, variant=variant)
        own = {g for g, fb in zip(self.group_labels_, fallback, strict=True) if not fb}
        return [g for g in uniq if g not in own]

    def report(self, levels: Sequence[float] = LEVELS, *, variant: str | None = None) -> dict[str, Any]:
        """What calibration rested on: points used and dropped, groups, and the groups that
        fell back to the pooled quantile at each level (with examples) under ``variant``
        (default: Mondrian, normalized when sigmas were given)."""
        check_fitted(self)
        variant = variant or ("mondrian_normalized" if self.normalized else "mondrian")
        out: dict[str, Any] = {
            "n_calibration": int(self.n_calibration_),
            "n_nan_dropped": int(self.n_dropped_),
            "n_groups": len(self.group_labels_),
            "min_group_size": self.min_group_size,
            "variant": variant,
        }
        mondrian, _ = _parse_variant(variant)
        for level in check_levels(levels):
            _, _, fallback = self.quantiles(level, variant=variant)
            fb = [self.group_labels_[i] for i in np.flatnonzero(fallback)] if mondrian and self.group_labels_ else []
            out[f"n_fallback@{level:g}"] = len(fb)
            out[f"fallback_examples@{level:g}"] = examples(fb)
        return out

    # ------------------------------------------------------------------ state
    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON metadata and arrays that :meth:`from_state` restores (no pickle)."""
        check_fitted(self)
        meta = {
            "min_group_size": self.min_group_size,
            "vector": bool(self.vector_),
            "n_targets": self.n_targets_,
            "n_dropped": self.n_dropped_,
            "group_labels": list(self.group_labels_),
        }
        arrays = {"abs": self.abs_.astype(np.float64), "codes": self.codes_.astype(np.int64)}
        if self.sigma_ is not None:
            arrays["sigma"] = self.sigma_.astype(np.float64)
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> IntervalCalibrator:
        out = cls(min_group_size=int(meta["min_group_size"]))
        out.vector_ = bool(meta["vector"])
        out.n_targets_ = int(meta["n_targets"])
        out.n_dropped_ = int(meta["n_dropped"])
        out.group_labels_ = [str(g) for g in meta["group_labels"]]
        out._set_scores(np.asarray(arrays["abs"]), arrays.get("sigma"), np.asarray(arrays["codes"], dtype=np.int64))
        return out


def check_fitted(cal: IntervalCalibrator) -> None:
    if not hasattr(cal, "abs_"):
        raise ValueError("the calibrator is not fitted; call fit(residuals, ...) first")


def _parse_variant(variant: str) -> tuple[bool, bool]:
    if variant not in VARIANTS:
        raise ValueError(f"unknown interval variant {variant!r}; choose from {VARIANTS}")
    return variant.startswith("mondrian"), variant.endswith("normalized")


def _count(groups: Sequence[object] | np.ndarray | None, sigmas: np.ndarray | None, n: int | None) -> int:
    for arr in (groups, sigmas):
        if arr is not None:
            return len(arr)
    if n is None:
        raise ValueError("give groups, sigmas or n: the number of observations to make intervals for")
    return int(n)


def prediction_sets(prediction: np.ndarray, halfwidth: np.ndarray, *, classes: Sequence[float]) -> np.ndarray:
    """Conformal prediction sets of ordered class codes: class ``c`` is in the set of an
    observation when ``|c - prediction| <= halfwidth`` (the classes the interval holds),
    so a set holds the true class exactly when the interval holds it.

    Returns
    -------
    numpy.ndarray
        ``(n, n_classes)`` boolean membership.

    Examples
    --------
    >>> prediction_sets(np.array([0.2, 1.4]), np.array([0.5, 0.7]), classes=(0, 1, 2)).astype(int).tolist()
    [[1, 0, 0], [0, 1, 1]]
    """
    pred = np.asarray(prediction, dtype=np.float64)[:, None]
    hw = np.asarray(halfwidth, dtype=np.float64)[:, None]
    codes = np.asarray(classes, dtype=np.float64)[None, :]
    return np.abs(codes - pred) <= hw


def signature_confidence(prediction: np.ndarray, halfwidth: np.ndarray, *, top_k: int = 50) -> np.ndarray:
    """Per-signature confidence: the fraction of a signature's ``top_k`` most changed
    predicted genes (largest ``|prediction|``) whose interval excludes zero, i.e. whose
    predicted direction holds at the interval's level.

    Parameters
    ----------
    prediction, halfwidth
        ``(n, n_genes)`` predicted signatures and their per-gene half-widths.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` values in [0, 1] (NaN where a signature has no interval).
    """
    pred = np.asarray(prediction, dtype=np.float64)
    hw = np.asarray(halfwidth, dtype=np.float64)
    if pred.ndim != 2 or pred.shape != hw.shape:
        raise ValueError(f"prediction {pred.shape} and halfwidth {hw.shape} must be equal (n, n_genes) arrays")
    k = min(int(top_k), pred.shape[1])
    top = np.argsort(-np.abs(pred), axis=1, kind="stable")[:, :k]
    p = np.take_along_axis(pred, top, axis=1)
    h = np.take_along_axis(hw, top, axis=1)
    out = (np.abs(p) > h).mean(axis=1)
    out[np.isnan(h).any(axis=1)] = np.nan  # no interval (an infinite one excludes nothing: 0)
    return out


__all__ = [
    "CLASS_TARGETS",
    "DEFAULT_LEVEL",
    "DEFAULT_VARIANT",
    "LEVELS",
    "MIN_GROUP_SIZE",
    "VARIANTS",
    "IntervalCalibrator",
    "check_level",
    "check_levels",
    "conformal_quantile",
    "prediction_sets",
    "quantile_rank",
    "signature_confidence",
]
