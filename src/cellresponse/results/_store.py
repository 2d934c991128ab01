"""Completed (model, fold) cells of a run, kept inside its results directory until it ends.

A benchmark is a grid of cells: each fits one model on one fold's training part and
predicts its test part. The engine saves every completed cell here the moment it ends,
so an interrupted run loses at most the cells that were running, and ``--resume``
continues from the others. The store is the meeting point of whoever runs cells (the
serial loop; worker processes) and the one writer of the results directory: a cell is
written by :meth:`CellStore.save` and read back by :meth:`CellStore.load`, both pure
file operations that need nothing but the directory.

Layout (removed when the run completes; the results layout itself is unchanged)::

    cells/run.json                    what every cell of this run shares (dataset, split)
    cells/<fold>/<model>.npz          predictions (float32 arrays) and extra tables (parquet)
    cells/<fold>/<model>.json         key, timing, failure, names; written last = complete

A cell counts only when its ``.json`` exists, names the same ``key`` (model parameters,
fold, seed, ablations) and the checksum of its ``.npz`` matches; anything else is run
again.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import jsonable
from cellresponse.errors import OutputError
from cellresponse.results._layout import atomic_write_bytes
from cellresponse.results._predictions import _npz_bytes

STORE_DIR = "cells"
_RUN_FILE = "run.json"
_EXTRA_PREFIX = "extra::"


def cell_key(payload: Mapping[str, Any]) -> str:
    """A short stable hash of what determines a cell's outputs (JSON-able values)."""
    text = json.dumps(jsonable(dict(payload)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class CellRecord:
    """The outputs of one (model, fold) cell, as stored.

    Attributes
    ----------
    model, fold
        The cell.
    key
        :func:`cell_key` of its inputs; a stored cell is reused only under the same key.
    values
        Scored name -> float32 predictions of the fold's test rows.
    extras
        Table name -> extra table the model or task reported.
    timing
        A row of ``timings.csv`` (``None`` for a failed cell).
    failure
        ``{"model", "fold", "error", "traceback"}`` for a failed cell.
    """

    model: str
    fold: int
    key: str = ""
    values: dict[str, np.ndarray] = field(default_factory=dict)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    timing: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None


def _safe(name: str) -> str:
    return name.replace("/", "__").replace("\\", "__")


class CellStore:
    """The completed cells of one run in ``<results_dir>/cells``.

    Parameters
    ----------
    results_dir
        The results directory.
    run
        What every cell shares and a resumed run must match (dataset fingerprint, full
        split hash, task); recorded in ``cells/run.json``.
    """

    def __init__(self, results_dir: PathLike, *, run: Mapping[str, Any]) -> None:
        self.root = Path(results_dir) / STORE_DIR
        self.run = dict(jsonable(dict(run)))

    # ------------------------------------------------------------------ run
    def open(self, *, resume: bool) -> None:
        """Start the store (a fresh one unless ``resume``).

        Raises
        ------
        OutputError
            When resuming a directory whose cells belong to another run (another dataset
            or split), naming what differs.
        """
        path = self.root / _RUN_FILE
        if resume and path.is_file():
            try:
                old = json.loads(path.read_text())
            except (OSError, ValueError):
                old = None
            if not isinstance(old, dict):
                old = {}
            differs = sorted(k for k in set(old) | set(self.run) if old.get(k) != self.run.get(k))
            if differs:
                shown = "; ".join(f"{k}: {old.get(k)!r} there, {self.run.get(k)!r} now" for k in differs[:3])
                raise OutputError(
                    f"cannot resume {self.root.parent}: it holds cells of another run ({shown}); "
                    "use --overwrite to start again or choose another --out",
                    path=self.root.parent,
                )
        elif not resume and self.root.exists():
            shutil.rmtree(self.root)
        atomic_write_bytes(path, (json.dumps(self.run, indent=1, sort_keys=True) + "\n").encode())

    def clear(self) -> None:
        """Remove the store (the run is complete and written)."""
        shutil.rmtree(self.root, ignore_errors=True)

    # ----------------------------------------------------------------- cells
    def _paths(self, model: str, fold: int) -> tuple[Path, Path]:
        base = self.root / str(int(fold)) / _safe(model)
        return base.with_suffix(".npz"), base.with_suffix(".json")

    def save(self, cell: CellRecord) -> None:
        """Write ``cell`` (arrays first, then its ``.json``, each atomically)."""
        npz_path, json_path = self._paths(cell.model, cell.fold)
        arrays = {f"v{i}": np.asarray(v, dtype=np.float32) for i, v in enumerate(cell.values.values())}
        for i, table in enumerate(cell.extras.values()):
            buf = io.BytesIO()
            # parquet keeps every column's dtype and exact values, so a resumed run writes
            # the same extras bytes as an uninterrupted one
            table.reset_index(drop=True).to_parquet(buf, index=False)
            arrays[f"e{i}"] = np.frombuffer(buf.getvalue(), dtype=np.uint8)
        data = _npz_bytes(arrays)
        atomic_write_bytes(npz_path, data)
        doc = {
            "model": cell.model,
            "fold": int(cell.fold),
            "key": cell.key,
            "values": list(cell.values),
            "extras": list(cell.extras),
            "timing": jsonable(cell.timing) if cell.timing is not None else None,
            "failure": jsonable(cell.failure) if cell.failure is not None else None,
            "npz_sha256": hashlib.sha256(data).hexdigest(),
        }
        atomic_write_bytes(json_path, (json.dumps(doc, indent=1) + "\n").encode())

    def load(self, model: str, fold: int, *, key: str) -> CellRecord | None:
        """The stored cell, or ``None`` when it is missing, damaged or of other inputs."""
        npz_path, json_path = self._paths(model, fold)
        try:
            doc = json.loads(json_path.read_text())
            data = npz_path.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("key") != key:
            return None
        if hashlib.sha256(data).hexdigest() != doc.get("npz_sha256"):
            return None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            values = {name: arrays[f"v{i}"] for i, name in enumerate(doc["values"])}
            extras = {
                name: pd.read_parquet(io.BytesIO(arrays[f"e{i}"].tobytes())) for i, name in enumerate(doc["extras"])
            }
        except Exception:
            return None
        return CellRecord(
            model=str(doc["model"]),
            fold=int(doc["fold"]),
            key=key,
            values=values,
            extras=extras,
            timing=doc.get("timing"),
            failure=doc.get("failure"),
        )

    def completed(self) -> list[tuple[str, int]]:
        """``(model, fold)`` of every cell with a ``.json`` (not checked against a key)."""
        out = []
        for path in sorted(self.root.glob("*/*.json")):
            try:
                doc = json.loads(path.read_text())
                out.append((str(doc["model"]), int(doc["fold"])))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return out


__all__ = ["STORE_DIR", "CellRecord", "CellStore", "cell_key"]
