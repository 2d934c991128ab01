"""One (model, fold) cell of a benchmark: fit on the fold's training part, predict its test
part (and the ablated test parts), collect the model's extra tables, time it.

A cell never raises for a model's own failure: the error is recorded and the run goes
on with the other cells.
"""

from __future__ import annotations

import json
import logging
import resource
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models import make_model
from cellresponse.tasks import ABLATION_SEP, MEMBER_SEP, Task

log = logging.getLogger("cellresponse")
MEMBER_PREDICTIONS = "member_predictions"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class FoldData:
    """What every cell of one outer fold shares: the parts of the data and the ablated test sets."""

    fold: int
    train: Dataset
    valid: Dataset | None
    test: Dataset
    ablated: dict[str, Dataset]
    last: bool


@dataclass
class CellResult:
    """Outputs of one (model, fold) cell."""

    model: str
    fold: int
    values: dict[str, np.ndarray] = field(default_factory=dict)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    timing: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None


def run_cell(
    name: str,
    params: Mapping[str, Any],
    part: FoldData,
    *,
    task: Task,
    explain_top: int | None = None,
    seed: int = 0,
) -> CellResult:
    """Fit model ``name`` with ``params`` on ``part`` and predict its test sets; with
    ``explain_top``, also record the model's top features per drug on the test part
    (``attributions``; permutations seeded by ``seed`` and the fold)."""
    out = CellResult(name, part.fold)
    try:
        model = make_model(name, **dict(params))
        t0 = time.perf_counter()
        model.fit(part.train, valid=part.valid)
        t1 = time.perf_counter()
        out.values[name] = np.asarray(model.predict(part.test), dtype=np.float32)
        t2 = time.perf_counter()
        for ablation, data in part.ablated.items():
            out.values[f"{name}{ABLATION_SEP}{ablation}"] = np.asarray(model.predict(data), dtype=np.float32)
        tables = dict(getattr(model, "benchmark_extras", lambda _: {})(part.test))
        members = tables.pop(MEMBER_PREDICTIONS, None)
        if members is not None:
            if len(members) != len(part.test):
                raise ValueError(f"{MEMBER_PREDICTIONS} has {len(members)} rows for {len(part.test)} test rows")
            for member in members.columns:
                out.values[f"{name}{MEMBER_SEP}{member}"] = members[member].to_numpy(dtype=np.float32)
        tables.update(task.cell_extras(name, model, part.test, last_fold=part.last))
        if explain_top is not None:
            tables.update(_attributions(name, model, part, top=explain_top, seed=seed))
        out.extras = {key: table.assign(fold=part.fold) for key, table in tables.items()}
    except Exception as err:  # a model's failure is recorded; the other cells still run
        log.error("model %s failed on fold %d: %s", name, part.fold, err)
        out.values = {}
        out.failure = {
            "model": name,
            "fold": part.fold,
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(limit=5),
        }
        return out
    out.timing = {
        "model": name,
        "fold": part.fold,
        "fit_s": t1 - t0,
        "predict_s": t2 - t1,
        "n_train": len(part.train),
        "n_test": len(part.test),
        "peak_rss_mb": peak_rss_mb(),
        "fallbacks": json.dumps(getattr(model, "fallback_counts_", {}), sort_keys=True),
    }
    return out


def _attributions(name: str, model: Any, part: FoldData, *, top: int, seed: int) -> dict[str, pd.DataFrame]:
    """``{"attributions": table}`` of a fitted model on its test part; an attribution that
    fails is logged and left out (it never fails the cell)."""
    from cellresponse.explain import fold_attributions

    fold_seed = int(np.random.SeedSequence([seed, part.fold]).generate_state(1)[0])
    t0 = time.perf_counter()
    try:
        table = fold_attributions(model, part.test, model_name=name, top=top, seed=fold_seed)
    except (ValueError, KeyError, TypeError) as err:
        log.warning("model %s fold %d: attributions not recorded: %s", name, part.fold, err)
        return {}
    log.info("model %s fold %d: attributions in %.1f s", name, part.fold, time.perf_counter() - t0)
    return {"attributions": table} if len(table) else {}


__all__ = ["MEMBER_PREDICTIONS", "CellResult", "FoldData", "peak_rss_mb", "run_cell"]
