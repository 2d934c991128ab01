"""The Split object: K outer folds, each with an inner validation part, and its split file.

A split is defined by an *assignment*: a table of key columns (``cell_line``, ``drug``,
``tissue``, ``dose`` ...) and an integer ``fold``. Fold ``k >= 0`` is tested in outer
fold ``k``; fold ``-1`` is always in training (a fixed holdout's training part). The
assignment is exactly what ``split.csv`` holds, so a written split reads back to the
same folds (:func:`cellresponse.splits.read_split_file`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike

SPLIT_FORMAT_VERSION = 2
#: fold value of keys that are always in training (never tested)
TRAIN_ONLY = -1


@dataclass(frozen=True)
class Fold:
    """Index arrays (positions into the dataset) of one outer fold."""

    fold: int
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class Split:
    """K outer folds over a dataset, with the assignment table that defines them.

    Attributes
    ----------
    mode
        Canonical split mode (``cell_line``, ``both``, ``dose_interpolation``, ...) or,
        for a split read from a file, the mode its key columns imply.
    folds
        The outer folds, each with train / inner-validation / test positions.
    assignment
        Key columns plus integer ``fold`` (``-1``: always in training).
    seed, valid_fraction
        What drew the groups and the inner validation parts.
    dataset_fingerprint
        :meth:`cellresponse.data.Dataset.fingerprint` of the split dataset.
    notes
        Reported facts: unknown keys ignored, unassigned rows, rows unused by
        leave-both-out, ...
    """

    mode: str
    folds: tuple[Fold, ...]
    assignment: pd.DataFrame
    seed: int
    valid_fraction: float
    dataset_fingerprint: str
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def n_folds(self) -> int:
        return len(self.folds)

    @property
    def fold_ids(self) -> list[int]:
        return [f.fold for f in self.folds]

    @property
    def hash(self) -> str:
        """Content hash of what is trained, validated and tested on: the dataset
        fingerprint and every fold's index arrays (not the mode's name, so a split read
        back from its file has the hash of the split that wrote it)."""
        h = hashlib.sha256()
        h.update(self.dataset_fingerprint.encode())
        for f in self.folds:
            h.update(f"|{f.fold}|".encode())
            for arr in (f.train, f.valid, f.test):
                h.update(np.sort(arr).astype(np.int64).tobytes())
                h.update(b"|")
        return h.hexdigest()[:16]

    @property
    def full_hash(self) -> str:
        """Hash of the split these folds were selected from (:meth:`select_folds`); else :attr:`hash`."""
        return str(self.notes.get("full_split_hash", self.hash))

    def select_folds(self, folds: Iterable[int]) -> Split:
        """The same split restricted to the outer ``folds`` (a shard of a benchmark).

        The split file (``assignment``) stays whole and ``full_hash`` names the full
        split, so shards run on different folds can be merged.

        Raises
        ------
        ValueError
            If a fold is not in the split (names the valid folds).
        """
        wanted = sorted({int(f) for f in folds})
        have = self.fold_ids
        unknown = [f for f in wanted if f not in have]
        if unknown or not wanted:
            raise ValueError(f"folds {unknown or wanted} are not in the split; it has folds {have}")
        notes = {**self.notes, "full_split_hash": self.full_hash, "selected_folds": wanted}
        kept = tuple(f for f in self.folds if f.fold in wanted)
        return dataclasses.replace(self, folds=kept, notes=notes)

    def to_csv(self, path: PathLike) -> Path:
        """Write the split file (key columns + integer ``fold``)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.assignment.to_csv(out, index=False)
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "n_folds": self.n_folds,
            "seed": self.seed,
            "valid_fraction": self.valid_fraction,
            "hash": self.hash,
            "dataset_fingerprint": self.dataset_fingerprint,
            "fold_sizes": [
                {"fold": f.fold, "train": len(f.train), "valid": len(f.valid), "test": len(f.test)} for f in self.folds
            ],
            "format_version": SPLIT_FORMAT_VERSION,
            **({"notes": self.notes} if self.notes else {}),
        }


__all__ = ["SPLIT_FORMAT_VERSION", "TRAIN_ONLY", "Fold", "Split"]
