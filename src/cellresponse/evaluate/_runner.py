"""The benchmark engine: dataset x split x models x folds -> one results directory.

:func:`run_benchmark` is the only fold loop, for every task. The task
(:mod:`cellresponse.tasks`) says which baselines run beside the models, which split
modes and ablations apply, how one fold is scored and how folds are summarized; the
results layout (:mod:`cellresponse.results`) is the same for every task. Scores are
computed within each fold on its test part and then averaged (never on predictions
pooled across folds: a model constant within a fold would otherwise get spurious
within-group correlations from fold-to-fold shifts).

``--seed`` drives everything random: the split (made by the caller), the inner
validation parts, the ablation shuffles and every model's ``random_state`` (unless the
model's parameters set it); the resolved per-model seeds are recorded in ``config.json``.
Results are written after every fold, so an interrupted run leaves its completed folds
behind (``complete: false``), and every completed (model, fold) cell is kept in the
directory's cell store (:class:`cellresponse.results.CellStore`) until the run ends, so
``existing="resume"`` continues from them and ends with the results of an uninterrupted
run. The directory is locked while the run writes it. A model that fails on a fold is
recorded under ``failures`` and the other models' results are still written.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import jsonable
from cellresponse.data import Dataset
from cellresponse.evaluate._cells import CellResult, peak_rss_mb
from cellresponse.evaluate._executors import ExecutorConfig, WorkerLost, check_executor, make_executor
from cellresponse.evaluate._folds import compute_cell, driver_uncertainty, fold_predictions, record_calibration_cost
from cellresponse.evaluate._jobs import Job, Shared, executor_fields, forget_parts, lost_cell
from cellresponse.evaluate._progress import progress_bar
from cellresponse.evaluate._resume import cell_keys, check_scorable, from_record, to_record
from cellresponse.evaluate._rows import apply_row_filter
from cellresponse.evaluate._scoring import ablation_table, leaderboard, score_predictions, summary_table
from cellresponse.evaluate._tuning import TuneOptions, check_tuning, key_params
from cellresponse.models import check_model_params, get_model_class
from cellresponse.results import (
    LAYOUT_ENTRIES,
    STATS_COLUMNS,
    STORE_DIR,
    SUMMARY_COLUMNS,
    TIMING_COLUMNS,
    CellStore,
    Existing,
    Predictions,
    ResultsWriter,
    prepare_output_dir,
)
from cellresponse.splits import Split, available_split_modes, check_training_coverage
from cellresponse.tasks import ScoreContext, Task, check_ablations, check_split_mode, get_task
from cellresponse.uncertainty import UncertaintyConfig

log = logging.getLogger("cellresponse")


@dataclass(frozen=True)
class RunOptions:
    """Less common settings of :func:`run_benchmark`.

    Attributes
    ----------
    include_baselines
        Run the task's baselines beside the models (the reference of every comparison).
    min_group_size
        Groups (drugs, genes, compounds, cell lines) with fewer test observations get no
        per-group score; ``None``: the task's default.
    ablations
        Input shuffles to score (:data:`cellresponse.tasks.ABLATIONS`); ``None``: the
        task's default, ``()``: none.
    progress
        Show a progress bar.
    config
        The run configuration to record in ``config.json`` (what the user asked).
    uncertainty
        Conformal intervals and novelty scores of every model
        (:class:`cellresponse.uncertainty.UncertaintyConfig`); ``None``: none.
    existing
        What to do when ``out`` is not empty: ``"refuse"`` (the default), ``"overwrite"``
        (remove the earlier results first) or ``"resume"`` (continue an interrupted run
        from its completed (model, fold) cells).
    explain
        Record each model's per-drug top features, fitted on the training folds and
        scored on the test folds (``extras/<model>.attributions.csv``, see
        :func:`cellresponse.explain.fold_attributions`).
    explain_top
        Features kept per drug and method with ``explain``.
    executor
        Where the (model, fold) cells run (:class:`ExecutorConfig`: serial, local
        processes or Ray); ``None``: serially in this process. The results do not
        depend on it.
    tune
        Search each requested model's hyperparameters in every outer fold on its inner
        validation part (:class:`TuneOptions`); ``None``: no search.
    """

    include_baselines: bool = True
    min_group_size: int | None = None
    ablations: Sequence[str] | None = None
    progress: bool = True
    config: Mapping[str, Any] | None = None
    uncertainty: UncertaintyConfig | None = field(default_factory=UncertaintyConfig)
    existing: Existing = "refuse"
    explain: bool = False
    explain_top: int = 20
    executor: ExecutorConfig | None = None
    tune: TuneOptions | None = None


@dataclass
class BenchmarkResult:
    """What :func:`run_benchmark` computed (and wrote to ``out``)."""

    results: pd.DataFrame
    summary: pd.DataFrame
    stats: pd.DataFrame
    board: pd.DataFrame
    ablation: pd.DataFrame
    predictions: Predictions
    timings: pd.DataFrame
    config: dict[str, Any]
    out: Path | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)

    def leaderboard(self, metric: str | None = None) -> pd.DataFrame:
        """One row per model, best first (by ``metric``, default the primary metric)."""
        if metric is None:
            return self.board
        if metric not in self.board.columns:
            raise KeyError(f"no leaderboard column {metric!r}; columns: {list(self.board.columns)}")
        return self.board.sort_values(metric, ascending=False, kind="stable", na_position="last")

    def summary_table(self) -> pd.DataFrame:
        """The short leaderboard the CLI prints."""
        return summary_table(self.board, self.config)


def resolve_models(models: Sequence[str], *, task: Task, data: Dataset, include_baselines: bool = True) -> list[str]:
    """The task's baselines that run on ``data`` (unless excluded), then the requested
    models, each once and checked against the registry and the task."""
    names = task.baseline_models(data) if include_baselines else []
    for name in models:
        cls = get_model_class(name)  # raises KeyError listing the registry
        if task.name not in getattr(cls, "tasks", ("response",)):
            raise ValueError(f"model {name!r} does not support the {task.name!r} task (it supports {cls.tasks})")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError("no models to run")
    return names


def seeded_params(name: str, params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """``params`` plus the run seed for a model with a ``random_state`` the user did not set
    (a model may widen this with a ``seed_params(seed)`` classmethod, e.g. an ensemble's
    member seeds)."""
    cls = get_model_class(name)
    out = dict(params)
    hook = getattr(cls, "seed_params", None)
    defaults = cls().get_params(deep=False)
    seeds = dict(hook(seed)) if hook is not None else ({"random_state": seed} if "random_state" in defaults else {})
    for key, value in seeds.items():
        out.setdefault(key, value)
    return out


def _resolved_params(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """All hyperparameters of ``name`` with ``params`` applied, checked against the model's
    declared constraints before any fold runs."""
    model = check_model_params(name, params)
    return dict(jsonable(model.get_params(deep=False)))


def _check_inputs(data: Dataset, split: Split, task: Task) -> None:
    task.check_dataset(data)
    if split.dataset_fingerprint != data.fingerprint():
        raise ValueError(
            f"the split was made for another dataset (fingerprint {split.dataset_fingerprint}, "
            f"dataset {data.name!r} has {data.fingerprint()})"
        )
    if split.mode in available_split_modes():
        check_split_mode(task, split.mode)


def run_benchmark(
    data: Dataset,
    *,
    models: Sequence[str],
    split: Split,
    out: PathLike | None = None,
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int | None = None,
    options: RunOptions | None = None,
) -> BenchmarkResult:
    """Fit and score every model, beside the task's baselines, on every fold of ``split``.

    Parameters
    ----------
    data
        A dataset of any registered task (``data.task``).
    models
        Registered model names supporting that task.
    split
        Outer folds with inner validation parts (:func:`cellresponse.splits.make_split`).
    out
        Results directory (created); ``None`` keeps results in memory only.
    model_params
        Hyperparameters per model name (nested ones as ``trainer__lr``).
    seed
        Seed of every model's randomness and of the ablation shuffles; ``None``: the
        split's seed.
    options
        :class:`RunOptions`.

    Returns
    -------
    BenchmarkResult
        Per-fold and across-fold scores, paired tests, leaderboard, predictions.

    Raises
    ------
    ValueError
        For a split of another dataset or a mode the task does not accept, unknown
        models, parameters a model does not accept (:class:`cellresponse.errors.InputError`),
        parameters for models not in the run, unknown ablations, or a split no fold of
        which can be scored by the primary metric.
    OutputError
        If ``out`` cannot be used (a file, not writable, not empty and
        ``options.existing`` is ``"refuse"``); :class:`cellresponse.errors.LockedError`
        if another run is writing it.
    """
    opts = options or RunOptions()
    task = get_task(data.task)
    _check_inputs(data, split, task)
    names = resolve_models(models, task=task, data=data, include_baselines=opts.include_baselines)
    params = {k: dict(v) for k, v in (model_params or {}).items()}
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ValueError(f"model_params given for models not in the run: {unknown}; the run has {names}")
    run_seed = split.seed if seed is None else int(seed)
    params = {n: seeded_params(n, params.get(n, {}), run_seed) for n in names}
    resolved = {n: _resolved_params(n, params[n]) for n in names}
    # rows lacking a view some model reads are dropped for every model (same rows scored)
    split, row_filter = apply_row_filter(data, split, models=names, params=params)
    min_group = task.default_min_group_size if opts.min_group_size is None else int(opts.min_group_size)
    if min_group < 1:
        raise ValueError(f"min_group_size must be >= 1, got {min_group}")
    check_executor(opts.executor or ExecutorConfig())
    spaces = check_tuning(opts.tune, [n for n in names if n in models and n not in task.baselines], split)
    ablations = check_ablations(task.default_ablations if opts.ablations is None else opts.ablations)
    baselines = tuple(n for n in names if n in task.baselines)
    ctx = ScoreContext(
        task.name, data.perturbation_kind, data.target, tuple(names), baselines, min_group, task.settings()
    )
    config = _base_config(data, split, task, ctx)
    config.update(
        config=dict(opts.config or {}),
        model_params={n: p for n, p in (model_params or {}).items()},
        resolved_model_params=resolved,
        ablations=ablations,
        explain={"top": opts.explain_top} if opts.explain else None,
        seeds={"split": split.seed, "run": run_seed, "models": {n: resolved[n].get("random_state") for n in names}},
        executor=executor_fields(opts.executor),
        tuning={"trials": opts.tune.trials, "search_space": spaces} if opts.tune is not None else None,
    )
    if opts.uncertainty is not None:
        config["uncertainty"] = {**jsonable(opts.uncertainty), "domain_s": {}}
    config["row_filter"] = row_filter.to_dict()
    coverage = _coverage(data, split)
    config["coverage_gaps"] = coverage
    config["unscorable_folds"] = check_scorable(data, split, task, min_group_size=min_group)
    explain_top = opts.explain_top if opts.explain else None
    plan = _Plan(
        names=names,
        params=params,
        keys=cell_keys(
            split,
            key_params(params, spaces, opts.tune),
            seed=run_seed,
            ablations=ablations,
            fingerprint=data.fingerprint(),
            explain_top=explain_top,
            uncertainty=None if opts.uncertainty is None else jsonable(opts.uncertainty),
        ),
        ablations=ablations,
        seed=run_seed,
        config=config,
        progress=opts.progress,
        resume=opts.existing == "resume",
        explain_top=explain_top,
        uncertainty=opts.uncertainty,
        executor=opts.executor,
        spaces=spaces,
        trials=opts.tune.trials if opts.tune is not None else 0,
    )
    if out is None:
        return _run_folds(data, split, task, ctx, plan, None)
    with prepare_output_dir(out, existing=opts.existing, owned=LAYOUT_ENTRIES, what="results directory"):
        store = CellStore(out, run={"task": task.name, "dataset": data.fingerprint(), "split": split.full_hash})
        store.open(resume=plan.resume)
        writer = ResultsWriter(out)
        # the directory says from the start what it will hold and that it is not complete
        writer.start(split.assignment, config={**config, **_partial_fields([], None)}, keep=(STORE_DIR,))
        result = _run_folds(data, split, task, ctx, plan, (writer, store))
        store.clear()
        return result


@dataclass
class _Plan:
    """What every fold of one run shares."""

    names: list[str]
    params: dict[str, dict[str, Any]]
    keys: dict[tuple[str, int], str]
    ablations: list[str]
    seed: int
    config: dict[str, Any]
    progress: bool = True
    resume: bool = False
    explain_top: int | None = None
    uncertainty: UncertaintyConfig | None = None
    executor: ExecutorConfig | None = None
    spaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    trials: int = 0


def _run_folds(
    data: Dataset,
    split: Split,
    task: Task,
    ctx: ScoreContext,
    plan: _Plan,
    sink: tuple[ResultsWriter, CellStore] | None,
) -> BenchmarkResult:
    """The fold loop: every cell (stored cells reused when resuming) runs on the plan's
    executor; cells come back in any order and each fold is scored and written, in fold
    order, once all its cells are back."""
    writer, store = sink if sink is not None else (None, None)
    done: dict[tuple[str, int], CellResult] = {}
    jobs: list[Job] = []
    for i, f in enumerate(split.folds):
        for name in plan.names:
            key = plan.keys[(name, f.fold)]
            stored = store.load(name, f.fold, key=key) if store is not None and plan.resume else None
            if stored is not None and stored.failure is None:
                done[(name, f.fold)] = from_record(stored)  # completed before an interruption
            else:
                jobs.append(Job(name, i, plan.params[name], plan.spaces.get(name), plan.trials))
    shared = Shared(data, split, task.name, list(plan.ablations), plan.seed, plan.explain_top, plan.uncertainty)
    fold_preds: list[Predictions] = []
    fold_rows: list[pd.DataFrame] = []
    cells: list[CellResult] = []

    def finish_folds() -> None:
        """Score and write every fold whose cells are all back, in fold order."""
        while len(fold_preds) < split.n_folds:
            i = len(fold_preds)
            f = split.folds[i]
            if any((name, f.fold) not in done for name in plan.names):
                return
            fold_cells = [done[(name, f.fold)] for name in plan.names]
            cells.extend(fold_cells)
            record_calibration_cost(plan.config, fold_cells)
            unc = driver_uncertainty(shared, i)
            if unc is not None:
                plan.config["uncertainty"]["domain_s"][str(f.fold)] = unc.seconds
            fold_preds.append(fold_predictions(data, f.test, f.fold, task, data[f.train], fold_cells, unc))
            fold_rows.append(score_predictions(fold_preds[-1], ctx, task))
            if writer is not None:  # the completed folds survive an interruption
                results = pd.concat(fold_rows, ignore_index=True)
                _write_partial(writer, Predictions.concat(fold_preds), results, cells, plan.config)

    executor = make_executor(plan.executor)
    returned = executor.run(compute_cell, shared, jobs)
    try:
        with progress_bar(plan.progress) as bar:
            task_id = bar.add_task(f"{data.name} {split.mode}", total=split.n_folds * len(plan.names))
            bar.advance(task_id, len(done))
            finish_folds()
            for index, result in returned:
                job = jobs[index]
                fold = split.folds[job.fold_index].fold
                cell = lost_cell(job.name, fold, result) if isinstance(result, WorkerLost) else result
                if store is not None:
                    store.save(to_record(cell, plan.keys[(job.name, fold)]))
                done[(job.name, fold)] = cell
                bar.update(task_id, description=f"fold {fold} {job.name}")
                bar.advance(task_id)
                finish_folds()
    finally:  # an interruption stops the workers' cells too
        returned.close()
        executor.close()
        forget_parts()
    plan.config["executor"] = {**plan.config.get("executor", {}), **executor.describe()}

    preds = Predictions.concat(fold_preds)
    results = pd.concat(fold_rows, ignore_index=True)
    return finish_run(preds, ctx=ctx, task=task, cells=cells, config=plan.config, writer=writer, results=results)


def _timings(cells: list[CellResult]) -> pd.DataFrame:
    return pd.DataFrame([c.timing for c in cells if c.timing is not None], columns=TIMING_COLUMNS)


def _partial_fields(cells: list[CellResult], results: pd.DataFrame | None) -> dict[str, Any]:
    """What ``config.json`` says about a run still going (or interrupted)."""
    return {
        "failures": [c.failure for c in cells if c.failure],
        "complete": False,
        "completed_folds": sorted({c.fold for c in cells}),
        "n_result_rows": 0 if results is None else len(results),
    }


def _write_partial(
    writer: ResultsWriter, preds: Predictions, results: pd.DataFrame, cells: list[CellResult], config: dict
) -> None:
    writer.predictions(preds)
    writer.table("results", results)
    writer.table("timings", _timings(cells))
    writer.config({**config, **_partial_fields(cells, results)})


def finish_run(
    preds: Predictions,
    *,
    ctx: ScoreContext,
    task: Task,
    cells: list[CellResult],
    config: dict[str, Any],
    writer: ResultsWriter | None,
    results: pd.DataFrame | None = None,
) -> BenchmarkResult:
    """Summarize the per-fold ``results`` (scored from ``preds`` when not given) and write
    the complete results directory."""
    if results is None:
        results = score_predictions(preds, ctx, task)
    summary, stats = task.summarize(results, preds, ctx)
    summary, stats = summary[SUMMARY_COLUMNS], stats[STATS_COLUMNS]
    board, best = leaderboard(summary, results, ctx=ctx, task=task)
    ablation = ablation_table(summary, task)
    failures = [c.failure for c in cells if c.failure]
    timings = _timings(cells)
    config = {
        **config,
        "best_baseline": best,
        "failures": failures,
        "complete": True,
        "completed_folds": sorted(int(f) for f in preds.folds),
        "n_result_rows": len(results),
        "peak_rss_mb": peak_rss_mb(),
    }
    if writer is not None:
        writer.predictions(preds)
        for name, table in (
            ("results", results),
            ("summary", summary),
            ("stats", stats),
            ("leaderboard", board),
            ("ablation", ablation),
            ("timings", timings),
        ):
            writer.table(name, table)
        extras: dict[tuple[str, str], list[pd.DataFrame]] = {}
        for cell in cells:
            for key, table in cell.extras.items():
                extras.setdefault((cell.model, key), []).append(table)
        writer.extras({k: pd.concat(v, ignore_index=True) for k, v in extras.items()})
        writer.config(config)
    return BenchmarkResult(
        results, summary, stats, board, ablation, preds, timings, config, writer.out if writer else None, failures
    )


def _coverage(data: Dataset, split: Split) -> list[dict[str, Any]]:
    """Test entities with no training rows that the split does not hold out by design (logged)."""
    coverage = check_training_coverage(data, split)
    by_design = {
        "cell_line": {"cell_line"},
        "tissue": {"cell_line"},
        "perturbation": {"perturbation"},
        "compound_scaffold": {"perturbation"},
        "compound_cluster": {"perturbation"},
        "both": {"cell_line", "perturbation"},
    }.get(split.mode, set())
    coverage = coverage[~coverage["entity"].isin(by_design)]
    for (fold, entity), grp in coverage.groupby(["fold", "entity"]):
        log.info(
            "fold %s: %d test %ss have no training rows (e.g. %s)",
            fold,
            len(grp),
            entity,
            ", ".join(map(str, grp["id"].head(3))),
        )
    return coverage.groupby(["fold", "entity"]).size().rename("n").reset_index().to_dict("records")


def _base_config(data: Dataset, split: Split, task: Task, ctx: ScoreContext) -> dict[str, Any]:
    from cellresponse import __version__

    return {
        "cellresponse_version": __version__,
        "python": platform.python_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "task": task.name,
        "dataset": data.summary(),
        "dataset_fingerprint": data.fingerprint(),
        "dataset_info": jsonable({k: v for k, v in data.info.items() if k != "ground_truth"}),
        "synthetic": bool(data.info.get("synthetic", False)),
        "target": data.target,
        "perturbation_kind": data.perturbation_kind,
        "split": split.describe(),
        "split_hash": split.hash,
        "full_split_hash": split.full_hash,
        "models": list(ctx.models),
        "baselines": list(ctx.baselines),
        "primary_metric": task.primary_metric(data.perturbation_kind),
        "min_group_size": ctx.min_group_size,
        "task_settings": dict(ctx.settings),
    }


__all__ = [
    "BenchmarkResult",
    "RunOptions",
    "finish_run",
    "resolve_models",
    "run_benchmark",
    "seeded_params",
]
