"""The jobs a benchmark hands its executor: what every cell shares (sent to each worker
once), one (model, fold) job, the fold parts cached per worker process, and the record
of a cell whose worker was lost."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cellresponse.data import Dataset
from cellresponse.evaluate._cells import CellResult, FoldData
from cellresponse.evaluate._executors import ExecutorConfig, WorkerLost
from cellresponse.splits import Split
from cellresponse.uncertainty import UncertaintyConfig

log = logging.getLogger("cellresponse")


@dataclass(frozen=True)
class Shared:
    """What every cell of a run reads: sent to each worker once."""

    data: Dataset
    split: Split
    task: str
    ablations: list[str]
    seed: int
    explain_top: int | None
    uncertainty: UncertaintyConfig | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # a Dataset holds read-only mapping proxies, which do not pickle: it travels as
        # its constructor's arguments and is rebuilt (validated again) in the worker
        args = {f.name: getattr(self.data, f.name) for f in dataclasses.fields(self.data)}
        args = {k: dict(v) if isinstance(v, Mapping) else v for k, v in args.items()}
        return _rebuild, (args, self.split, self.task, self.ablations, self.seed, self.explain_top, self.uncertainty)


def _rebuild(data: dict[str, Any], split: Split, *rest: Any) -> Shared:
    return Shared(Dataset(**data), split, *rest)


@dataclass(frozen=True)
class Job:
    """One (model, fold) cell to compute (with its search when tuned)."""

    name: str
    fold_index: int
    params: dict[str, Any]
    space: dict[str, Any] | None = None
    trials: int = 0


# the last fold's parts in this process: the next cell of the same fold reuses them
_PART: list[Any] = [None, -1, None]


def fold_part(shared: Shared, fold_index: int, build: Callable[[Shared, int], FoldData]) -> FoldData:
    """The parts of fold ``fold_index`` (built by ``build`` unless the last cell here had them)."""
    if _PART[0] is not shared or _PART[1] != fold_index:
        _PART[:] = [shared, fold_index, None]  # free the previous fold before building the next
        _PART[2] = build(shared, fold_index)
    return _PART[2]


def cached_part(shared: Shared, fold_index: int) -> FoldData | None:
    """The parts of fold ``fold_index`` when this process built them for its last cell."""
    if _PART[0] is shared and _PART[1] == fold_index:
        return _PART[2]
    return None


def forget_parts() -> None:
    """Free the cached fold parts (at the end of a run)."""
    _PART[:] = [None, -1, None]


def lost_cell(name: str, fold: int, err: WorkerLost) -> CellResult:
    """A cell whose worker died more often than the executor retries: recorded as failed."""
    log.error("model %s on fold %d: %s", name, fold, err)
    failure = {"model": name, "fold": fold, "error": f"WorkerLost: {err}", "traceback": ""}
    return CellResult(name, fold, failure=failure)


def executor_fields(config: ExecutorConfig | None) -> dict[str, Any]:
    """What ``config.json`` records of the executor asked for."""
    config = config or ExecutorConfig()
    return {"kind": config.kind, "workers": config.workers, "ray_address": config.ray_address}


__all__ = ["Job", "Shared", "cached_part", "executor_fields", "fold_part", "forget_parts", "lost_cell"]
