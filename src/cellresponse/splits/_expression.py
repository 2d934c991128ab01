"""Splits for the expression task: unseen compound (random, scaffold, cluster), unseen cell
line, held-out dose (interpolation / extrapolation) and held-out time.

Registered grouping modes (usable with :func:`make_split`):

- ``compound_scaffold``: Bemis-Murcko scaffold of ``perturbation_meta["smiles"]``;
  compounds sharing a scaffold are always on the same side;
- ``compound_cluster``: Butina clusters (Tanimoto on the ``morgan`` view, distance
  cutoff 0.6); near-analogues are always on the same side.

Fixed holdouts (one fold each) are built by :func:`dose_holdout_split` and
:func:`time_holdout_split`; :func:`make_expression_split` dispatches every mode by name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from cellresponse.data import Dataset, FeatureView
from cellresponse.data._views import _examples
from cellresponse.splits._split import Fold, Split, make_split, register_split_mode

BUTINA_CUTOFF = 0.6


def _tanimoto(bits: np.ndarray) -> np.ndarray:
    b = (bits > 0).astype(np.float32)
    inter = b @ b.T
    cnt = b.sum(1)
    union = cnt[:, None] + cnt[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def butina_clusters(view: FeatureView, *, cutoff: float = BUTINA_CUTOFF) -> pd.Series:
    """Butina clustering of compounds on Tanimoto distance of their fingerprints.

    Parameters
    ----------
    view
        Binary fingerprint view (compounds x bits).
    cutoff
        Distance (1 - Tanimoto) below which two compounds are neighbours.

    Returns
    -------
    pandas.Series
        Cluster label (``"C0"``, ``"C1"``, ...) per compound ID.
    """
    if not 0 < cutoff < 1:
        raise ValueError(f"cutoff must be in (0, 1), got {cutoff}")
    dist = 1.0 - _tanimoto(view.values)
    neigh = dist <= cutoff
    unassigned = np.ones(len(view), dtype=bool)
    labels = np.full(len(view), -1)
    counts = neigh.sum(1)
    k = 0
    # Butina: repeatedly take the compound with most unassigned neighbours as a centroid.
    for centre in np.argsort(-counts, kind="stable"):
        if not unassigned[centre]:
            continue
        members = neigh[centre] & unassigned
        labels[members] = k
        unassigned &= ~members
        k += 1
    return pd.Series([f"C{c}" for c in labels], index=view.ids, name="cluster")


def murcko_scaffolds(smiles: pd.Series) -> pd.Series:
    """Bemis-Murcko scaffold SMILES per compound (``"acyclic"`` for ring-free molecules).

    Raises
    ------
    ValueError
        If a SMILES cannot be parsed (names the compound).
    """
    from rdkit import (
        Chem,
        RDLogger,  # type: ignore[attr-defined]
    )
    from rdkit.Chem.Scaffolds import MurckoScaffold

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    try:
        out = {}
        for cid, smi in smiles.items():
            mol = Chem.MolFromSmiles(str(smi)) if isinstance(smi, str) else None
            if mol is None:
                raise ValueError(f"compound {cid!r} has an invalid or missing SMILES: {smi!r}")
            scaf = MurckoScaffold.MurckoScaffoldSmiles(mol=mol)
            out[cid] = scaf or "acyclic"
    finally:
        RDLogger.EnableLog("rdApp.*")  # type: ignore[attr-defined]
    return pd.Series(out, name="scaffold")


def _scaffold_keys(ds: Dataset) -> pd.DataFrame:
    meta = ds.perturbation_meta
    if "smiles" not in meta.columns:
        raise ValueError(f"dataset {ds.name!r} has no perturbation_meta['smiles']; scaffold split needs SMILES")
    compounds = pd.unique(ds.perturbations)
    missing = [c for c in compounds if c not in meta.index]
    if missing:
        raise KeyError(f"{len(missing)} compounds have no SMILES in perturbation_meta: {_examples(missing)}")
    scaf = murcko_scaffolds(meta.loc[compounds, "smiles"])
    return pd.DataFrame({"scaffold": scaf.reindex(ds.perturbations).to_numpy()})


def _cluster_keys(ds: Dataset) -> pd.DataFrame:
    view = ds.perturbation_view("morgan").subset(ids=list(pd.unique(ds.perturbations)))
    clusters = butina_clusters(view)
    return pd.DataFrame({"cluster": clusters.reindex(ds.perturbations).to_numpy()})


for _name, _fn in (("compound_scaffold", _scaffold_keys), ("compound_cluster", _cluster_keys)):
    with contextlib.suppress(ValueError):  # already registered (module reloaded)
        register_split_mode(_name, _fn)


def _fixed_split(
    data: Dataset,
    test_mask: np.ndarray,
    *,
    mode: str,
    keys: pd.DataFrame,
    valid_fraction: float,
    seed: int,
    notes: Mapping[str, object],
) -> Split:
    if not test_mask.any():
        raise ValueError(f"{mode}: no observation is held out")
    if test_mask.all():
        raise ValueError(f"{mode}: every observation would be held out; nothing left to train on")
    rng = np.random.default_rng(seed)
    train_all = np.flatnonzero(~test_mask)
    # Inner validation: whole (compound, dose, time) groups of the training part.
    codes = pd.factorize(pd.MultiIndex.from_frame(keys.iloc[train_all].astype(str)))[0]
    n_groups = codes.max() + 1
    n_valid = round(valid_fraction * n_groups)
    vgroups = rng.choice(n_groups, size=n_valid, replace=False) if n_valid else np.array([], int)
    is_valid = np.isin(codes, vgroups)
    fold = Fold(0, train_all[~is_valid], train_all[is_valid], np.flatnonzero(test_mask))
    assignment = keys.assign(fold=np.where(test_mask, 0, -1)).drop_duplicates().reset_index(drop=True)
    return Split(mode, (fold,), assignment, seed, valid_fraction, data.fingerprint(), dict(notes))


def dose_holdout_split(
    data: Dataset,
    *,
    kind: Literal["interpolation", "extrapolation"] = "interpolation",
    valid_fraction: float = 0.1,
    seed: int = 0,
) -> Split:
    """Hold out doses, per compound (and time).

    ``interpolation``: of each compound's sorted doses d1 < ... < dn (n >= 3), the
    interior doses at even positions (d2, d4, ... but never dn) are tested, so every
    held-out dose has trained doses on both sides. ``extrapolation``: the highest dose
    of each compound (n >= 2) is tested. Compounds with too few doses stay in training
    (counted in ``notes``).

    Raises
    ------
    ValueError
        If the dataset has no ``dose`` column or nothing can be held out.
    """
    if "dose" not in data.obs.columns:
        raise ValueError(f"dataset {data.name!r} has no dose column")
    if kind not in ("interpolation", "extrapolation"):
        raise ValueError(f"kind must be 'interpolation' or 'extrapolation', got {kind!r}")
    obs = data.obs
    group = [obs["perturbation"]] + ([obs["time"]] if "time" in obs.columns else [])
    rank = obs.groupby(group)["dose"].rank(method="dense").to_numpy()
    n_doses = obs.groupby(group)["dose"].transform("nunique").to_numpy()
    if kind == "interpolation":
        test = (n_doses >= 3) & (rank % 2 == 0) & (rank < n_doses)
    else:
        test = (n_doses >= 2) & (rank == n_doses)
    keys = obs[["perturbation", "dose"]].rename(columns={"perturbation": data.perturbation_kind})
    notes = {
        "kind": kind,
        "compounds_too_few_doses": int(
            obs.loc[n_doses < (3 if kind == "interpolation" else 2), "perturbation"].nunique()
        ),
    }
    return _fixed_split(
        data,
        test,
        mode=f"dose_{kind}",
        keys=keys,
        valid_fraction=valid_fraction,
        seed=seed,
        notes=notes,
    )


def time_holdout_split(
    data: Dataset,
    *,
    times: list[float] | None = None,
    valid_fraction: float = 0.1,
    seed: int = 0,
) -> Split:
    """Hold out every observation at ``times`` (default: the latest time point).

    Raises
    ------
    ValueError
        If the dataset has no ``time`` column, a single time point, or unknown times.
    """
    if "time" not in data.obs.columns:
        raise ValueError(f"dataset {data.name!r} has no time column")
    present = np.unique(data.obs["time"].to_numpy(float))
    if len(present) < 2:
        raise ValueError(f"dataset {data.name!r} has one time point ({present.tolist()}); nothing to hold out")
    held = [float(present.max())] if times is None else [float(t) for t in times]
    unknown = [t for t in held if t not in present]
    if unknown:
        raise ValueError(f"times {unknown} are not in the dataset; present: {present.tolist()}")
    test = data.obs["time"].isin(held).to_numpy()
    keys = data.obs[["perturbation", "time"]].rename(columns={"perturbation": data.perturbation_kind})
    return _fixed_split(
        data,
        test,
        mode="time",
        keys=keys,
        valid_fraction=valid_fraction,
        seed=seed,
        notes={"held_out_times": held},
    )


EXPRESSION_SPLIT_MODES = (
    "compound",
    "compound_scaffold",
    "compound_cluster",
    "cell_line",
    "dose_interpolation",
    "dose_extrapolation",
    "time",
)


def make_expression_split(
    data: Dataset, *, mode: str, n_folds: int = 5, seed: int = 0, valid_fraction: float = 0.1
) -> Split:
    """Any expression split by name (see ``EXPRESSION_SPLIT_MODES``).

    ``compound`` is random leave-compound-out (K folds over compounds); the scaffold and
    cluster modes group compounds first; ``cell_line`` is leave-cell-line-out; the dose
    and time modes are single fixed holdouts.
    """
    if mode == "dose_interpolation":
        return dose_holdout_split(data, kind="interpolation", valid_fraction=valid_fraction, seed=seed)
    if mode == "dose_extrapolation":
        return dose_holdout_split(data, kind="extrapolation", valid_fraction=valid_fraction, seed=seed)
    if mode == "time":
        return time_holdout_split(data, valid_fraction=valid_fraction, seed=seed)
    if mode not in EXPRESSION_SPLIT_MODES:
        raise ValueError(f"unknown expression split mode {mode!r}; choose from {EXPRESSION_SPLIT_MODES}")
    base = "perturbation" if mode == "compound" else mode
    return make_split(data, mode=base, n_folds=n_folds, seed=seed, valid_fraction=valid_fraction)


__all__ = [
    "EXPRESSION_SPLIT_MODES",
    "butina_clusters",
    "dose_holdout_split",
    "make_expression_split",
    "murcko_scaffolds",
    "time_holdout_split",
]
