"""Library function behind ``cellresponse benchmark``: a benchmark from a config, any task."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from cellresponse.config import BenchmarkConfig
from cellresponse.data import Dataset
from cellresponse.evaluate import (
    BenchmarkResult,
    ExecutorConfig,
    RunOptions,
    TuneOptions,
    check_executor,
    check_search_space,
    run_benchmark,
)
from cellresponse.models import check_model_params
from cellresponse.results import LAYOUT_ENTRIES, Existing, prepare_output_dir
from cellresponse.splits import Split, make_split, read_split_file
from cellresponse.tasks import Task, check_split_mode, get_task

log = logging.getLogger("cellresponse")


def load_for_config(cfg: BenchmarkConfig) -> Dataset:
    """The dataset a config names (two studies joined for a cross-study config), checked
    against the config's task."""
    from cellresponse.datasets import load_dataset
    from cellresponse.pipeline._cross import load_cross_study

    if cfg.train_dataset or cfg.test_dataset:
        data = load_cross_study(cfg)
    else:
        data = load_dataset(cfg.dataset, target=cfg.target, cell_views=cfg.cell_views)
    if cfg.task is not None and cfg.task != data.task:
        get_task(cfg.task)  # an unknown task name is reported as such
        raise ValueError(
            f"dataset {cfg.dataset!r} is a {data.task!r} dataset; --task {cfg.task} needs a {cfg.task} dataset "
            "(see `cellresponse data list`)"
        )
    return data


def split_for_config(data: Dataset, cfg: BenchmarkConfig, task: Task | None = None) -> Split:
    """The split a config asks for: a split file (cell-line IDs harmonized) or a generated
    split of a mode the task accepts, restricted to ``cfg.only_folds`` for a shard."""
    task = task or get_task(data.task)
    if cfg.split_file:
        split = read_split_file(
            cfg.split_file,
            data,
            resolve_cell_line=cell_line_resolver(data),
            valid_fraction=cfg.valid_fraction,
            seed=cfg.seed,
            allow_unassigned=cfg.allow_unassigned,
        )
    else:
        cross = "cross_study" in data.info
        mode = check_split_mode(task, cfg.split or ("cross_study" if cross else task.default_split))
        # cross-study: one fold tests every line ("all"); K folds hold each tested line out of training
        n_folds = 1 if cross and mode == "cross_study" and cfg.test_lines == "all" else cfg.folds
        split = make_split(data, mode=mode, n_folds=n_folds, seed=cfg.seed, valid_fraction=cfg.valid_fraction)
    return split.select_folds(cfg.only_folds) if cfg.only_folds is not None else split


def cell_line_resolver(data: Dataset) -> Callable[[Sequence[str]], list[str | None]]:
    """Map split-file cell-line keys to the dataset's canonical IDs.

    Keys already canonical pass through; others go through the DepMap crosswalk (CCLE
    name, COSMIC id, stripped name, ...). Returns None for keys that resolve nowhere.
    """
    known = set(data.cell_lines)

    def resolve(keys: Sequence[str]) -> list[str | None]:
        pending = sorted({k for k in keys if k not in known})
        mapped: dict[str, str] = {}
        if pending:
            from cellresponse.data import CellLineResolver

            try:
                ids, _ = CellLineResolver.from_depmap().resolve(pending)
            except FileNotFoundError:  # no DepMap annotations beside the data: canonical IDs only
                ids = {}
            mapped = {str(k): str(v) for k, v in ids.items()}
        return [k if k in known else mapped.get(k) for k in keys]

    return resolve


def benchmark(
    cfg: BenchmarkConfig, *, data: Dataset | None = None, report: bool = True, existing: Existing = "refuse"
) -> BenchmarkResult:
    """Run the benchmark a config describes (any task) and build its report.

    The results directory is checked and locked before the dataset is loaded, and the
    models' parameters are checked before any fold runs.

    Parameters
    ----------
    cfg
        The run.
    data
        The dataset, when already loaded (else ``cfg.dataset`` is loaded).
    report
        Also write ``report.html``.
    existing
        ``"refuse"`` a non-empty ``cfg.out``, ``"overwrite"`` it, or ``"resume"`` an
        interrupted run there from its completed (model, fold) cells.

    Raises
    ------
    OutputError
        If ``cfg.out`` cannot be used (see :func:`cellresponse.results.prepare_output_dir`).
    """
    with prepare_output_dir(cfg.out, existing=existing, owned=LAYOUT_ENTRIES, what="results directory"):
        for name, params in cfg.model_params.items():  # cheap: before the dataset is loaded
            check_model_params(name, params)
        executor = ExecutorConfig(cfg.executor, workers=cfg.workers, ray_address=cfg.ray_address)
        check_executor(executor)  # Ray installed, its head reachable
        for name, space in cfg.search_space.items():
            check_search_space(name, space)
        tune = TuneOptions(trials=cfg.tune_trials, search_space=cfg.search_space) if cfg.tune else None
        data = load_for_config(cfg) if data is None else data
        task = get_task(data.task)
        split = split_for_config(data, cfg, task)
        options = RunOptions(
            include_baselines=cfg.baselines,
            min_group_size=cfg.min_group_size,
            ablations=cfg.ablations,
            progress=cfg.progress,
            config={**cfg.to_dict(), "task": task.name},
            existing=existing,
            explain=cfg.explain,
            executor=executor,
            tune=tune,
        )
        result = run_benchmark(
            data,
            models=cfg.models if cfg.models is not None else list(task.default_models),
            split=split,
            out=cfg.out,
            model_params=cfg.model_params,
            seed=cfg.seed,
            options=options,
        )
        if "cross_study" in data.info and cfg.out:
            from cellresponse.evaluate import write_transfer_scores

            write_transfer_scores(cfg.out)  # per-drug scores on the test study (extras/transfer.*.csv)
        if report:
            from cellresponse.report import build_report

            build_report(cfg.out)
    return result


def config_summary(cfg: BenchmarkConfig, result: BenchmarkResult) -> str:
    """One line saying what ran and where its results are."""
    c = result.config
    return (
        f"{c['task']} · {c['dataset']['name']}/{c['target']} · split {c['split']['mode']} "
        f"({c['split']['n_folds']} fold(s), hash {c['split_hash']}); results in {cfg.out}/ (report.html)"
    )


__all__ = ["benchmark", "cell_line_resolver", "config_summary", "load_for_config", "split_for_config"]
