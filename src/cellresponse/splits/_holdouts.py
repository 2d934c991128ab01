"""Fixed holdouts of doses and time points (one outer fold each).

- ``dose_interpolation``: of each compound's sorted doses d1 < ... < dn (n >= 3) at a
  time point, the interior doses at even positions (d2, d4, ... but never dn) are tested,
  so every held-out dose has trained doses on both sides;
- ``dose_extrapolation``: each compound's highest dose (n >= 2) at each time point;
- ``time``: every observation at the held-out time points (default: the latest).

The assignment keys are (compound, dose, time) and (compound, time): fold 0 is tested,
fold -1 always trains; the inner validation part holds out whole keys of the training
part. Compounds with too few doses stay in training and are counted in ``notes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.splits._assign import split_from_assignment
from cellresponse.splits._modes import register_split_mode
from cellresponse.splits._split import TRAIN_ONLY, Split

DoseKind = Literal["interpolation", "extrapolation"]


def _assignment(data: Dataset, test: np.ndarray, columns: list[str], *, mode: str) -> pd.DataFrame:
    if not test.any():
        raise ValueError(f"{mode}: no observation of dataset {data.name!r} is held out")
    if test.all():
        raise ValueError(f"{mode}: every observation would be held out; nothing left to train on")
    keys = data.obs[columns].rename(columns={"perturbation": data.perturbation_kind})
    table = keys.assign(fold=np.where(test, 0, TRAIN_ONLY)).drop_duplicates().reset_index(drop=True)
    clash = table.duplicated(subset=list(keys.columns), keep=False)
    if clash.any():  # a key both tested and trained: the holdout rule is not a function of the keys
        raise ValueError(
            f"{mode}: keys {table.loc[clash, list(keys.columns)].head(3).to_dict('records')} "
            "would be both tested and trained"
        )
    return table


def dose_holdout_assignment(data: Dataset, *, kind: DoseKind = "interpolation") -> pd.DataFrame:
    """Assignment table of a dose holdout (see the module docstring).

    Raises
    ------
    ValueError
        If the dataset has no ``dose`` column, ``kind`` is unknown, or nothing is held out.
    """
    if "dose" not in data.obs.columns:
        raise ValueError(f"dataset {data.name!r} has no dose column; dose holdouts need doses")
    if kind not in ("interpolation", "extrapolation"):
        raise ValueError(f"kind must be 'interpolation' or 'extrapolation', got {kind!r}")
    obs = data.obs
    time_cols = ["time"] if "time" in obs.columns else []
    group = [obs["perturbation"], *(obs[c] for c in time_cols)]
    rank = obs.groupby(group)["dose"].rank(method="dense").to_numpy()
    n_doses = obs.groupby(group)["dose"].transform("nunique").to_numpy()
    if kind == "interpolation":
        test = (n_doses >= 3) & (rank % 2 == 0) & (rank < n_doses)
    else:
        test = (n_doses >= 2) & (rank == n_doses)
    return _assignment(data, test, ["perturbation", "dose", *time_cols], mode=f"dose_{kind}")


def dose_holdout_split(
    data: Dataset, *, kind: DoseKind = "interpolation", valid_fraction: float = 0.1, seed: int = 0
) -> Split:
    """The dose holdout of ``data`` as a one-fold :class:`Split` (also ``make_split(mode="dose_<kind>")``)."""
    table = dose_holdout_assignment(data, kind=kind)
    obs = data.obs
    min_doses = 3 if kind == "interpolation" else 2
    n_doses = obs.groupby("perturbation")["dose"].transform("nunique")
    notes = {"compounds_too_few_doses": int(obs.loc[n_doses < min_doses, "perturbation"].nunique())}
    return split_from_assignment(
        data, table, mode=f"dose_{kind}", seed=seed, valid_fraction=valid_fraction, notes=notes
    )


def time_holdout_assignment(data: Dataset, *, times: Sequence[float] | None = None) -> pd.DataFrame:
    """Assignment table of a time holdout: ``times`` (default: the latest) are tested.

    Raises
    ------
    ValueError
        If the dataset has no ``time`` column, a single time point, or unknown times.
    """
    if "time" not in data.obs.columns:
        raise ValueError(f"dataset {data.name!r} has no time column; the time holdout needs time points")
    present = np.unique(data.obs["time"].to_numpy(float))
    if len(present) < 2:
        raise ValueError(f"dataset {data.name!r} has one time point ({present.tolist()}); nothing to hold out")
    held = [float(present.max())] if times is None else [float(t) for t in times]
    unknown = [t for t in held if t not in present]
    if unknown:
        raise ValueError(f"times {unknown} are not in dataset {data.name!r}; present: {present.tolist()}")
    test = data.obs["time"].isin(held).to_numpy()
    return _assignment(data, test, ["perturbation", "time"], mode="time")


def time_holdout_split(
    data: Dataset, *, times: Sequence[float] | None = None, valid_fraction: float = 0.1, seed: int = 0
) -> Split:
    """The time holdout of ``data`` as a one-fold :class:`Split` (also ``make_split(mode="time")``)."""
    table = time_holdout_assignment(data, times=times)
    held = sorted({float(t) for t in table.loc[table["fold"] == 0, "time"]})
    return split_from_assignment(
        data, table, mode="time", seed=seed, valid_fraction=valid_fraction, notes={"held_out_times": held}
    )


def _interpolation(data: Dataset) -> pd.DataFrame:
    return dose_holdout_assignment(data, kind="interpolation")


def _extrapolation(data: Dataset) -> pd.DataFrame:
    return dose_holdout_assignment(data, kind="extrapolation")


register_split_mode("dose_interpolation", holdout=_interpolation, description="interior doses held out, one fold")
register_split_mode("dose_extrapolation", holdout=_extrapolation, description="highest doses held out, one fold")
register_split_mode("time", holdout=time_holdout_assignment, description="the latest time point, one fixed fold")

__all__ = [
    "dose_holdout_assignment",
    "dose_holdout_split",
    "time_holdout_assignment",
    "time_holdout_split",
]
