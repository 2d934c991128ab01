"""Library function behind ``cellresponse benchmark``: a benchmark from a config."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from cellresponse.config import BenchmarkConfig
from cellresponse.data import Dataset
from cellresponse.evaluate import BenchmarkResult, run_benchmark
from cellresponse.splits import Split, make_split, read_split_file

log = logging.getLogger("cellresponse")


def load_for_config(cfg: BenchmarkConfig) -> Dataset:
    from cellresponse.datasets import load_dataset

    return load_dataset(cfg.dataset, target=cfg.target, cell_views=cfg.cell_views)


def split_for_config(data: Dataset, cfg: BenchmarkConfig) -> Split:
    """The split a config asks for: a split file (IDs harmonized) or a generated split,
    restricted to ``cfg.only_folds`` when the run is a shard."""
    if cfg.split_file:
        split = read_split_file(
            cfg.split_file,
            data,
            resolve_cell_line=_cell_line_resolver(data),
            valid_fraction=cfg.valid_fraction,
            seed=cfg.seed,
        )
    else:
        split = make_split(data, mode=cfg.split, n_folds=cfg.folds, seed=cfg.seed, valid_fraction=cfg.valid_fraction)
    return split.select_folds(cfg.only_folds) if cfg.only_folds is not None else split


def _cell_line_resolver(data: Dataset) -> Any:
    """Map split-file cell-line keys to the dataset's canonical IDs.

    Keys already canonical pass through; others go through the DepMap crosswalk (CCLE
    name, COSMIC id, stripped name, ...). Returns None for keys that resolve nowhere.
    """
    known = set(data.cell_lines)

    def resolve(keys: Sequence[str]) -> list[str | None]:
        pending = [k for k in keys if k not in known]
        mapped: dict[str, str] = {}
        if pending:
            from cellresponse.data import CellLineResolver

            ids, _ = CellLineResolver.from_depmap().resolve(pending)
            mapped = {str(k): str(v) for k, v in ids.items()}
        return [k if k in known else mapped.get(k) for k in keys]

    return resolve


def benchmark(cfg: BenchmarkConfig, *, data: Dataset | None = None) -> BenchmarkResult:
    """Run the benchmark a config describes and build its report."""
    from cellresponse.report import build_report

    data = load_for_config(cfg) if data is None else data
    split = split_for_config(data, cfg)
    result = run_benchmark(
        data,
        models=cfg.models,
        split=split,
        out=cfg.out,
        model_params=cfg.model_params,
        include_baselines=cfg.baselines,
        config=cfg.to_dict(),
        min_group_size=cfg.min_group_size,
        progress=cfg.progress,
    )
    build_report(cfg.out)
    return result


__all__ = ["benchmark", "load_for_config", "split_for_config"]
