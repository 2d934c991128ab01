"""From an assignment table (key columns + ``fold``) to the outer folds of a dataset.

Generated splits and split files go through the same function,
:func:`split_from_assignment`, so a split written to ``split.csv`` and read back gives
the same train, validation and test positions (and the same hash).

Two layouts:

- *row-wise*: every row names one group (a cell line; a (cell line, drug) pair; a
  (compound, dose, time) triple ...); each observation takes its group's fold;
- *entity-wise* (leave-both-out): each row names one cell line OR one perturbation (the
  other key empty); fold ``k`` tests pairs whose cell line and perturbation are both in
  ``k`` and trains on pairs sharing neither.

The inner validation part of each outer fold holds out whole groups of the training
part the same way (cell lines *and* perturbations for leave-both-out), drawn with
``numpy.random.default_rng([seed, fold])``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._util import examples
from cellresponse.data import Dataset
from cellresponse.splits._split import TRAIN_ONLY, Fold, Split

#: observations covered by no key of an assignment (only with ``allow_unassigned``)
UNASSIGNED = -2
#: key columns holding numbers (matched as floats); all others are IDs (matched as text)
NUMERIC_KEYS = ("dose", "time")
PERTURBATION_KEYS = ("perturbation", "drug", "compound", "gene")

# key column -> function giving its value per observation (registered grouping modes add theirs)
KeyColumnFn = Callable[[Dataset], np.ndarray]
_EXTRA_KEY_COLUMNS: dict[str, KeyColumnFn] = {}


def register_key_column(name: str, fn: KeyColumnFn) -> None:
    """Make ``name`` usable as a split key column: ``fn(dataset)`` gives one key per observation."""
    if name in _EXTRA_KEY_COLUMNS or name in (*PERTURBATION_KEYS, "cell_line", "tissue", *NUMERIC_KEYS):
        raise ValueError(f"split key column {name!r} is already defined")
    _EXTRA_KEY_COLUMNS[name] = fn


#: key column -> the rule that turns an assignment with that column into folds (cross-study)
FoldRule = Callable[..., Split]
_FOLD_RULES: dict[str, FoldRule] = {}


def register_fold_rule(column: str, rule: FoldRule) -> None:
    """Assignments with key ``column`` are turned into folds by ``rule(data, assignment,
    mode=, seed=, valid_fraction=, notes=, allow_unassigned=)`` instead of the row-wise rule."""
    if column in _FOLD_RULES:
        raise ValueError(f"a fold rule for key column {column!r} is already registered")
    _FOLD_RULES[column] = rule


def key_columns() -> tuple[str, ...]:
    """Every column name a split file may use as a key."""
    return ("cell_line", *PERTURBATION_KEYS, "tissue", *NUMERIC_KEYS, *_EXTRA_KEY_COLUMNS)


def obs_keys(data: Dataset, columns: list[str]) -> pd.DataFrame:
    """One row per observation with its value of each key column (IDs as text, doses as floats)."""
    out: dict[str, Any] = {}
    for col in columns:
        if col == "cell_line":
            out[col] = data.cell_lines
        elif col in PERTURBATION_KEYS or col == data.perturbation_kind:
            out[col] = data.perturbations
        elif col == "tissue":
            out[col] = data.tissues
        elif col in NUMERIC_KEYS:
            if col not in data.obs.columns:
                raise KeyError(f"dataset {data.name!r} has no {col!r} column to match split keys against")
            out[col] = data.obs[col].to_numpy(dtype=np.float64)
        elif col in _EXTRA_KEY_COLUMNS:
            out[col] = _EXTRA_KEY_COLUMNS[col](data)
        else:
            raise KeyError(f"unknown split key column {col!r}; choose from {list(key_columns())}")
    return normalize_keys(pd.DataFrame(out))


def normalize_keys(keys: pd.DataFrame) -> pd.DataFrame:
    """IDs as text, doses and times as floats, so keys from files and from data compare equal."""
    out = keys.copy()
    for col in out.columns:
        if col == "fold":
            continue
        out[col] = out[col].astype(np.float64) if col in NUMERIC_KEYS else out[col].astype(str)
    return out


def group_codes(keys: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per observation, and the table of unique keys (row = code).

    Groups are numbered in order of first appearance, the order ``drop_duplicates`` keeps.
    """
    codes = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy(dtype=np.intp)
    return codes, keys.drop_duplicates().reset_index(drop=True)


def _inner_valid(
    train_idx: np.ndarray, codes: np.ndarray, valid_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split training rows into (train, valid) by whole groups."""
    if valid_fraction <= 0 or len(train_idx) == 0:
        return train_idx, np.empty(0, dtype=np.intp)
    groups = np.unique(codes[train_idx])
    n_valid = max(1, round(valid_fraction * len(groups)))
    if n_valid >= len(groups):
        raise ValueError(
            f"valid_fraction={valid_fraction} leaves no training groups ({len(groups)} groups in the training part)"
        )
    valid_groups = rng.choice(groups, size=n_valid, replace=False)
    is_valid = np.isin(codes[train_idx], valid_groups)
    return train_idx[~is_valid], train_idx[is_valid]


def inner_valid(
    train_idx: np.ndarray, codes: np.ndarray, valid_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split training rows into (train, valid) by whole groups (``codes``)."""
    return _inner_valid(train_idx, codes, valid_fraction, rng)


def is_entity_wise(assignment: pd.DataFrame) -> bool:
    """True for the leave-both-out layout: each row sets exactly one of several key columns."""
    keys = [c for c in assignment.columns if c != "fold"]
    if len(keys) < 2:
        return False
    filled = (assignment[keys].astype(str) != "").sum(axis=1)
    return bool((filled == 1).all())


def _unassigned_error(what: str, n: int, ex: list[Any]) -> ValueError:
    return ValueError(
        f"{what}: {n} dataset rows match no key (e.g. {ex}); to leave them out of every fold, pass "
        "--allow-unassigned (allow_unassigned=True in Python)"
    )


def _row_wise_folds(data: Dataset, assignment: pd.DataFrame, *, allow_unassigned: bool, what: str) -> tuple:
    key_cols = [c for c in assignment.columns if c != "fold"]
    keys = obs_keys(data, key_cols)
    table = normalize_keys(assignment)
    merged = keys.merge(table, on=key_cols, how="left", validate="many_to_one")
    obs_fold = merged["fold"].to_numpy(dtype=float)
    unassigned = np.isnan(obs_fold)
    if unassigned.any() and not allow_unassigned:
        ex = keys[unassigned].drop_duplicates().head(3).to_dict("records")
        raise _unassigned_error(what, int(unassigned.sum()), ex)
    obs_fold = np.where(unassigned, UNASSIGNED, obs_fold).astype(np.intp)
    codes, _ = group_codes(keys)
    return obs_fold, codes, int(unassigned.sum())


def _entity_folds(data: Dataset, assignment: pd.DataFrame, col: str, *, allow_unassigned: bool, what: str):
    rows = assignment[assignment[col].astype(str) != ""]
    mapping = dict(zip(rows[col].astype(str), rows["fold"].astype(int), strict=True))
    ids = obs_keys(data, [col])[col].to_numpy()
    fold = np.array([mapping.get(i, UNASSIGNED) for i in ids], dtype=np.intp)
    missing = fold == UNASSIGNED
    if missing.any() and not allow_unassigned:
        raise _unassigned_error(what, int(missing.sum()), sorted(set(ids[missing]))[:3])
    codes = pd.factorize(ids)[0].astype(np.intp)
    return fold, codes, missing


def split_from_assignment(
    data: Dataset,
    assignment: pd.DataFrame,
    *,
    mode: str,
    seed: int,
    valid_fraction: float,
    notes: Mapping[str, Any] | None = None,
    allow_unassigned: bool = False,
) -> Split:
    """The :class:`Split` an assignment table defines on ``data``.

    Raises
    ------
    ValueError
        If dataset rows match no key (unless ``allow_unassigned``), a fold holds no
        dataset rows, or the inner validation fraction leaves no training groups.
    """
    if not 0 <= valid_fraction < 1:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    for column, rule in _FOLD_RULES.items():
        if column in assignment.columns:
            return rule(
                data,
                assignment,
                mode=mode,
                seed=seed,
                valid_fraction=valid_fraction,
                notes=notes,
                allow_unassigned=allow_unassigned,
            )
    what = str((notes or {}).get("split_file", f"split mode {mode!r}"))
    fold_ids = sorted({int(f) for f in assignment["fold"] if int(f) >= 0})
    if not fold_ids:
        raise ValueError(f"{what}: no key is assigned to a test fold (fold >= 0)")
    extra: dict[str, Any] = dict(notes or {})
    folds = []
    if is_entity_wise(assignment):
        cols = [c for c in assignment.columns if c != "fold"]
        c_fold, c_codes, c_missing = _entity_folds(
            data, assignment, cols[0], allow_unassigned=allow_unassigned, what=what
        )
        p_fold, p_codes, p_missing = _entity_folds(
            data, assignment, cols[1], allow_unassigned=allow_unassigned, what=what
        )
        assigned = ~(c_missing | p_missing)
        unused = []
        for k in fold_ids:
            in_c, in_p = c_fold == k, p_fold == k
            test = np.flatnonzero(in_c & in_p & assigned)
            train_all = ~in_c & ~in_p & assigned
            rng = np.random.default_rng([seed, k])
            valid_c = _pick_groups(c_codes[train_all], valid_fraction, rng, what=f"{what}: {cols[0]}s")
            valid_p = _pick_groups(p_codes[train_all], valid_fraction, rng, what=f"{what}: {cols[1]}s")
            vc, vp = np.isin(c_codes, valid_c), np.isin(p_codes, valid_p)
            train = np.flatnonzero(train_all & ~vc & ~vp)
            valid = np.flatnonzero(train_all & vc & vp)
            folds.append(Fold(k, train, valid, test))
            unused.append(int(len(data) - len(train) - len(valid) - len(test)))
        extra["rows_unused_per_fold"] = unused
        extra["unassigned_rows"] = int((~assigned).sum())
    else:
        obs_fold, codes, n_unassigned = _row_wise_folds(data, assignment, allow_unassigned=allow_unassigned, what=what)
        for k in fold_ids:
            test = np.flatnonzero(obs_fold == k)
            train_all = np.flatnonzero((obs_fold != k) & (obs_fold >= TRAIN_ONLY))
            train, valid = _inner_valid(train_all, codes, valid_fraction, np.random.default_rng([seed, k]))
            folds.append(Fold(k, train, valid, test))
        if n_unassigned:
            extra["unassigned_rows"] = n_unassigned
    empty = [f.fold for f in folds if len(f.test) == 0]
    if empty:
        raise ValueError(f"{what}: folds {empty} contain no dataset rows to test")
    return Split(mode, tuple(folds), assignment.reset_index(drop=True), seed, valid_fraction, data.fingerprint(), extra)


def _pick_groups(codes: np.ndarray, fraction: float, rng: np.random.Generator, *, what: str) -> np.ndarray:
    if fraction <= 0:
        return np.empty(0, dtype=np.intp)
    groups = np.unique(codes)
    n_valid = max(1, round(fraction * len(groups)))
    if n_valid >= len(groups):
        raise ValueError(f"{what}: valid_fraction={fraction} leaves no training groups ({len(groups)} in training)")
    return rng.choice(groups, size=n_valid, replace=False)


def describe_unknown(values: list[str]) -> dict[str, Any]:
    return {"n": len(values), "examples": examples(sorted(values))}


__all__ = [
    "NUMERIC_KEYS",
    "PERTURBATION_KEYS",
    "UNASSIGNED",
    "describe_unknown",
    "group_codes",
    "inner_valid",
    "is_entity_wise",
    "key_columns",
    "normalize_keys",
    "obs_keys",
    "register_fold_rule",
    "register_key_column",
    "split_from_assignment",
]
