"""Combine benchmark shards: runs of the same dataset and split over disjoint models or folds.

A full benchmark can be cut into shards (``--use-folds``, a subset of ``--models``) that
run in parallel processes or on other machines; :func:`merge_benchmarks` checks that the
shards belong together (same dataset fingerprint, split hash and scoring settings), joins
their test predictions fold by fold and scores them again exactly as one run would:
per fold, then averaged, with the paired tests against the naive baselines computed on
the merged table. A (model, fold) cell present in two shards must hold the same
predictions (the naive baselines, fitted in every shard, are deterministic); anything
else is an error naming the model, fold and shards.

Ensemble-member predictions (``<model>/<member>`` rows) are not in ``predictions.csv.gz``
and are not re-scored; ``extras/`` tables are concatenated.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.data import Dataset
from cellresponse.evaluate._runner import (
    BenchmarkResult,
    ScoreContext,
    _write,
    score_fold_predictions,
    summarize_folds,
)

# settings that must agree across shards
_SAME = ("dataset_fingerprint", "full_split_hash", "min_group_size", "perturbation_kind", "target", "task")


def _read_shard(path: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    cfg_path = path / "config.json"
    if not cfg_path.exists():
        raise FileNotFoundError(f"{path} is not a benchmark results directory (no config.json)")
    cfg = json.loads(cfg_path.read_text())
    if not cfg.get("complete", False):
        raise ValueError(f"shard {path} is incomplete (config.json says complete=false); rerun it first")
    preds = pd.read_csv(path / "predictions.csv.gz")
    try:
        timings = pd.read_csv(path / "timings.csv")
    except pd.errors.EmptyDataError:  # a run whose models all failed writes no timing rows
        timings = pd.DataFrame()
    return cfg, preds, timings


def merge_benchmarks(data: Dataset, shards: Sequence[PathLike], *, out: PathLike | None = None) -> BenchmarkResult:
    """Merge and re-score benchmark shards of ``data``.

    Parameters
    ----------
    data
        The dataset the shards were run on (its fingerprint is checked).
    shards
        Results directories written by :func:`~cellresponse.evaluate.run_benchmark`.
    out
        Directory for the merged results (same files as one run; ``config.json`` lists
        the shards under ``merged_from``).

    Raises
    ------
    ValueError
        If the shards differ in dataset, split or scoring settings, or disagree on the
        predictions of a (model, fold) they share.
    """
    paths = [Path(p) for p in shards]
    if not paths:
        raise ValueError("no shards to merge")
    read = [_read_shard(p) for p in paths]
    first = read[0][0]
    if first["dataset_fingerprint"] != data.fingerprint():
        raise ValueError(f"shard {paths[0]} was run on another dataset than {data.name!r} (fingerprints differ)")
    for path, (cfg, _, _) in zip(paths[1:], read[1:], strict=True):
        for key in _SAME:
            if cfg.get(key) != first.get(key):
                raise ValueError(
                    f"shard {path} differs from {paths[0]} in {key!r}: {cfg.get(key)!r} vs {first.get(key)!r}"
                )
    kind = str(first["perturbation_kind"])
    keys = ["row", "fold", "cell_line", kind, "y_true"]
    names: list[str] = list(dict.fromkeys(m for cfg, _, _ in read for m in cfg["models"]))
    naive = list(dict.fromkeys(m for cfg, _, _ in read for m in cfg["naive_baselines"]))
    params: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    for path, (cfg, _, _) in zip(paths, read, strict=True):
        for name, value in cfg.get("resolved_model_params", {}).items():
            if name in resolved and resolved[name] != value:
                raise ValueError(f"model {name!r} has other hyperparameters in shard {path}")
            resolved[name] = value
        params.update(cfg.get("model_params", {}))

    folds = sorted({int(f) for _, preds, _ in read for f in preds["fold"].unique()})
    pred_frames: list[pd.DataFrame] = []
    result_frames: list[pd.DataFrame] = []
    for fold in folds:
        merged: pd.DataFrame | None = None
        owner: dict[str, Path] = {}
        for path, (_, preds, _) in zip(paths, read, strict=True):
            part = preds[preds["fold"] == fold]
            if part.empty:
                continue
            if merged is None:
                merged, owner = part.reset_index(drop=True), {m: path for m in part.columns if m not in keys}
                continue
            if len(part) != len(merged) or not np.array_equal(part["row"].to_numpy(), merged["row"].to_numpy()):
                raise ValueError(f"fold {fold}: shard {path} has other test rows than {owner[next(iter(owner))]}")
            for model in [m for m in part.columns if m not in keys]:
                values = part[model].to_numpy()
                if model in merged:
                    if not np.allclose(values, merged[model].to_numpy(), rtol=1e-5, atol=1e-6, equal_nan=True):
                        raise ValueError(
                            f"fold {fold}: model {model!r} has different predictions in shards "
                            f"{owner[model]} and {path}"
                        )
                    continue
                merged[model], owner[model] = values, path
        assert merged is not None
        pred_frames.append(merged)
        scored = [m for m in names if m in merged]
        ctx = ScoreContext(data, scored, naive, kind, int(first["min_group_size"]))
        result_frames.extend(score_fold_predictions(merged, fold, ctx))

    results, stats = summarize_folds(
        result_frames, names, ScoreContext(data, names, naive, kind, int(first["min_group_size"]))
    )
    timings = (
        pd.concat([t for _, _, t in read if len(t)], ignore_index=True)
        if any(len(t) for _, _, t in read)
        else pd.DataFrame()
    )
    if len(timings):
        timings = timings.drop_duplicates(subset=["model", "fold"], keep="first").reset_index(drop=True)
    failures = [f for cfg, _, _ in read for f in cfg.get("failures", [])]
    split_info = dict(first["split"])
    sizes = {int(r["fold"]): r for c, _, _ in read for r in c["split"]["fold_sizes"]}
    split_info.update(n_folds=len(folds), fold_sizes=[sizes[f] for f in folds], hash=first["full_split_hash"])
    full = str(first["full_split_hash"])
    n_split_folds = int(pd.read_csv(paths[0] / "split.csv")["fold"].nunique())
    cfg = {
        **first,
        "split": split_info,
        "split_hash": full if len(folds) == n_split_folds else f"folds {folds} of {full}",
        "models": names,
        "naive_baselines": naive,
        "model_params": params,
        "resolved_model_params": resolved,
        "peak_rss_mb": max(float(c.get("peak_rss_mb", 0.0)) for c, _, _ in read),
        "merged_from": [
            {"path": str(p), "models": c["models"], "config": c.get("config", {})}
            for p, (c, _, _) in zip(paths, read, strict=True)
        ],
    }
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths[0] / "split.csv", out_dir / "split.csv")
        _write(out_dir, pred_frames, [results], timings.to_dict("records"), failures, cfg, stats)
        _merge_extras(paths, out_dir)
    predictions = pd.concat(pred_frames, ignore_index=True)
    return BenchmarkResult(results, predictions, stats, timings, cfg, out_dir, failures)


def _merge_extras(paths: list[Path], out: Path) -> None:
    tables: dict[str, list[pd.DataFrame]] = {}
    for path in paths:
        folder = path / "extras"
        if folder.is_dir():
            for file in sorted(folder.glob("*.csv")):
                tables.setdefault(file.name, []).append(pd.read_csv(file))
    if tables:
        (out / "extras").mkdir(exist_ok=True)
        for name, frames in tables.items():
            pd.concat(frames, ignore_index=True).drop_duplicates().to_csv(out / "extras" / name, index=False)


__all__ = ["merge_benchmarks"]
