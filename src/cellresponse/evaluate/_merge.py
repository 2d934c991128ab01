"""Combine benchmark shards: runs of one dataset and split over other models or folds.

A long benchmark can be cut into shards (``--only-folds``, a subset of ``--models``)
that run in other processes or on other machines; :func:`merge_benchmarks` checks that
they belong together (task, dataset fingerprint, full split hash, target, scoring
settings), joins their test predictions fold by fold and scores them again exactly as
one run would, with the same task scorer. A (model, fold) cell present in two shards
must hold the same predictions (the baselines, fitted in every shard, are deterministic);
anything else is an error naming the model, fold and shards. Two shards covering the
same cells are refused as duplicates. No dataset is needed: scoring reads only the
written predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cellresponse._types import PathLike
from cellresponse.errors import OutputError
from cellresponse.evaluate._cells import CellResult
from cellresponse.evaluate._runner import BenchmarkResult, finish_run
from cellresponse.io import read_csv_checked
from cellresponse.results import (
    LAYOUT_ENTRIES,
    Existing,
    Predictions,
    Results,
    ResultsWriter,
    prepare_output_dir,
    read_results,
)
from cellresponse.tasks import ScoreContext, get_task

# settings that must agree across shards
_SAME = (
    "task",
    "dataset_fingerprint",
    "full_split_hash",
    "min_group_size",
    "perturbation_kind",
    "target",
    "task_settings",
    "ablations",
)


def _cells(res: Results) -> set[tuple[str, int]]:
    return {(m, int(f)) for m in res.config["models"] for f in res.config.get("completed_folds", [])}


def _check_shards(paths: list[Path], shards: list[Results]) -> None:
    first = shards[0].config
    for path, res in zip(paths[1:], shards[1:], strict=True):
        for key in _SAME:
            if res.config.get(key) != first.get(key):
                raise ValueError(
                    f"shard {path} differs from {paths[0]} in {key!r}: {res.config.get(key)!r} vs {first.get(key)!r}"
                )
    seen: dict[frozenset[tuple[str, int]], Path] = {}
    for path, res in zip(paths, shards, strict=True):
        covered = frozenset(_cells(res))
        if covered in seen:
            raise ValueError(
                f"shards {seen[covered]} and {path} cover the same (model, fold) cells; merge each shard once"
            )
        seen[covered] = path


def _merge_fold(fold: int, parts: list[tuple[Path, Predictions]]) -> Predictions:
    merged = parts[0][1]
    owner = {name: parts[0][0] for name in merged.values}
    for path, part in parts[1:]:
        if not np.array_equal(part.obs["row"].to_numpy(), merged.obs["row"].to_numpy()):
            raise ValueError(f"fold {fold}: shard {path} has other test rows than {parts[0][0]}")
        for name, values in part.values.items():
            if name in merged.values:
                if not np.allclose(values, merged.values[name], rtol=1e-6, atol=1e-7, equal_nan=True):
                    raise ValueError(
                        f"fold {fold}: model {name!r} has different predictions in shards {owner[name]} and {path}"
                    )
                continue
            merged.values[name] = values
            owner[name] = path
        merged.context.update(part.context)
    return merged


def merge_benchmarks(
    shards: Sequence[PathLike], *, out: PathLike | None = None, existing: Existing = "refuse"
) -> BenchmarkResult:
    """Merge and re-score benchmark shards.

    Parameters
    ----------
    shards
        Complete results directories written by :func:`~cellresponse.evaluate.run_benchmark`.
    out
        Directory for the merged results (the same files as one run; ``config.json``
        lists the shards under ``merged_from``); checked and locked before any shard is
        read.
    existing
        ``"refuse"`` a non-empty ``out`` or ``"overwrite"`` it.

    Raises
    ------
    ValueError
        If a shard is incomplete, the shards differ in task, dataset, split or scoring
        settings, two shards are duplicates, or shards disagree on a shared cell.
    """
    paths = [Path(p) for p in shards]
    if not paths:
        raise ValueError("no shards to merge")
    if len(set(map(Path.resolve, paths))) < len(paths):
        raise ValueError(f"a shard is named twice: {[str(p) for p in paths]}")
    if out is None:
        return _merge(paths, None)
    if any(Path(out).resolve() == p.resolve() for p in paths):
        raise OutputError(f"--out {out} is one of the shards; choose a new directory for the merge", path=out)
    with prepare_output_dir(out, existing=existing, owned=LAYOUT_ENTRIES, what="results directory"):
        return _merge(paths, Path(out))


def _merge(paths: list[Path], out: Path | None) -> BenchmarkResult:
    read = [read_results(p) for p in paths]
    for path, res in zip(paths, read, strict=True):
        if not res.complete:
            raise ValueError(f"shard {path} is incomplete (config.json says complete=false); rerun or resume it first")
    _check_shards(paths, read)
    first = read[0].config
    task = get_task(first["task"])
    names = list(dict.fromkeys(m for r in read for m in r.config["models"]))
    baselines = [n for n in names if n in task.baselines]
    names = baselines + [n for n in names if n not in baselines]
    resolved: dict[str, Any] = {}
    for path, res in zip(paths, read, strict=True):
        for name, value in res.config.get("resolved_model_params", {}).items():
            if name in resolved and resolved[name] != value:
                raise ValueError(f"model {name!r} has other hyperparameters in shard {path}")
            resolved[name] = value
    preds = [r.predictions for r in read]
    folds = sorted({f for p in preds for f in p.folds})
    merged = Predictions.concat(
        [
            _merge_fold(k, [(path, p.fold(k)) for path, p in zip(paths, preds, strict=True) if k in p.folds])
            for k in folds
        ]
    )
    ctx = ScoreContext(
        task.name,
        first["perturbation_kind"],
        first["target"],
        tuple(names),
        tuple(baselines),
        int(first["min_group_size"]),
        dict(first.get("task_settings", {})),
    )
    cells = _shard_cells(read)
    config = _merged_config(paths, read, names, baselines, resolved, folds)
    writer = ResultsWriter(out) if out is not None else None
    if writer is not None and read[0].split is not None:
        writer.split(read[0].split)
    return finish_run(merged, ctx=ctx, task=task, cells=cells, config=config, writer=writer)


def _shard_cells(read: list[Results]) -> list[CellResult]:
    """Timings, failures and extra tables of the shards as cells (first shard wins a shared cell)."""
    cells: dict[tuple[str, int], CellResult] = {}
    for res in read:
        for row in res.timings.to_dict("records"):
            key = (str(row["model"]), int(row["fold"]))
            cells.setdefault(key, CellResult(key[0], key[1], timing=row))
        for failure in res.config.get("failures", []):
            key = (str(failure["model"]), int(failure["fold"]))
            cells.setdefault(key, CellResult(key[0], key[1], failure=failure))
        for table_path in sorted((res.path / "extras").glob("*.csv")):
            stem, table_name = table_path.name[: -len(".csv")].rsplit(".", 1)
            table = read_csv_checked(table_path, what="extras table", allow_empty=True)
            for fold, part in table.groupby("fold", sort=True) if "fold" in table.columns else []:
                model = stem.replace("__", "/")
                cell = cells.setdefault((model, int(fold)), CellResult(model, int(fold)))
                cell.extras.setdefault(table_name, part.reset_index(drop=True))
    return list(cells.values())


def _merged_config(
    paths: list[Path],
    read: list[Results],
    names: list[str],
    baselines: list[str],
    resolved: dict[str, Any],
    folds: list[int],
) -> dict[str, Any]:
    first = read[0].config
    split_info = dict(first["split"])
    sizes = {int(r["fold"]): r for res in read for r in res.config["split"]["fold_sizes"]}
    split_info.update(n_folds=len(folds), fold_sizes=[sizes[f] for f in folds], hash=first["full_split_hash"])
    n_split_folds = len({int(f) for f in read[0].split["fold"] if int(f) >= 0}) if read[0].split is not None else 0
    full = str(first["full_split_hash"])
    keep = {k: v for k, v in first.items() if k not in ("failures", "complete", "completed_folds", "n_result_rows")}
    return {
        **keep,
        "split": split_info,
        "split_hash": full if len(folds) == n_split_folds else f"folds {folds} of {full}",
        "models": names,
        "baselines": baselines,
        "resolved_model_params": resolved,
        "merged_from": [
            {
                "path": str(p),
                "models": r.config["models"],
                "folds": r.config.get("completed_folds"),
                "config": r.config.get("config", {}),
            }
            for p, r in zip(paths, read, strict=True)
        ],
    }


__all__ = ["merge_benchmarks"]
