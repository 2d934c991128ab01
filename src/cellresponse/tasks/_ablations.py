"""Input ablations: each model is scored again on its test fold with one input shuffled.

An ablation gives every test observation a valid but wrong value of one input (another
compound, another dose and time), so a model that uses that input loses accuracy and a
model that ignores it does not. Registered by name; a task lists the ones it runs by
default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from cellresponse.data import Dataset

#: ablation(test, data=<whole dataset>, rng=...) -> the test fold with one input shuffled
Ablation = Callable[..., Dataset]
ABLATIONS: dict[str, Ablation] = {}


def register_ablation(name: str) -> Callable[[Ablation], Ablation]:
    """Decorator registering an ablation under ``name`` (a duplicate name is an error)."""

    def deco(fn: Ablation) -> Ablation:
        if name in ABLATIONS:
            raise ValueError(f"ablation {name!r} is already registered")
        ABLATIONS[name] = fn
        return fn

    return deco


def check_ablations(names: Sequence[str]) -> list[str]:
    """``names`` if every one is registered; else a ``ValueError`` listing the choices."""
    unknown = [a for a in names if a not in ABLATIONS]
    if unknown:
        raise ValueError(f"unknown ablations {unknown}; choose from {sorted(ABLATIONS)}")
    return list(names)


def shuffle_drug(data: Dataset, *, rng: np.random.Generator, pool: Sequence[str] | None = None) -> Dataset:
    """Give every observation a different, valid perturbation: a seeded derangement of the
    perturbations in ``pool`` (default: those of ``data``)."""
    comps = list(pool) if pool is not None else list(pd.unique(data.perturbations))
    if len(comps) < 2:
        raise ValueError("shuffle_drug needs at least two perturbations")
    perm = rng.permutation(len(comps))
    # Rotate the permuted order by one: a derangement, every perturbation maps elsewhere.
    mapping = {comps[perm[i]]: comps[perm[(i + 1) % len(comps)]] for i in range(len(comps))}
    obs = data.obs.copy()
    own = obs["perturbation"].to_numpy()
    obs["perturbation"] = np.array([mapping.get(c, comps[int(rng.integers(len(comps)))]) for c in own], dtype=object)
    return replace(data, obs=obs)


def shuffle_dose_time(data: Dataset, *, rng: np.random.Generator, pool: pd.DataFrame) -> Dataset:
    """Give every observation a (dose, time) pair drawn from ``pool`` (rows of the whole
    dataset), redrawn where it equals its own."""
    cols = [c for c in ("dose", "time") if c in data.obs.columns]
    if not cols:
        raise ValueError("shuffle_dose_time needs a dose or time column")
    values = pool[cols].drop_duplicates().to_numpy(float)
    if len(values) < 2:
        raise ValueError("shuffle_dose_time needs at least two distinct (dose, time) pairs")
    own = data.obs[cols].to_numpy(float)
    pick = rng.integers(len(values), size=len(own))
    for _ in range(10):
        same = (values[pick] == own).all(axis=1)
        if not same.any():
            break
        pick[same] = rng.integers(len(values), size=int(same.sum()))
    obs = data.obs.copy()
    obs[cols] = values[pick]
    return replace(data, obs=obs)


@register_ablation("shuffle_drug")
def _ablate_drug(test: Dataset, *, data: Dataset, rng: np.random.Generator) -> Dataset:
    pool = list(data.perturbation_view("morgan").ids) if "morgan" in data.perturbation_views else None
    return shuffle_drug(test, rng=rng, pool=pool)


@register_ablation("shuffle_dose_time")
def _ablate_dose_time(test: Dataset, *, data: Dataset, rng: np.random.Generator) -> Dataset:
    return shuffle_dose_time(test, rng=rng, pool=data.obs)


__all__ = ["ABLATIONS", "Ablation", "check_ablations", "register_ablation", "shuffle_dose_time", "shuffle_drug"]
