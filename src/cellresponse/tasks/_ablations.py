"""Input ablations: each model is scored again on its test fold with one input shuffled.

An ablation gives every test observation a valid but wrong value of one input (another
compound, another dose and time), so a model that uses that input loses accuracy and a
model that ignores it does not. Registered by name; a task lists the ones it runs by
default.

The randomization tests of the response task (:data:`RANDOMIZATION_TESTS`, or the name
``randomization`` for all of them) permute one input *view* across entities: each cell
line gets another line's expression (mutation, copy number, tissue), each drug another
drug's structure, while its identity stays. :func:`permute_input` applies the same
permutation to a whole dataset, for the costlier training-time variant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from cellresponse.data import Dataset, FeatureView

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
    """``names`` if every one is registered (``randomization`` expands to
    :data:`RANDOMIZATION_TESTS`); else a ``ValueError`` listing the choices."""
    expanded: list[str] = []
    for name in names:
        for item in RANDOMIZATION_TESTS if name == "randomization" else (name,):
            if item not in expanded:
                expanded.append(item)
    unknown = [a for a in expanded if a not in ABLATIONS]
    if unknown:
        raise ValueError(f"unknown ablations {unknown}; choose from {sorted(ABLATIONS)} or 'randomization'")
    return expanded


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


#: inputs a randomization test can permute: cell views, the tissue annotation, drug structure
PERMUTABLE = ("expression", "mutation", "cnv", "tissue", "structure")
RANDOMIZATION_TESTS = tuple(f"permute_{what}" for what in PERMUTABLE)
STRUCTURE_VIEWS = ("morgan", "descriptors", "fingerprint")


def _derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A seeded permutation of ``range(n)`` with no fixed point (a rotated random order)."""
    if n < 2:
        raise ValueError(f"a permutation across entities needs at least two entities, got {n}")
    order = rng.permutation(n)
    out = np.empty(n, dtype=np.intp)
    out[order] = np.roll(order, -1)
    return out


def _permuted_view(view: FeatureView, perm: np.ndarray) -> FeatureView:
    """The same entity IDs, each with the feature row of another entity."""
    return FeatureView(view.name, view.ids, view.values[perm], view.feature_names, view.kind)


def permute_input(data: Dataset, what: str, *, rng: np.random.Generator) -> Dataset:
    """``data`` with one input permuted across entities (IDs, targets and other inputs kept).

    Parameters
    ----------
    data
        Any dataset (a test fold, or a whole dataset for the training-time test).
    what
        A cell view (``expression``, ``mutation``, ``cnv``, ...), ``tissue`` (the
        ``cell_meta`` annotation) or ``structure`` (every drug-structure view, one
        permutation of the drugs for all of them).
    rng
        Draws the permutation: a derangement, so no entity keeps its own row.

    Raises
    ------
    ValueError
        If the dataset lacks that input, or has fewer than two entities to permute.
    """
    if what == "tissue":
        if "tissue" not in data.cell_meta.columns:
            raise ValueError(f"dataset {data.name!r} has no tissue annotation to permute")
        meta = data.cell_meta.copy()
        meta["tissue"] = meta["tissue"].to_numpy()[_derangement(len(meta), rng)]
        return replace(data, cell_meta=meta)
    if what == "structure":
        names = [v for v in data.perturbation_views if v in STRUCTURE_VIEWS]
        if not names:
            raise ValueError(f"dataset {data.name!r} has no drug-structure view ({STRUCTURE_VIEWS}) to permute")
        views = dict(data.perturbation_views)
        ids = views[names[0]].ids
        # one permutation of the drugs shared by every structure view
        partner = dict(zip(ids, ids[_derangement(len(ids), rng)], strict=True))
        for name in names:
            view = views[name]
            rows = view.indexer([p if p in view else i for i, p in ((i, partner.get(i, i)) for i in view.ids)])
            views[name] = _permuted_view(view, rows)
        return data.with_views(perturbation_views=views)
    if what not in data.cell_views:
        raise ValueError(f"dataset {data.name!r} has no cell view {what!r} to permute; it has {list(data.cell_views)}")
    view = data.cell_view(what)
    return data.with_views(cell_views={**data.cell_views, what: _permuted_view(view, _derangement(len(view), rng))})


def _register_permutation(what: str) -> None:
    @register_ablation(f"permute_{what}")
    def _ablate(test: Dataset, *, data: Dataset, rng: np.random.Generator) -> Dataset:
        return permute_input(test, what, rng=rng)


for _what in PERMUTABLE:
    _register_permutation(_what)


__all__ = [
    "ABLATIONS",
    "PERMUTABLE",
    "RANDOMIZATION_TESTS",
    "Ablation",
    "check_ablations",
    "permute_input",
    "register_ablation",
    "shuffle_dose_time",
    "shuffle_drug",
]
