"""The ``cross_study`` split mode: train on one study's rows, test another's (a dataset
joined by :func:`cellresponse.datasets.join_studies`).

The assignment is keyed by (``study``, ``cell_line``) and read by its own rule: in fold
``k`` the test study's rows of fold-``k`` lines are tested, and the training study's rows
of every line *not* in fold ``k`` are trained on. The test study's rows are never trained
on. So:

- one fold (``n_folds`` None or 1): every test row is tested, the whole training study
  trains (test lines the training study also has are "seen");
- K folds: the test study's lines are spread over K folds and each line's rows in the
  training study are held out in the fold that tests it, so every tested line is unseen
  in training, even where the two studies share almost all lines (GDSC1 and GDSC2).

The inner validation part holds out a fraction of the training study's lines. The
assignment round-trips through ``split.csv`` like every other mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.splits._assign import (
    UNASSIGNED,
    group_codes,
    inner_valid,
    normalize_keys,
    obs_keys,
    register_fold_rule,
)
from cellresponse.splits._modes import assign_groups, register_split_mode
from cellresponse.splits._split import TRAIN_ONLY, Fold, Split


def _study(data: Dataset) -> np.ndarray:
    if "study" not in data.obs.columns:
        raise KeyError(
            f"dataset {data.name!r} has no 'study' column to match split keys against "
            "(join two studies with cellresponse.datasets.join_studies)"
        )
    return data.obs["study"].astype(str).to_numpy()


def _roles(data: Dataset) -> tuple[str, str]:
    roles = data.info.get("cross_study")
    if not isinstance(roles, Mapping) or "train" not in roles or "test" not in roles:
        raise ValueError(
            f"the cross_study split needs a dataset joined by join_studies; {data.name!r} has no cross_study info"
        )
    study = set(_study(data))
    missing = [s for s in (roles["train"], roles["test"]) if s not in study]
    if missing:
        raise ValueError(f"dataset {data.name!r} has no rows of study {missing}")
    return str(roles["train"]), str(roles["test"])


def cross_study_assignment(data: Dataset, n_folds: int | None, rng: np.random.Generator) -> pd.DataFrame:
    """Assignment of the ``cross_study`` mode (see the module docstring).

    Raises
    ------
    ValueError
        If the dataset was not joined by ``join_studies``, lacks rows of either study, or
        has fewer test lines than folds.
    """
    _, test = _roles(data)
    keys = pd.DataFrame({"study": _study(data), "cell_line": data.cell_lines})
    test_lines = keys.loc[keys["study"] == test, "cell_line"]
    if n_folds is None or n_folds <= 1:
        table = keys.drop_duplicates().reset_index(drop=True)
        return table.assign(fold=np.where(table["study"] == test, 0, TRAIN_ONLY))
    sizes = test_lines.value_counts(sort=False)
    if len(sizes) < n_folds:
        raise ValueError(f"cross_study: {len(sizes)} test lines cannot fill {n_folds} folds")
    fold_of = dict(zip(sizes.index, assign_groups(sizes.to_numpy(), n_folds, rng), strict=True))
    table = keys.drop_duplicates().reset_index(drop=True)
    table["fold"] = [fold_of.get(c, TRAIN_ONLY) for c in table["cell_line"]]
    return table


def cross_study_folds(
    data: Dataset,
    assignment: pd.DataFrame,
    *,
    mode: str,
    seed: int,
    valid_fraction: float,
    notes: Mapping[str, Any] | None = None,
    allow_unassigned: bool = False,
) -> Split:
    """Folds of a (study, cell_line) assignment (the rule of the module docstring)."""
    train_study, test_study = _roles(data)
    cols = [c for c in assignment.columns if c != "fold"]
    keys = obs_keys(data, cols)
    merged = keys.merge(normalize_keys(assignment), on=cols, how="left", validate="many_to_one")
    fold = merged["fold"].to_numpy(dtype=float)
    missing = np.isnan(fold)
    what = str((notes or {}).get("split_file", f"split mode {mode!r}"))
    if missing.any() and not allow_unassigned:
        raise ValueError(
            f"{what}: {int(missing.sum())} dataset rows match no key (e.g. "
            f"{keys[missing].drop_duplicates().head(3).to_dict('records')}); pass allow_unassigned=True"
        )
    fold = np.where(missing, UNASSIGNED, fold).astype(np.intp)
    is_test = keys["study"].to_numpy() == test_study
    codes, _ = group_codes(keys)
    folds = []
    for k in sorted({int(f) for f in fold[is_test] if f >= 0}):
        test = np.flatnonzero(is_test & (fold == k))
        train_all = np.flatnonzero(~is_test & (fold != k) & (fold >= TRAIN_ONLY))
        tr, va = inner_valid(train_all, codes, valid_fraction, np.random.default_rng([seed, k]))
        folds.append(Fold(k, tr, va, test))
    if not folds:
        raise ValueError(f"{what}: no row of the test study {test_study!r} is assigned to a test fold")
    extra = {**dict(notes or {}), "train_study": train_study, "test_study": test_study}
    return Split("cross_study", tuple(folds), assignment.reset_index(drop=True), seed, valid_fraction,
                 data.fingerprint(), extra)  # fmt: skip


register_split_mode(
    "cross_study",
    assign=cross_study_assignment,
    key_columns={"study": _study},
    description="train on one study, test another (a dataset joined by join_studies); K folds hold each tested "
    "line out of training, one fold tests every line",
)
register_fold_rule("study", cross_study_folds)

__all__ = ["cross_study_assignment", "cross_study_folds"]
