"""Split modes and :func:`make_split`, the one entry point for every mode of every task.

=====================  ==========================  =====================================
mode (aliases)         groups                      unseen at test time
=====================  ==========================  =====================================
pair (lpo)             (cell line, perturbation)   the pair; both entities seen elsewhere
cell_line (lco)        cell line                   the cell line
perturbation (ldo,     drug / compound / gene      the perturbation
drug, gene, compound)
tissue (lto)           tissue of the cell line     every line of the tissue
both (lbo)             cell line AND perturbation  both; pairs sharing either are unused
compound_scaffold      Bemis-Murcko scaffold       the compound and its scaffold family
compound_cluster       Butina cluster (Tanimoto)   the compound and its near analogues
dose_interpolation     (compound, dose, time)      interior doses (one fixed fold)
dose_extrapolation     (compound, dose, time)      each compound's highest dose (one fold)
time                   (compound, time)            the latest time point (one fold)
=====================  ==========================  =====================================

Which modes a task accepts is the task's business (:mod:`cellresponse.tasks`); here
every mode is available for any dataset that has what it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.splits._assign import (
    group_codes,
    normalize_keys,
    obs_keys,
    register_key_column,
    split_from_assignment,
)
from cellresponse.splits._split import Split

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

KeyFn = Callable[[Dataset], pd.DataFrame]
#: a fixed holdout: (dataset, seed) -> assignment table (keys + fold 0 or -1)
HoldoutFn = Callable[[Dataset], pd.DataFrame]
#: any other assignment: (dataset, n_folds, rng) -> assignment table (keys + fold)
AssignFn = Callable[[Dataset, int | None, np.random.Generator], pd.DataFrame]


@dataclass(frozen=True)
class SplitMode:
    """How a mode groups observations: ``keys`` (K folds over groups), ``entity_wise``
    (leave-both-out) or ``holdout`` (one fixed fold from an assignment builder)."""

    name: str
    keys: KeyFn | None = None
    holdout: HoldoutFn | None = None
    entity_wise: bool = False
    description: str = ""
    assign: AssignFn | None = None


def _pair_keys(ds: Dataset) -> pd.DataFrame:
    return obs_keys(ds, ["cell_line", ds.perturbation_kind])


def _cell_keys(ds: Dataset) -> pd.DataFrame:
    return obs_keys(ds, ["cell_line"])


def _pert_keys(ds: Dataset) -> pd.DataFrame:
    return obs_keys(ds, [ds.perturbation_kind])


def _tissue_keys(ds: Dataset) -> pd.DataFrame:
    return obs_keys(ds, ["tissue"])


_MODES: dict[str, SplitMode] = {
    "pair": SplitMode("pair", keys=_pair_keys, description="(cell line, perturbation) pairs"),
    "cell_line": SplitMode("cell_line", keys=_cell_keys, description="whole cell lines"),
    "perturbation": SplitMode("perturbation", keys=_pert_keys, description="whole drugs, compounds or genes"),
    "tissue": SplitMode("tissue", keys=_tissue_keys, description="whole tissues"),
    "both": SplitMode("both", entity_wise=True, description="cell lines and perturbations together"),
}


def register_split_mode(
    name: str,
    key_fn: KeyFn | None = None,
    *,
    holdout: HoldoutFn | None = None,
    key_columns: dict[str, Callable[[Dataset], np.ndarray]] | None = None,
    description: str = "",
    assign: AssignFn | None = None,
) -> None:
    """Register a split mode.

    Parameters
    ----------
    name
        Mode name (must be new).
    key_fn
        For a grouping mode: ``key_fn(dataset)`` returns one row of key columns per
        observation; groups are spread over K folds.
    holdout
        For a fixed holdout: ``holdout(dataset)`` returns the assignment table (key
        columns + ``fold`` 0 for tested keys, -1 for training keys).
    key_columns
        New key column names this mode uses, each with a function giving its value per
        observation, so split files with that column can be read back.
    description
        One line for ``cellresponse data splits``.
    assign
        For any other rule: ``assign(dataset, n_folds, rng)`` returns the assignment
        table (key columns + ``fold``).
    """
    if name in _MODES or name in MODE_ALIASES:
        raise ValueError(f"split mode {name!r} is already defined")
    if sum(x is not None for x in (key_fn, holdout, assign)) != 1:
        raise ValueError(f"split mode {name!r}: give exactly one of key_fn, holdout and assign")
    for col, fn in (key_columns or {}).items():
        register_key_column(col, fn)
    _MODES[name] = SplitMode(name, keys=key_fn, holdout=holdout, description=description, assign=assign)


def available_split_modes() -> list[str]:
    """Canonical names of every registered split mode."""
    return sorted(_MODES)


def split_mode_descriptions() -> dict[str, str]:
    return {name: mode.description for name, mode in sorted(_MODES.items())}


def canonical_mode(mode: str) -> str:
    """The canonical name of ``mode`` (aliases such as ``lco`` resolved).

    Raises
    ------
    ValueError
        For an unknown mode, listing the modes and aliases.
    """
    name = MODE_ALIASES.get(mode, mode)
    if name not in _MODES:
        raise ValueError(
            f"unknown split mode {mode!r}; choose from {sorted(_MODES)} or the aliases {sorted(MODE_ALIASES)}"
        )
    return name


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


def assign_groups(sizes: np.ndarray, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """Fold of each group: groups in random order, each to the fold with the fewest rows so far."""
    return _assign_groups(sizes, n_folds, rng)


def make_split(
    data: Dataset,
    *,
    mode: str,
    n_folds: int | None = 5,
    seed: int = 0,
    valid_fraction: float = 0.1,
) -> Split:
    """The split of ``data`` by ``mode`` (see the module docstring for every mode).

    Parameters
    ----------
    data
        The dataset to split.
    mode
        A canonical mode name or an alias (``lco``, ``ldo``, ``compound`` ...).
    n_folds
        Number of outer folds. ``None`` with ``mode="tissue"`` gives one fold per tissue
        (leave-one-lineage-out). Fixed holdouts (dose, time) have one fold and ignore it.
    seed
        Seeds the group permutation and the inner validation parts.
    valid_fraction
        Fraction of each fold's training groups held out as inner validation.

    Raises
    ------
    ValueError
        For an unknown mode, too few groups for ``n_folds``, or a bad fraction.

    Examples
    --------
    >>> from cellresponse.data.synthetic import make_response_dataset
    >>> ds = make_response_dataset(n_cell_lines=20, n_genes=5, n_drugs=4, random_state=0)
    >>> make_split(ds, mode="lco", n_folds=4).n_folds
    4
    """
    name = canonical_mode(mode)
    if not 0 <= valid_fraction < 1:
        raise ValueError(f"valid_fraction must be in [0, 1), got {valid_fraction}")
    spec = _MODES[name]
    if spec.holdout is not None:
        assignment = spec.holdout(data)
        return split_from_assignment(data, assignment, mode=name, seed=seed, valid_fraction=valid_fraction)
    rng = np.random.default_rng(seed)
    if spec.assign is not None:
        assignment = spec.assign(data, n_folds, rng)
        return split_from_assignment(data, assignment, mode=name, seed=seed, valid_fraction=valid_fraction)
    if spec.entity_wise:
        k = n_folds or 5
        cols = ["cell_line", data.perturbation_kind]
        frames = []
        for col in cols:
            ids = pd.unique(obs_keys(data, [col])[col])
            fold = _assign_groups(np.ones(len(ids)), k, rng)
            other = next(c for c in cols if c != col)
            frames.append(pd.DataFrame({col: ids, other: "", "fold": fold})[[*cols, "fold"]])
        assignment = pd.concat(frames, ignore_index=True)
        return split_from_assignment(data, assignment, mode=name, seed=seed, valid_fraction=valid_fraction)
    assert spec.keys is not None  # every non-holdout, non-entity-wise mode has keys
    codes, uniques = group_codes(normalize_keys(spec.keys(data)))
    sizes = np.bincount(codes, minlength=len(uniques))
    k = len(uniques) if n_folds is None else n_folds
    if k < 2:
        raise ValueError(f"n_folds must be >= 2, got {k}")
    assignment = uniques.assign(fold=_assign_groups(sizes, k, rng))
    return split_from_assignment(data, assignment, mode=name, seed=seed, valid_fraction=valid_fraction)


__all__ = [
    "MODE_ALIASES",
    "SplitMode",
    "assign_groups",
    "available_split_modes",
    "canonical_mode",
    "make_split",
    "register_split_mode",
    "split_mode_descriptions",
]
