"""Compound-structure split modes: leave-scaffold-out and leave-cluster-out.

- ``compound_scaffold``: Bemis-Murcko scaffold of ``perturbation_meta["smiles"]``;
  compounds sharing a scaffold are always on the same side;
- ``compound_cluster``: Butina clusters (Tanimoto on the ``morgan`` view, distance
  cutoff 0.6); near-analogues are always on the same side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse._util import examples
from cellresponse.data import Dataset, FeatureView
from cellresponse.splits._modes import register_split_mode

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
        raise KeyError(f"{len(missing)} compounds have no SMILES in perturbation_meta: {examples(missing)}")
    scaf = murcko_scaffolds(meta.loc[compounds, "smiles"])
    return pd.DataFrame({"scaffold": scaf.reindex(ds.perturbations).to_numpy()})


def _cluster_keys(ds: Dataset) -> pd.DataFrame:
    view = ds.perturbation_view("morgan").subset(ids=list(pd.unique(ds.perturbations)))
    clusters = butina_clusters(view)
    return pd.DataFrame({"cluster": clusters.reindex(ds.perturbations).to_numpy()})


def _scaffold_column(ds: Dataset) -> np.ndarray:
    return _scaffold_keys(ds)["scaffold"].to_numpy()


def _cluster_column(ds: Dataset) -> np.ndarray:
    return _cluster_keys(ds)["cluster"].to_numpy()


register_split_mode(
    "compound_scaffold",
    _scaffold_keys,
    key_columns={"scaffold": _scaffold_column},
    description="Bemis-Murcko scaffolds of the compounds (needs SMILES)",
)
register_split_mode(
    "compound_cluster",
    _cluster_keys,
    key_columns={"cluster": _cluster_column},
    description="Butina clusters of the compounds' Morgan fingerprints",
)

__all__ = ["BUTINA_CUTOFF", "butina_clusters", "murcko_scaffolds"]
