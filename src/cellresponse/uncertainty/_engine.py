"""Intervals and novelty inside the benchmark: per fold and per (model, fold) cell.

Calibration is split conformal on the inner validation part of each outer fold (the part
the engine passes to ``fit`` as ``valid``): it holds out groups the way the outer split
does (new cell lines under leave-cell-line-out, new drugs under leave-drug-out, new
tissues under leave-tissue-out), so its residuals are exchangeable with the test
residuals of the same kind. Cross-conformal or CV+ over inner folds would refit every
model several times per outer fold; split conformal costs one extra prediction of the
validation part. Models that early-stop or tune on ``valid`` (MLPs, LightGBM,
``ridge_per_drug``'s shared alpha) see those residuals once, which can make them slightly
optimistic; the benchmark's per-fold test coverage measures whether that matters.

What a run writes (backward compatible: older results directories simply lack it):

- ``predictions/obs.csv.gz``: the novelty columns of every tested observation
  (:data:`cellresponse.uncertainty.NOVELTY_COLUMNS`), fitted on the fold's training part;
- ``predictions/values.npz`` context arrays ``<fold>/interval_levels`` and
  ``<fold>/interval/<model>/<variant>``: half-widths ``(n_fold, n_levels)`` (vector
  targets ``(n_fold, n_genes, n_levels)``) of the intervals ``prediction ± half-width``;
- ``extras/<model>.calibration.csv``: calibration points, Mondrian groups, fallbacks
  and the seconds calibration took, per fold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.uncertainty._conformal import (
    DEFAULT_LEVEL,
    DEFAULT_VARIANT,
    LEVELS,
    MIN_GROUP_SIZE,
    VARIANTS,
    IntervalCalibrator,
    check_level,
    check_levels,
)
from cellresponse.uncertainty._domain import DomainConfig, DomainModel

LEVELS_KEY = "interval_levels"
INTERVAL_KEY = "interval"


@dataclass(frozen=True)
class UncertaintyConfig:
    """What a benchmark calibrates and scores.

    Attributes
    ----------
    levels
        Interval levels written and scored (coverage and width at each).
    level
        The level of per-group coverage, prediction sets and confidence scores.
    variants
        Interval variants written (:data:`cellresponse.uncertainty.VARIANTS`); the served
        one, ``mondrian_normalized``, is always included.
    min_group_size
        Calibration points a Mondrian group needs; smaller groups use the pooled quantile.
    domain
        :class:`DomainConfig` of the novelty scores and difficulty estimates.
    """

    levels: tuple[float, ...] = LEVELS
    level: float = DEFAULT_LEVEL
    variants: tuple[str, ...] = VARIANTS
    min_group_size: int = MIN_GROUP_SIZE
    domain: DomainConfig = field(default_factory=DomainConfig)

    def __post_init__(self) -> None:
        level = check_level(self.level)
        levels = check_levels((*self.levels, level))
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown:
            raise ValueError(f"unknown interval variants {unknown}; choose from {VARIANTS}")
        variants = tuple(v for v in VARIANTS if v in {*self.variants, DEFAULT_VARIANT})
        if isinstance(self.min_group_size, bool) or int(self.min_group_size) < 1:
            raise ValueError(f"min_group_size must be an integer >= 1, got {self.min_group_size!r}")
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "variants", variants)


@dataclass
class FoldUncertainty:
    """What every model of one outer fold shares: novelty of the test rows and the
    difficulty of the calibration and test rows, fitted on the fold's training part."""

    config: UncertaintyConfig
    novelty: pd.DataFrame
    sigma_valid: np.ndarray | None
    sigma_test: np.ndarray
    seconds: float
    cpu_seconds: float


@dataclass
class CellIntervals:
    """Half-widths of one (model, fold) cell and what its calibration rested on."""

    halfwidths: dict[str, np.ndarray]
    report: pd.DataFrame


def prepare_fold(train: Dataset, valid: Dataset | None, test: Dataset, *, config: UncertaintyConfig) -> FoldUncertainty:
    """Fit the applicability domain on ``train``; score ``test``; difficulty of both parts."""
    t0, c0 = time.perf_counter(), time.process_time()
    domain = DomainModel(config.domain).fit(train)
    novelty = domain.score(test)
    # float32: what is written (9 significant digits) reads back exactly, so a run and a
    # re-scoring of its files see the same scores
    floats = [c for c in novelty.columns if novelty[c].dtype.kind == "f"]
    novelty[floats] = novelty[floats].astype(np.float32)
    sigma_test = domain.difficulty(test)
    sigma_valid = domain.difficulty(valid) if valid is not None and len(valid) else None
    return FoldUncertainty(config, novelty, sigma_valid, sigma_test, time.perf_counter() - t0, time.process_time() - c0)


def calibrate_cell(model: Any, fold: FoldUncertainty, *, valid: Dataset | None, test: Dataset) -> CellIntervals:
    """Calibrate a fitted ``model`` on ``valid`` and give the half-widths of its ``test``
    intervals at every level and variant (none without a validation part: reported).

    NaN residuals (a model that predicts NaN for some validation rows) are left out and
    counted; a model with no finite validation prediction gets no intervals (reported).
    """
    cfg = fold.config
    t0, c0 = time.perf_counter(), time.process_time()
    row: dict[str, Any] = {"n_calibration": 0, "n_nan_dropped": 0, "note": ""}
    halfwidths: dict[str, np.ndarray] = {}
    if valid is None or len(valid) == 0:
        row["note"] = "no inner validation part: no intervals"
    else:
        residuals = valid.y.astype(np.float64) - np.asarray(model.predict(valid), dtype=np.float64)
        try:
            cal = IntervalCalibrator(min_group_size=cfg.min_group_size).fit(
                residuals,
                groups=None if valid.is_vector_target else valid.perturbations,
                sigmas=fold.sigma_valid,
                nan_policy="drop",
            )
        except ValueError as err:
            row["note"] = f"no intervals: {err}"
        else:
            row.update(cal.report(cfg.levels))
            groups = None if test.is_vector_target else test.perturbations
            if groups is not None:  # test groups served by the pooled quantile (unseen or too small)
                pooled = cal.pooled_groups(groups, cfg.level)
                row.update({"n_test_groups": len(set(groups)), f"n_test_groups_pooled@{cfg.level:g}": len(pooled)})
            for variant in cfg.variants:
                hw = [
                    cal.halfwidth(level, variant=variant, groups=groups, sigmas=fold.sigma_test, n=len(test))
                    for level in cfg.levels
                ]
                halfwidths[variant] = np.stack(hw, axis=-1).astype(np.float32)
    row.update(
        calibrate_s=time.perf_counter() - t0,
        calibrate_cpu_s=time.process_time() - c0,
        domain_s=fold.seconds,
        domain_cpu_s=fold.cpu_seconds,
    )
    return CellIntervals(halfwidths, pd.DataFrame([row]))


def interval_context(fold: int, intervals: dict[str, dict[str, np.ndarray]], levels: tuple[float, ...]) -> dict:
    """Context arrays of one fold's predictions that hold every model's half-widths."""
    if not intervals:
        return {}
    out: dict[str, np.ndarray] = {f"{fold}/{LEVELS_KEY}": np.asarray(levels, dtype=np.float64)}
    for model, variants in intervals.items():
        for variant, hw in variants.items():
            out[f"{fold}/{INTERVAL_KEY}/{model}/{variant}"] = np.asarray(hw, dtype=np.float32)
    return out


def fold_intervals(context: dict[str, np.ndarray], fold: int) -> tuple[tuple[float, ...], dict[str, dict[str, Any]]]:
    """``(levels, {model: {variant: half-widths}})`` of one fold, read from predictions'
    context (empty for results written without intervals)."""
    levels = context.get(f"{int(fold)}/{LEVELS_KEY}")
    if levels is None:
        return (), {}
    prefix = f"{int(fold)}/{INTERVAL_KEY}/"
    out: dict[str, dict[str, Any]] = {}
    for key, arr in context.items():
        if key.startswith(prefix):
            model, variant = key[len(prefix) :].rsplit("/", 1)
            out.setdefault(model, {})[variant] = arr
    return tuple(float(v) for v in levels), out


__all__ = [
    "CellIntervals",
    "FoldUncertainty",
    "UncertaintyConfig",
    "calibrate_cell",
    "fold_intervals",
    "interval_context",
    "prepare_fold",
]
