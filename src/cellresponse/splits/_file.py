"""Split files: read a ``split.csv`` (this package's or another tool's) onto a dataset.

A split file has key columns (``cell_line``, ``drug`` / ``compound`` / ``gene`` /
``perturbation``, ``tissue``, ``dose``, ``time``, ``scaffold``, ``cluster``) and an
integer ``fold``: ``k >= 0`` is tested in outer fold ``k``; ``-1`` is always trained on.
Leave-both-out files name cell lines and perturbations on separate rows (the other key
empty).

A file written by another tool on another version of a dataset may name entities this
dataset does not hold (lines that failed ID harmonization or lack an omics view): those
keys are reported (count and examples, in ``split.notes["unknown_keys"]`` and the log)
and ignored. Dataset rows that no key covers are an error unless ``allow_unassigned``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.data import Dataset
from cellresponse.errors import InputError
from cellresponse.io import read_csv_checked
from cellresponse.splits._assign import (
    NUMERIC_KEYS,
    PERTURBATION_KEYS,
    describe_unknown,
    is_entity_wise,
    key_columns,
    normalize_keys,
    obs_keys,
    split_from_assignment,
)
from cellresponse.splits._split import TRAIN_ONLY, Split

log = logging.getLogger("cellresponse")
CellLineResolver = Callable[[Sequence[str]], Sequence[str | None]]


def _inferred_mode(cols: list[str], kind: str, *, entity_wise: bool, n_folds: int) -> str:
    if entity_wise:
        return "both"
    named = {
        "cell_line": "cell_line",
        kind: "perturbation",
        "tissue": "tissue",
        "scaffold": "compound_scaffold",
        "cluster": "compound_cluster",
    }
    if len(cols) == 1 and cols[0] in named:
        return named[cols[0]]
    if set(cols) == {"cell_line", kind}:
        return "pair"
    if "dose" in cols and n_folds == 1:
        return "dose_holdout"
    if "time" in cols and n_folds == 1:
        return "time"
    return "+".join(cols)


def _read_table(path: Path) -> pd.DataFrame:
    table = read_csv_checked(path, what="split file", dtype=str, keep_default_na=False)
    if "fold" not in table.columns:
        raise InputError(f"split file {path} has no 'fold' column; columns: {list(table.columns)}", source=path)
    allowed = key_columns()
    keys = [c for c in table.columns if c in allowed]
    extra = [c for c in table.columns if c not in (*allowed, "fold")]
    if not keys or extra:
        raise InputError(
            f"split file {path}: key columns must be among {list(allowed)} (found {keys}); unexpected columns: {extra}"
        )
    folds = pd.to_numeric(table["fold"], errors="coerce")
    bad = np.flatnonzero(folds.isna() | (folds % 1 != 0) | (folds < TRAIN_ONLY))
    if len(bad):
        raise InputError(
            f"split file {path}: 'fold' must be an integer >= 0 (or -1 for always-trained keys); bad at data rows "
            f"{examples((bad + 2).tolist())} (values {examples(table['fold'].iloc[bad].tolist())})"
        )
    return table.assign(fold=folds.astype(int))


def _drop_unknown(
    table: pd.DataFrame, data: Dataset, keys: list[str], *, entity_wise: bool
) -> tuple[pd.DataFrame, dict[str, dict[str, object]]]:
    """Remove rows naming entities the dataset does not hold; report them per column."""
    present = obs_keys(data, keys)
    unknown: dict[str, dict[str, object]] = {}
    keep = np.ones(len(table), dtype=bool)
    norm = normalize_keys(table[keys].replace("", np.nan) if not entity_wise else table[keys])
    for col in keys:
        values = norm[col]
        filled = table[col].astype(str) != "" if entity_wise else np.ones(len(table), dtype=bool)
        if col in NUMERIC_KEYS:
            have = set(present[col].tolist())
            missing = filled & ~values.isin(have).to_numpy()
        else:
            missing = filled & ~values.isin(set(present[col])).to_numpy()
        if missing.any():
            unknown[col] = describe_unknown(sorted(set(table.loc[missing, col].astype(str))))
        keep &= ~missing
    return table[keep].reset_index(drop=True), unknown


def read_split_file(
    path: PathLike,
    data: Dataset,
    *,
    resolve_cell_line: CellLineResolver | None = None,
    valid_fraction: float = 0.1,
    seed: int = 0,
    allow_unassigned: bool = False,
) -> Split:
    """Read a split file and apply it to ``data`` (see the module docstring).

    Parameters
    ----------
    path
        CSV with key columns and ``fold``.
    data
        The dataset to split.
    resolve_cell_line
        Maps cell-line keys to the dataset's IDs (e.g. CCLE names or COSMIC IDs to ACH
        IDs through the DepMap crosswalk); ``None`` for keys it cannot resolve.
    valid_fraction, seed
        The inner validation part of each fold (whole groups of the training part).
    allow_unassigned
        Leave dataset rows that no key covers out of every fold instead of raising.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a malformed file (no ``fold``, unknown columns, non-integer folds,
        conflicting duplicated keys), keys that match none of the dataset, uncovered
        dataset rows (unless ``allow_unassigned``) or a fold left without rows.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"split file {path} does not exist")
    table = _read_table(path)
    kind = data.perturbation_kind
    table = table.rename(columns={c: kind for c in table.columns if c in PERTURBATION_KEYS})
    if table.columns.duplicated().any():
        raise ValueError(f"split file {path}: several perturbation key columns ({list(table.columns)}); keep one")
    keys = [c for c in table.columns if c != "fold"]
    entity_wise = is_entity_wise(table)
    if "cell_line" in keys and resolve_cell_line is not None:
        raw = table["cell_line"].astype(str).tolist()
        todo = [r for r in raw if r != ""]
        resolved = dict(zip(todo, resolve_cell_line(todo), strict=True))
        table["cell_line"] = [resolved.get(r) or r if r != "" else "" for r in raw]
    table, unknown = _drop_unknown(table, data, keys, entity_wise=entity_wise)
    for col, info in unknown.items():
        log.warning(
            "split file %s: %s %s keys not in dataset %r ignored (e.g. %s)",
            path,
            info["n"],
            col,
            data.name,
            info["examples"],
        )
    if table.empty:
        ex = {c: examples(sorted(set(obs_keys(data, [c])[c].astype(str)))[:3]) for c in keys}
        raise ValueError(
            f"split file {path}: its keys match none of dataset {data.name!r} (dataset keys look like {ex}); "
            "is it a split of another dataset or task?"
        )
    table = table.drop_duplicates().reset_index(drop=True)
    dup = table.duplicated(subset=keys, keep=False)
    if dup.any():
        raise ValueError(
            f"split file {path}: {int(dup.sum())} rows give one key two folds, e.g. "
            f"{table.loc[dup, [*keys, 'fold']].head(4).to_dict('records')}"
        )
    n_folds = len({f for f in table["fold"] if f >= 0})
    mode = _inferred_mode(keys, kind, entity_wise=entity_wise, n_folds=n_folds)
    notes: dict[str, object] = {"split_file": str(path)}
    if unknown:
        notes["unknown_keys"] = unknown
    return split_from_assignment(
        data, table, mode=mode, seed=seed, valid_fraction=valid_fraction, notes=notes, allow_unassigned=allow_unassigned
    )


def check_training_coverage(data: Dataset, split: Split) -> pd.DataFrame:
    """Per fold, the test perturbations and cell lines with no training rows.

    Models that learn per-perturbation state (drug mean, per-drug models) cannot use
    those rows as intended; the runner reports them. Returns a long table with columns
    ``fold``, ``entity``, ``id``, ``n_test_rows``.
    """
    rows = []
    for f in split.folds:
        for entity, ids in (("perturbation", data.perturbations), ("cell_line", data.cell_lines)):
            seen = set(ids[f.train])
            test_ids = pd.Series(ids[f.test])
            missing = test_ids[~test_ids.isin(seen)].value_counts()
            rows += [{"fold": f.fold, "entity": entity, "id": i, "n_test_rows": int(n)} for i, n in missing.items()]
    return pd.DataFrame(rows, columns=["fold", "entity", "id", "n_test_rows"])


__all__ = ["check_training_coverage", "read_split_file"]
