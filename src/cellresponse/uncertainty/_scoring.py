"""Scores of intervals and novelty, from written predictions only (pure functions).

Per fold and model: coverage and mean width at every level and variant, the width of the
served (adaptive) interval relative to the standard (non-adaptive) one, coverage per
group at the default level, prediction-set sizes for class targets, per-signature
confidence for vector targets, and error against every novelty axis (Spearman, and the
median absolute error per novelty decile). Across folds: the width relative to the best
baseline's interval, the fraction of groups covered within 0.05 of the level, and a test
of the most against the least novel decile, paired over the other entity (drug novelty:
each cell line's median error on its most vs least novel drugs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cellresponse.metrics import paired_wilcoxon
from cellresponse.results import Predictions
from cellresponse.uncertainty._conformal import DEFAULT_LEVEL, DEFAULT_VARIANT, prediction_sets, signature_confidence
from cellresponse.uncertainty._domain import NOVELTY_AXES
from cellresponse.uncertainty._engine import fold_intervals

ROW_COLUMNS = ["model", "metric", "group_by", "group", "value"]
#: a group's coverage counts as calibrated within this distance of the level
GROUP_TOLERANCE = 0.05
N_DECILES = 10
MIN_PAIRS = 5


def metric_name(stem: str, level: float, variant: str = DEFAULT_VARIANT) -> str:
    """``coverage@0.9`` for the served variant, ``coverage_standard@0.9`` for another."""
    suffix = "" if variant == DEFAULT_VARIANT else f"_{variant}"
    return f"{stem}{suffix}@{level:g}"


def default_level(levels: Sequence[float]) -> float:
    """The level of per-group scores: 0.9 when scored, else the middle level."""
    return DEFAULT_LEVEL if DEFAULT_LEVEL in levels else float(levels[len(levels) // 2])


def _mean_width(hw: np.ndarray) -> float:
    return float(np.mean(2.0 * hw.astype(np.float64)))


def interval_rows(
    preds: Predictions,
    *,
    kind: str,
    min_group_size: int,
    classes: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Interval rows of one fold's predictions (``model, metric, group_by, group, value``;
    empty for predictions written without intervals)."""
    if not len(preds):
        return pd.DataFrame(columns=ROW_COLUMNS)
    fold = int(preds.obs["fold"].iloc[0])
    levels, intervals = fold_intervals(preds.context, fold)
    rows: list[tuple[str, str, str, str, float]] = []
    if not levels:
        return pd.DataFrame(columns=ROW_COLUMNS)
    lev = default_level(levels)
    j_def = levels.index(lev)
    y = preds.y_true.astype(np.float64)
    for model, variants in intervals.items():
        pred = preds.values.get(model)
        if pred is None or np.isnan(pred).all():
            continue
        err = np.abs(y - pred.astype(np.float64))
        for variant, hw in variants.items():
            for j, level in enumerate(levels):
                h = hw[..., j]
                rows.append((model, metric_name("coverage", level, variant), "all", "all", float((err <= h).mean())))
                rows.append((model, metric_name("width", level, variant), "all", "all", _mean_width(h)))
        if "standard" in variants and DEFAULT_VARIANT in variants:
            for j, level in enumerate(levels):
                ratio = _mean_width(variants[DEFAULT_VARIANT][..., j]) / _mean_width(variants["standard"][..., j])
                rows.append((model, f"width_ratio_standard@{level:g}", "all", "all", ratio))
        served = variants.get(DEFAULT_VARIANT)
        if served is None:
            continue
        if y.ndim == 1:
            rows += _group_coverage(
                model, preds.obs, err, variants, kind=kind, level=lev, j=j_def, min_size=min_group_size
            )
            if classes is not None:
                rows += _set_rows(model, pred, served, levels, classes)
        else:
            rows += _vector_rows(model, preds, err, served, kind=kind, level=lev, j=j_def)
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def _group_coverage(
    model: str,
    obs: pd.DataFrame,
    err: np.ndarray,
    variants: dict[str, Any],
    *,
    kind: str,
    level: float,
    j: int,
    min_size: int,
) -> list[tuple[str, str, str, str, float]]:
    """Per-group coverage rows: the served variant per perturbation, cell line and
    tissue; the standard one per perturbation, for comparison."""
    out: list[tuple[str, str, str, str, float]] = []
    plan = [(DEFAULT_VARIANT, col) for col in (kind, "cell_line", "tissue") if col in obs.columns]
    if "standard" in variants and kind in obs.columns:
        plan.append(("standard", kind))
    for variant, col in plan:
        covered = err <= variants[variant][:, j]
        frame = pd.DataFrame({"g": obs[col].astype(str).to_numpy(), "c": covered})
        grouped = frame.groupby("g", sort=True)["c"].agg(["mean", "size"])
        grouped = grouped[grouped["size"] >= min_size]
        name = metric_name("coverage", level, variant)
        out += [(model, name, col, str(g), float(v)) for g, v in grouped["mean"].items()]
    return out


def _set_rows(
    model: str, pred: np.ndarray, served: np.ndarray, levels: Sequence[float], classes: Sequence[float]
) -> list[tuple[str, str, str, str, float]]:
    out = []
    for j, level in enumerate(levels):
        size = prediction_sets(pred, served[:, j], classes=classes).sum(axis=1)
        out += [
            (model, f"set_size@{level:g}", "all", "all", float(size.mean())),
            (model, f"set_singleton@{level:g}", "all", "all", float((size == 1).mean())),
            (model, f"set_empty@{level:g}", "all", "all", float((size == 0).mean())),
        ]
    return out


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    den = np.sqrt((a**2).sum(1) * (b**2).sum(1))
    return np.divide((a * b).sum(1), den, out=np.full(len(a), np.nan), where=den > 0)


def _vector_rows(
    model: str, preds: Predictions, err: np.ndarray, served: np.ndarray, *, kind: str, level: float, j: int
) -> list[tuple[str, str, str, str, float]]:
    """Per-gene and per-compound coverage, and per-signature confidence (vector targets)."""
    h = served[..., j]
    covered = err <= h
    genes = list(preds.target_names or [str(i) for i in range(err.shape[1])])
    name = metric_name("coverage", level)
    out = [(model, name, "gene", g, float(v)) for g, v in zip(genes, covered.mean(axis=0), strict=True)]
    if kind in preds.obs.columns:
        per = pd.Series(covered.mean(axis=1)).groupby(preds.obs[kind].astype(str).to_numpy(), sort=True).mean()
        out += [(model, name, kind, str(g), float(v)) for g, v in per.items()]
    pred = preds.values[model].astype(np.float64)
    conf = signature_confidence(pred, h)
    pearson = _row_pearson(preds.y_true.astype(np.float64), pred)
    ok = np.isfinite(conf) & np.isfinite(pearson)
    rho = stats.spearmanr(conf[ok], pearson[ok]).statistic if ok.sum() > 2 and np.ptp(conf[ok]) > 0 else np.nan
    out += [
        (model, f"signature_confidence@{level:g}", "all", "all", float(np.nanmean(conf)) if ok.any() else np.nan),
        (model, f"spearman_confidence_vs_pearson@{level:g}", "all", "all", float(rho)),
    ]
    return out


# --------------------------------------------------------------------------- novelty
def _abs_error(preds: Predictions, model: str) -> np.ndarray:
    err = np.abs(preds.y_true.astype(np.float64) - preds.values[model].astype(np.float64))
    return err.mean(axis=1) if err.ndim == 2 else err


def _entity_column(entity: str | None, kind: str) -> str | None:
    return None if entity is None else (kind if entity == "perturbation" else entity)


def novelty_values(obs: pd.DataFrame, axis: str) -> pd.Series:
    """Novelty scores as float32 values: a run scores the scores it writes, which read back
    from ``obs.csv.gz`` (9 significant digits) exactly only at float32 precision."""
    return pd.to_numeric(obs[axis], errors="coerce").astype(np.float32).astype(np.float64)


def novelty_deciles(obs: pd.DataFrame, axis: str, *, kind: str) -> pd.Series | None:
    """Novelty group of every row of one fold: for entity axes (drug, cell line) deciles
    1 (least novel) .. 10 (most) of the entities ranked by novelty (ties by ID), so all
    rows of an entity share its decile; for the other axes ``inside`` / ``outside`` (0 /
    > 0). None when the axis is absent or does not vary."""
    if axis not in obs.columns:
        return None
    values = novelty_values(obs, axis)
    if values.notna().sum() == 0 or values.dropna().nunique() < 2:
        return None
    col = _entity_column(NOVELTY_AXES[axis], kind)
    if col is None:
        labels = pd.Series(np.where(values > 0, "outside", "inside"), index=obs.index, dtype=object)
        return labels.where(values.notna(), None)
    per = pd.DataFrame({"e": obs[col].astype(str), "v": values}).dropna().groupby("e", sort=True)["v"].first()
    if len(per) < N_DECILES:
        return None
    order = per.reset_index().sort_values(["v", "e"], kind="stable")
    ranks = np.arange(len(order))
    decile = pd.Series(ranks * N_DECILES // len(order) + 1, index=order["e"].to_numpy())
    return obs[col].astype(str).map(decile).astype("Int64").astype(object)


def novelty_rows(preds: Predictions, *, kind: str, models: Sequence[str]) -> pd.DataFrame:
    """Error against novelty in one fold: Spearman of absolute error with every varying
    novelty axis, and the median absolute error (and mean novelty) per novelty group."""
    rows: list[tuple[str, str, str, str, float]] = []
    for axis in NOVELTY_AXES:
        groups = novelty_deciles(preds.obs, axis, kind=kind)
        if groups is None:
            continue
        nov = novelty_values(preds.obs, axis).to_numpy()
        for model in models:
            if model not in preds.values or np.isnan(preds.values[model]).all():
                continue
            err = _abs_error(preds, model)
            ok = np.isfinite(nov) & np.isfinite(err)
            rho = stats.spearmanr(nov[ok], err[ok]).statistic if ok.sum() > 2 else np.nan
            rows.append((model, f"spearman_abs_error_vs_{axis}", "all", "all", float(rho)))
            frame = pd.DataFrame({"g": groups.to_numpy(), "e": err, "v": nov}).dropna(subset=["g"])
            frame["g"] = frame["g"].astype(str)
            agg = frame.groupby("g", sort=True).agg(e=("e", "median"), v=("v", "mean"))
            by = f"{axis}_group"
            rows += [(model, "median_abs_error", by, g, float(r.e)) for g, r in agg.iterrows()]
            rows += [(model, "mean_novelty", by, g, float(r.v)) for g, r in agg.iterrows()]
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def novelty_tests(preds: Predictions, *, kind: str, models: Sequence[str]) -> list[dict[str, Any]]:
    """Most vs least novel decile of every entity axis, every fold pooled (deciles within
    folds): a one-sided paired Wilcoxon test over the other entity (each cell line's
    median absolute error on its most vs least novel drugs, or each drug's on its most vs
    least novel cell lines); with fewer than 5 such pairs, a one-sided Mann-Whitney test
    over observations. ``model_mean`` is the most novel decile's, ``reference_mean`` the
    least novel's; a small p-value says error grows with novelty."""
    out: list[dict[str, Any]] = []
    for axis, entity in NOVELTY_AXES.items():
        col = _entity_column(entity, kind)
        if col is None or axis not in preds.obs.columns:
            continue
        other = "cell_line" if col != "cell_line" else kind
        parts = []
        for fold in preds.folds:
            part = preds.fold(fold)
            dec = novelty_deciles(part.obs, axis, kind=kind)
            if dec is not None:
                parts.append((np.flatnonzero((preds.obs["fold"] == fold).to_numpy()), dec.to_numpy()))
        if not parts:
            continue
        idx = np.concatenate([p[0] for p in parts])
        dec = np.concatenate([p[1] for p in parts])
        top, bottom = dec == N_DECILES, dec == 1
        for model in models:
            if model not in preds.values or np.isnan(preds.values[model]).all():
                continue
            err = _abs_error(preds, model)[idx]
            units = preds.obs[other].astype(str).to_numpy()[idx] if other in preds.obs.columns else None
            out.append(_decile_test(model, axis, err, top, bottom, units, over=other))
    return out


def _decile_test(
    model: str, axis: str, err: np.ndarray, top: np.ndarray, bottom: np.ndarray, units: np.ndarray | None, *, over: str
) -> dict[str, Any]:
    base = {
        "model": model,
        "reference": model,
        "metric": f"median_abs_error_by_{axis}",
        "subset": "most vs least novel decile",
        "alternative": "greater",
        "is_best_baseline": False,
    }
    if units is not None:
        a = pd.Series(err[top]).groupby(units[top]).median()
        b = pd.Series(err[bottom]).groupby(units[bottom]).median()
        if len(a.index.intersection(b.index)) >= MIN_PAIRS:
            return {**base, "over": over, **paired_wilcoxon(a, b, alternative="greater")}
    a_err, b_err = err[top & np.isfinite(err)], err[bottom & np.isfinite(err)]
    res: dict[str, Any] = {
        "n": float(len(a_err) + len(b_err)),
        "model_mean": float(np.median(a_err)) if len(a_err) else np.nan,
        "reference_mean": float(np.median(b_err)) if len(b_err) else np.nan,
        "median_diff": float(np.median(a_err) - np.median(b_err)) if len(a_err) and len(b_err) else np.nan,
        "statistic": np.nan,
        "pvalue": np.nan,
    }
    if len(a_err) >= MIN_PAIRS and len(b_err) >= MIN_PAIRS:
        test = stats.mannwhitneyu(a_err, b_err, alternative="greater")
        res.update(statistic=float(test.statistic), pvalue=float(test.pvalue))
    return {**base, "over": "observation (unpaired Mann-Whitney)", **res}


# --------------------------------------------------------------------------- across folds
def calibration_summary_rows(
    summary: pd.DataFrame, *, models: Sequence[str], best_baseline: str | None
) -> pd.DataFrame:
    """Across-fold rows: each model's mean width relative to the best baseline's at every
    level (``width_ratio_best_baseline@L``), and the fraction of groups whose
    fold-averaged coverage lies within 0.05 of the level
    (``per_<group>_coverage@L_within_0.05``, also for the standard variant)."""
    rows: list[tuple[str, str, str, str, float]] = []
    overall = summary[summary["group_by"] == "all"].set_index(["model", "metric"])["value"].sort_index()
    widths = [m for m in summary["metric"].unique() if str(m).startswith("width@")]
    for metric in widths:
        level = metric.split("@", 1)[1]
        ref = overall.get((best_baseline, metric)) if best_baseline else None
        for model in models:
            value = overall.get((model, metric))
            if value is not None and ref is not None and np.isfinite(ref) and ref > 0:
                rows.append((model, f"width_ratio_best_baseline@{level}", "all", "all", float(value / ref)))
    groups = summary[(summary["group_by"] != "all") & summary["metric"].str.startswith("coverage")]
    for (model, metric, by), grp in groups.groupby(["model", "metric", "group_by"], sort=False):
        if "@" not in metric:
            continue
        level = float(metric.split("@", 1)[1])
        within = (grp["value"] - level).abs() <= GROUP_TOLERANCE + 1e-12
        rows.append((str(model), f"per_{by}_{metric}_within_{GROUP_TOLERANCE:g}", "all", "all", float(within.mean())))
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


__all__ = [
    "GROUP_TOLERANCE",
    "calibration_summary_rows",
    "default_level",
    "interval_rows",
    "metric_name",
    "novelty_deciles",
    "novelty_rows",
    "novelty_tests",
]
