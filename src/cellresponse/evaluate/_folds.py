"""One fold of a benchmark: its parts (train, inner validation, test, ablated test sets,
novelty and difficulty), one (model, fold) cell wherever an executor runs it (with its
search when tuned), and the fold's predictions as written.

These are what :func:`cellresponse.evaluate.run_benchmark` hands its executor and what it
assembles in the driver; they live apart from the run loop so that worker processes
import only what a cell needs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.evaluate._cells import CellResult, FoldData, run_cell
from cellresponse.evaluate._jobs import Job, Shared, cached_part, fold_part
from cellresponse.evaluate._tuning import search, tune_seed
from cellresponse.results import Predictions
from cellresponse.splits import Split
from cellresponse.tasks import Task, get_task
from cellresponse.uncertainty import FoldUncertainty, UncertaintyConfig, interval_context, prepare_fold

log = logging.getLogger("cellresponse")

ABLATION_SEED = 7  # third element of the ablation RNG seed [seed, fold, 7], kept from the first layout


def fold_data(
    data: Dataset,
    split: Split,
    fold_index: int,
    ablations: Sequence[str],
    seed: int,
    uncertainty: UncertaintyConfig | None,
) -> FoldData:
    from cellresponse.tasks import ABLATIONS

    f = split.folds[fold_index]
    test = data[f.test]
    train, valid = data[f.train], data[f.valid] if len(f.valid) else None
    rng = np.random.default_rng([seed, f.fold, ABLATION_SEED])
    ablated = {}
    for name in ablations:
        try:
            ablated[name] = ABLATIONS[name](test, data=data, rng=rng)
        except ValueError as err:  # e.g. one (dose, time) pair only: the ablation is undefined here
            log.info("fold %d: ablation %s skipped: %s", f.fold, name, err)
    return FoldData(
        fold=f.fold,
        train=train,
        valid=valid,
        test=test,
        ablated=ablated,
        last=fold_index == split.n_folds - 1,
        uncertainty=fold_uncertainty(train, valid, test, f.fold, uncertainty),
    )


def fold_uncertainty(
    train: Dataset, valid: Dataset | None, test: Dataset, fold: int, config: UncertaintyConfig | None
) -> FoldUncertainty | None:
    """Novelty and difficulty of one fold; a failure there is logged and costs the fold its
    intervals, never the run."""
    if config is None:
        return None
    try:
        return prepare_fold(train, valid, test, config=config)
    except (ValueError, KeyError) as err:
        log.warning("fold %d: no intervals or novelty scores (%s: %s)", fold, type(err).__name__, err)
        return None


def fold_obs(data: Dataset, rows: np.ndarray, fold: int, task: Task) -> pd.DataFrame:
    """The ``obs`` rows of a fold's predictions: position, fold, keys and annotations."""
    sub = data[rows]
    obs = pd.DataFrame(
        {
            "row": rows.astype(np.int64),
            "fold": fold,
            "cell_line": sub.cell_lines,
            data.perturbation_kind: sub.perturbations,
        }
    )
    for col in ("dose", "time"):
        if col in sub.obs.columns:
            obs[col] = sub.obs[col].to_numpy()
    notes = task.annotate(sub)
    for col in notes.columns:
        obs[col] = notes[col].to_numpy()
    return obs


def _build_part(shared: Shared, fold_index: int) -> FoldData:
    return fold_data(shared.data, shared.split, fold_index, shared.ablations, shared.seed, shared.uncertainty)


def compute_cell(shared: Shared, job: Job) -> CellResult:
    """One cell wherever it runs: the fold's parts, the search when tuned, the fit."""
    part = fold_part(shared, job.fold_index, _build_part)
    params, trials = dict(job.params), None
    if job.space is not None and part.valid is not None:
        seed = tune_seed(shared.seed, part.fold, job.name)
        best, trials = search(job.name, params, part.train, part.valid, space=job.space, trials=job.trials, seed=seed)
        params.update(best)
    task = get_task(shared.task)
    cell = run_cell(job.name, params, part, task=task, explain_top=shared.explain_top, seed=shared.seed)
    if trials is not None:
        cell.extras["tuning"] = trials.assign(fold=part.fold)
    return cell


def driver_uncertainty(shared: Shared, fold_index: int) -> FoldUncertainty | None:
    """The fold's novelty and difficulty for its predictions file: from the fold parts this
    process built for its cells (serial runs), else computed here (cells that ran in other
    processes or came from the store; deterministic, so the bytes are the same)."""
    part = cached_part(shared, fold_index)
    if part is not None:
        return part.uncertainty
    f = shared.split.folds[fold_index]
    valid = shared.data[f.valid] if len(f.valid) else None
    return fold_uncertainty(shared.data[f.train], valid, shared.data[f.test], f.fold, shared.uncertainty)


def record_calibration_cost(config: dict[str, Any], cells: list[CellResult]) -> None:
    """The cost of the intervals, beside the run's timings (in model and fold order)."""
    for cell in cells:
        timing = cell.timing or {}
        if "calibrate_s" in timing:
            cost = config["uncertainty"].setdefault("calibrate_s", {})
            cost[f"{cell.model}/{cell.fold}"] = [timing["calibrate_s"], timing.get("calibrate_cpu_s")]


def fold_predictions(
    data: Dataset,
    rows: np.ndarray,
    fold: int,
    task: Task,
    train: Dataset,
    cells: list[CellResult],
    unc: FoldUncertainty | None,
) -> Predictions:
    values: dict[str, np.ndarray] = {}
    for cell in cells:
        values.update(cell.values)
    context = {f"{fold}/{k}": v for k, v in task.fold_context(train).items()}
    obs = fold_obs(data, rows, fold, task)
    if unc is not None:
        context.update(interval_context(fold, {c.model: c.intervals for c in cells if c.intervals}, unc.config.levels))
        obs = pd.concat([obs, unc.novelty.set_axis(obs.index)], axis=1)
    return Predictions(
        obs=obs,
        y_true=data.y[rows].astype(np.float32),
        values=values,
        target_names=data.target_names,
        context=context,
    )


__all__ = [
    "ABLATION_SEED",
    "compute_cell",
    "driver_uncertainty",
    "fold_data",
    "fold_obs",
    "fold_predictions",
    "fold_uncertainty",
    "record_calibration_cost",
]
