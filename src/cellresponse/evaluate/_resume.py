"""What the engine checks before fitting, and how its cells meet the cell store.

- :func:`check_scorable`: a split that leaves no group (drug, gene, compound) with enough
  test observations in a fold cannot give the primary metric there; said before fitting
  (an error when no fold can be scored at all).
- :func:`cell_keys`, :func:`to_record`, :func:`from_record`: each (model, fold) cell's
  key (what determines its outputs: the model's resolved parameters, the fold's rows, the
  seed and the ablations) and its conversion to and from
  :class:`cellresponse.results.CellRecord`, so a resumed run reuses exactly the cells an
  uninterrupted run would have computed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cellresponse.data import Dataset
from cellresponse.errors import InputError
from cellresponse.evaluate._cells import CellResult
from cellresponse.results import CellRecord, cell_key
from cellresponse.splits import Fold, Split
from cellresponse.tasks import Task

log = logging.getLogger("cellresponse")


def fold_hash(fold: Fold) -> str:
    """Hash of one fold's train, validation and test rows."""
    h = hashlib.sha256(f"{fold.fold}|".encode())
    for arr in (fold.train, fold.valid, fold.test):
        h.update(np.sort(np.asarray(arr)).astype(np.int64).tobytes())
        h.update(b"|")
    return h.hexdigest()[:16]


def cell_keys(
    split: Split,
    params: Mapping[str, Mapping[str, Any]],
    *,
    seed: int,
    ablations: Sequence[str],
    fingerprint: str,
    explain_top: int | None = None,
) -> dict[tuple[str, int], str]:
    """The key of every (model, fold) cell of a run."""
    folds = {f.fold: fold_hash(f) for f in split.folds}
    return {
        (name, fold): cell_key(
            {
                "model": name,
                "params": dict(p),
                "fold": fold,
                "rows": rows,
                "seed": seed,
                "ablations": list(ablations),
                "dataset": fingerprint,
                "explain_top": explain_top,
            }
        )
        for name, p in params.items()
        for fold, rows in folds.items()
    }


def to_record(cell: CellResult, key: str) -> CellRecord:
    return CellRecord(cell.model, cell.fold, key, dict(cell.values), dict(cell.extras), cell.timing, cell.failure)


def from_record(record: CellRecord) -> CellResult:
    return CellResult(record.model, record.fold, record.values, record.extras, record.timing, record.failure)


def _group_ids(data: Dataset, group_by: str) -> np.ndarray | None:
    if group_by == data.perturbation_kind:
        return np.asarray(data.perturbations)
    if group_by == "cell_line":
        return np.asarray(data.cell_lines)
    return None


def check_scorable(data: Dataset, split: Split, task: Task, *, min_group_size: int) -> list[int]:
    """Folds whose test part has no group large enough for the primary metric.

    Per-group correlations need at least ``max(min_group_size, 2)`` test observations of
    a group in a fold. Returns the folds that cannot give the primary metric (logged);
    raises when no fold can.

    Raises
    ------
    InputError
        If no fold of the split has a scorable group, naming the largest group size met
        and what to change.
    """
    primary = task.primary_metric(data.perturbation_kind)
    _, group_by = task.primary_groups(data.perturbation_kind)
    if not primary.startswith(f"per_{group_by}_"):
        return []
    ids = _group_ids(data, group_by)
    if ids is None:
        return []
    need = max(int(min_group_size), 2)
    largest: dict[int, int] = {}
    for f in split.folds:
        if len(f.test) == 0:
            largest[f.fold] = 0
            continue
        _, counts = np.unique(ids[f.test], return_counts=True)
        largest[f.fold] = int(counts.max())
    bad = [k for k, n in largest.items() if n < need]
    if bad and len(bad) == len(largest):
        raise InputError(
            f"no fold of this split can be scored by {primary}: a {group_by} needs at least {need} test "
            f"observations in a fold (--min-group-size {min_group_size}), and the largest {group_by} in any fold "
            f"has {max(largest.values())}; use fewer folds (--folds) or a smaller --min-group-size",
            source="--folds",
        )
    if bad:
        log.warning(
            "folds %s have no %s with %d or more test observations: %s is not scored there",
            bad,
            group_by,
            need,
            primary,
        )
    return bad


__all__ = ["cell_keys", "check_scorable", "fold_hash", "from_record", "to_record"]
