"""Leakage-proof K-fold splits with an inner validation part, and split files.

A split assigns *groups* of observations to test folds. The group decides what is
unseen at test time:

=============  ============================  ======================================
mode           group                         unseen at test time
=============  ============================  ======================================
pair           (cell line, perturbation)     the pair (both entities seen elsewhere)
cell_line      cell line                     the cell line
perturbation   perturbation (drug/gene)      the drug (or gene, or compound)
tissue         tissue of the cell line       every line of the tissue
both           cell line AND perturbation    both; pairs sharing either are dropped
=============  ============================  ======================================

Task modules add modes (dose, time, compound clusters) through :func:`register_split_mode`.
The inner validation part is carved from each fold's training part with the same
grouping, so early stopping never sees a test group and is as "unseen" as the test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.data import Dataset
from cellresponse.data._views import _examples

SPLIT_FORMAT_VERSION = 1

# Short names used on the command line.
MODE_ALIASES = {
    "lpo": "pair",
    "lco": "cell_line",
    "ldo": "perturbation",
    "drug": "perturbation",
    "gene": "perturbation",
    "compound": "perturbation",
    "lto": "tissue",
    "lbo": "both",
}


@dataclass(frozen=True)
class Fold:
    """Index arrays (positions into the dataset) of one outer fold."""

    fold: int
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class Split:
    """K outer folds over a dataset, with the group -> fold table that defines them.

    ``assignment`` is exactly what a split file holds: key columns plus ``fold``.
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
    def hash(self) -> str:
        """Content hash of the fold index arrays (what was actually trained/tested on)."""
        h = hashlib.sha256()
        h.update(f"{self.mode}|{self.dataset_fingerprint}".encode())
        for f in self.folds:
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
        split, so shards run on different folds can be merged
        (:func:`cellresponse.evaluate.merge_benchmarks`).
        """
        wanted = sorted({int(f) for f in folds})
        have = {f.fold for f in self.folds}
        unknown = [f for f in wanted if f not in have]
        if unknown:
            raise ValueError(f"folds {unknown} are not in the split (it has {sorted(have)})")
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


# --------------------------------------------------------------------- grouping
KeyFn = Callable[[Dataset], pd.DataFrame]


def _pair_keys(ds: Dataset) -> pd.DataFrame:
    return pd.DataFrame({"cell_line": ds.cell_lines, ds.perturbation_kind: ds.perturbations})


def _cell_keys(ds: Dataset) -> pd.DataFrame:
    return pd.DataFrame({"cell_line": ds.cell_lines})


def _pert_keys(ds: Dataset) -> pd.DataFrame:
    return pd.DataFrame({ds.perturbation_kind: ds.perturbations})


def _tissue_keys(ds: Dataset) -> pd.DataFrame:
    return pd.DataFrame({"tissue": ds.tissues})


_KEY_FUNCS: dict[str, KeyFn] = {
    "pair": _pair_keys,
    "cell_line": _cell_keys,
    "perturbation": _pert_keys,
    "tissue": _tissue_keys,
}


def register_split_mode(name: str, key_fn: KeyFn) -> None:
    """Register a grouping split mode: ``key_fn(dataset)`` returns one key row per observation."""
    if name in _KEY_FUNCS or name in MODE_ALIASES or name == "both":
        raise ValueError(f"split mode {name!r} is already defined")
    _KEY_FUNCS[name] = key_fn


def available_split_modes() -> list[str]:
    return sorted([*_KEY_FUNCS, "both"])


def canonical_mode(mode: str) -> str:
    mode = MODE_ALIASES.get(mode, mode)
    if mode not in _KEY_FUNCS and mode != "both":
        raise ValueError(
            f"unknown split mode {mode!r}; choose from {available_split_modes()} or the aliases {sorted(MODE_ALIASES)}"
        )
    return mode


def _group_codes(keys: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per observation, and the table of unique keys (row = code)."""
    keys = keys.astype(str)
    # sort=False numbers groups in order of first appearance, the order drop_duplicates keeps.
    codes = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy(dtype=np.intp)
    return codes, keys.drop_duplicates().reset_index(drop=True)


def _assign_groups(sizes: np.ndarray, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """Fold of each group: shuffled, then greedy size balancing (largest groups first)."""
    n_groups = len(sizes)
    if n_groups < n_folds:
        raise ValueError(f"cannot make {n_folds} folds from {n_groups} groups; lower n_folds")
    order = rng.permutation(n_groups)
    if np.ptp(sizes) == 0:
        folds = np.empty(n_groups, dtype=np.intp)
        folds[order] = np.arange(n_groups) % n_folds
        return folds
    order = order[np.argsort(-sizes[order], kind="stable")]
    load = np.zeros(n_folds)
    folds = np.empty(n_groups, dtype=np.intp)
    for g in order:
        k = int(np.argmin(load))
        folds[g] = k
        load[k] += sizes[g]
    return folds


def _inner_valid(
    train_idx: np.ndarray, codes: np.ndarray, valid_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split training rows into (train, valid) by whole groups."""
    if valid_fraction <= 0:
        return train_idx, np.empty(0, dtype=np.intp)
    groups = np.unique(codes[train_idx])
    n_valid = max(1, round(valid_fraction * len(groups)))
    if n_valid >= len(groups):
        raise ValueError(f"valid_fraction={valid_fraction} leaves no training groups")
    valid_groups = rng.choice(groups, size=n_valid, replace=False)
    is_valid = np.isin(codes[train_idx], valid_groups)
    return train_idx[~is_valid], train_idx[is_valid]


def _folds_from_assignment(
    codes: np.ndarray, group_fold: np.ndarray, n_folds: int, valid_fraction: float, seed: int
) -> tuple[Fold, ...]:
    obs_fold = group_fold[codes]
    folds = []
    for k in range(n_folds):
        rng = np.random.default_rng([seed, k])
        test = np.flatnonzero(obs_fold == k)
        train_all = np.flatnonzero((obs_fold != k) & (obs_fold >= 0))
        train, valid = _inner_valid(train_all, codes, valid_fraction, rng)
        folds.append(Fold(k, train, valid, test))
    return tuple(folds)


def make_split(
    data: Dataset,
    *,
    mode: str,
    n_folds: int | None = 5,
    seed: int = 0,
    valid_fraction: float = 0.1,
) -> Split:
    """K-fold split of ``data`` by ``mode`` (see module docstring for the modes).

    Parameters
    ----------
    data
        The dataset to split.
    mode
        ``pair``, ``cell_line``, ``perturbation``, ``tissue``, ``both`` (or an alias such
        as ``lco``), or a mode registered by a task module.
    n_folds
        Number of outer folds. ``None`` with ``mode="tissue"`` gives one fold per tissue
        (leave-one-lineage-out).
    seed
        Seeds the group permutation and the inner validation choice.
    valid_fraction
        Fraction of each fold's training groups held out as inner validation.

    Raises
    ------
    ValueError
        For an unknown mode, too few groups for ``n_folds``, or a bad fraction.
    """
    mode = canonical_mode(mode)
    if not 0 <= valid_fraction < 1:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    if mode == "both":
        return _leave_both_out(data, n_folds=n_folds or 5, seed=seed, valid_fraction=valid_fraction)
    keys = _KEY_FUNCS[mode](data)
    codes, uniques = _group_codes(keys)
    sizes = np.bincount(codes, minlength=len(uniques))
    if n_folds is None:
        n_folds = len(uniques)
    if n_folds < 2:
        raise ValueError(f"n_folds must be >= 2, got {n_folds}")
    rng = np.random.default_rng(seed)
    group_fold = _assign_groups(sizes, n_folds, rng)
    assignment = uniques.assign(fold=group_fold)
    folds = _folds_from_assignment(codes, group_fold, n_folds, valid_fraction, seed)
    return Split(mode, folds, assignment, seed, valid_fraction, data.fingerprint())


def _leave_both_out(data: Dataset, *, n_folds: int, seed: int, valid_fraction: float) -> Split:
    """Cell lines and perturbations each in K groups; fold k tests (cell k, drug k) pairs and
    trains only on pairs sharing neither a test cell line nor a test perturbation."""
    rng = np.random.default_rng(seed)
    cell_codes, cells = pd.factorize(data.cell_lines)
    pert_codes, perts = pd.factorize(data.perturbations)
    cell_fold = _assign_groups(np.ones(len(cells)), n_folds, rng)
    pert_fold = _assign_groups(np.ones(len(perts)), n_folds, rng)
    folds = []
    for k in range(n_folds):
        in_c = cell_fold[cell_codes] == k
        in_p = pert_fold[pert_codes] == k
        test = np.flatnonzero(in_c & in_p)
        train_all = np.flatnonzero(~in_c & ~in_p)
        train, valid = _inner_valid(train_all, cell_codes, valid_fraction, np.random.default_rng([seed, k]))
        folds.append(Fold(k, train, valid, test))
    assignment = pd.concat(
        [
            pd.DataFrame({"cell_line": cells.astype(str), "fold": cell_fold}),
            pd.DataFrame({data.perturbation_kind: perts.astype(str), "fold": pert_fold}),
        ],
        ignore_index=True,
    )
    unused = [len(data) - len(f.train) - len(f.valid) - len(f.test) for f in folds]
    notes = {"rows_unused_per_fold": unused}
    return Split("both", tuple(folds), assignment, seed, valid_fraction, data.fingerprint(), notes)


# ------------------------------------------------------------------ split files
KEY_COLUMNS = ("cell_line", "drug", "gene", "compound", "perturbation", "tissue", "dose", "time")


def read_split_file(
    path: PathLike,
    data: Dataset,
    *,
    resolve_cell_line: Callable[[Sequence[str]], Sequence[str | None]] | None = None,
    valid_fraction: float = 0.1,
    seed: int = 0,
    allow_unassigned: bool = False,
) -> Split:
    """Read a split file (key columns + integer ``fold``) and apply it to ``data``.

    Cell-line keys are passed through ``resolve_cell_line`` (e.g. the ID harmonizer), so
    a file may name lines by CCLE name, COSMIC ID or ACH ID.

    Raises
    ------
    ValueError
        If the file has no ``fold`` column or no key column, non-integer folds, duplicated
        keys, or dataset rows no key covers (unless ``allow_unassigned``).
    KeyError
        If a key names an entity the dataset does not have.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"split file {path} does not exist")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "fold" not in table.columns:
        raise ValueError(f"split file {path} has no 'fold' column; columns: {list(table.columns)}")
    key_cols = [c for c in table.columns if c in KEY_COLUMNS]
    extra = [c for c in table.columns if c not in (*KEY_COLUMNS, "fold")]
    if not key_cols or extra:
        raise ValueError(
            f"split file {path}: key columns must be among {KEY_COLUMNS} (found {key_cols}); "
            f"unexpected columns: {extra}"
        )
    folds_raw = pd.to_numeric(table["fold"], errors="coerce")
    bad = np.flatnonzero(folds_raw.isna() | (folds_raw % 1 != 0) | (folds_raw < 0))
    if len(bad):
        raise ValueError(
            f"split file {path}: 'fold' must be a non-negative integer; bad at data rows "
            f"{_examples((bad + 2).tolist())} (values {_examples(table['fold'].iloc[bad].tolist())})"
        )
    table["fold"] = folds_raw.astype(int)
    pert_alias = [c for c in key_cols if c in ("drug", "gene", "compound", "perturbation")]
    table = table.rename(columns={c: data.perturbation_kind for c in pert_alias})
    key_cols = [data.perturbation_kind if c in pert_alias else c for c in key_cols]
    if "cell_line" in key_cols and resolve_cell_line is not None:
        raw = table["cell_line"].tolist()
        resolved = list(resolve_cell_line(raw))
        unresolved = [r for r, c in zip(raw, resolved, strict=True) if c is None]
        if unresolved:
            raise KeyError(f"split file {path}: {len(unresolved)} unknown cell lines: {_examples(unresolved)}")
        table["cell_line"] = resolved
    dup = table.duplicated(subset=key_cols)
    if dup.any():
        raise ValueError(
            f"split file {path}: {int(dup.sum())} duplicated keys, e.g. "
            f"{table.loc[dup, key_cols].head(3).to_dict('records')}"
        )
    obs_keys = pd.DataFrame({c: data.group_keys(c).astype(str) for c in key_cols})
    for c in key_cols:
        if c in ("dose", "time"):
            continue
        known = set(obs_keys[c])
        unknown = sorted(set(table[c]) - known)
        if unknown:
            raise KeyError(
                f"split file {path}: {len(unknown)} {c} IDs not in dataset {data.name!r}: {_examples(unknown)}"
            )
    merged = obs_keys.merge(table, on=key_cols, how="left")
    obs_fold = merged["fold"].to_numpy()
    unassigned = np.isnan(obs_fold.astype(float))
    if unassigned.any() and not allow_unassigned:
        ex = obs_keys[unassigned].drop_duplicates().head(5).to_dict("records")
        raise ValueError(
            f"split file {path}: {int(unassigned.sum())} dataset rows match no key (e.g. {ex}); "
            "pass allow_unassigned=True to leave them out"
        )
    obs_fold = np.where(unassigned, -1, obs_fold).astype(np.intp)
    n_folds = int(table["fold"].max()) + 1
    empty = sorted(set(range(n_folds)) - set(obs_fold[obs_fold >= 0].tolist()))
    if empty:
        raise ValueError(f"split file {path}: folds {empty} contain no dataset rows")
    codes, _ = _group_codes(obs_keys)
    folds = []
    for k in range(n_folds):
        test = np.flatnonzero(obs_fold == k)
        train_all = np.flatnonzero((obs_fold != k) & (obs_fold >= 0))
        train, valid = _inner_valid(train_all, codes, valid_fraction, np.random.default_rng([seed, k]))
        folds.append(Fold(k, train, valid, test))
    mode = "+".join(key_cols) if len(key_cols) > 1 else key_cols[0]
    notes = {"split_file": str(path), "unassigned_rows": int(unassigned.sum())}
    return Split(mode, tuple(folds), table, seed, valid_fraction, data.fingerprint(), notes)


def check_training_coverage(data: Dataset, split: Split) -> pd.DataFrame:
    """Per fold, the test perturbations and cell lines with no training rows.

    Models that learn per-perturbation state (drug mean, per-drug models) cannot use
    those rows as intended; the runner reports and logs them. Returns a long table with
    columns ``fold``, ``entity``, ``id``, ``n_test_rows``.
    """
    rows = []
    for f in split.folds:
        for entity, ids in (("perturbation", data.perturbations), ("cell_line", data.cell_lines)):
            seen = set(ids[f.train])
            test_ids = pd.Series(ids[f.test])
            missing = test_ids[~test_ids.isin(seen)].value_counts()
            rows += [{"fold": f.fold, "entity": entity, "id": i, "n_test_rows": int(n)} for i, n in missing.items()]
    return pd.DataFrame(rows, columns=["fold", "entity", "id", "n_test_rows"])


def split_json(split: Split) -> str:
    return json.dumps(split.describe(), indent=2)


__all__ = [
    "KEY_COLUMNS",
    "MODE_ALIASES",
    "Fold",
    "Split",
    "available_split_modes",
    "canonical_mode",
    "check_training_coverage",
    "make_split",
    "read_split_file",
    "register_split_mode",
]
