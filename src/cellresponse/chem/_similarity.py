"""Structural similarity of compounds: Tanimoto, Bemis-Murcko scaffolds, Butina clusters.

These group near-analogues so that a split can keep them on one side (scaffold and
cluster splits) and so that a new compound's novelty can be measured against training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse.chem._fingerprints import _quiet_rdkit
from cellresponse.data import FeatureView

#: Tanimoto distance below which two compounds are Butina neighbours.
BUTINA_CUTOFF = 0.6


def tanimoto_similarity(bits: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """Pairwise Tanimoto similarity of binary fingerprints.

    Parameters
    ----------
    bits
        ``(n, n_bits)`` fingerprints; any value > 0 counts as a set bit.
    other
        ``(m, n_bits)`` fingerprints to compare against (default: ``bits`` itself).

    Returns
    -------
    numpy.ndarray
        ``(n, m)`` float32 similarities in [0, 1]; two empty fingerprints score 0.

    Raises
    ------
    ValueError
        If the two inputs have different numbers of bits.

    Examples
    --------
    >>> tanimoto_similarity(np.array([[1, 1, 0], [1, 0, 0]])).round(2).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    a = (np.asarray(bits) > 0).astype(np.float32)
    b = a if other is None else (np.asarray(other) > 0).astype(np.float32)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"fingerprints must be 2-D with equal bit counts, got shapes {a.shape} and {b.shape}")
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
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

    Raises
    ------
    ValueError
        If ``cutoff`` is not in (0, 1).
    """
    if not 0 < cutoff < 1:
        raise ValueError(f"cutoff must be in (0, 1), got {cutoff}")
    dist = 1.0 - tanimoto_similarity(view.values)
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

    Examples
    --------
    >>> murcko_scaffolds(pd.Series({"toluene": "Cc1ccccc1", "ethanol": "CCO"})).tolist()
    ['c1ccccc1', 'acyclic']
    """
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    out = {}
    with _quiet_rdkit():
        for cid, smi in smiles.items():
            mol = Chem.MolFromSmiles(str(smi)) if isinstance(smi, str) else None
            if mol is None:
                raise ValueError(f"compound {cid!r} has an invalid or missing SMILES: {smi!r}")
            out[cid] = MurckoScaffold.MurckoScaffoldSmiles(mol=mol) or "acyclic"
    return pd.Series(out, name="scaffold")


__all__ = ["BUTINA_CUTOFF", "butina_clusters", "murcko_scaffolds", "tanimoto_similarity"]
