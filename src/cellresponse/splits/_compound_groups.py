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
from cellresponse.chem import butina_clusters, murcko_scaffolds
from cellresponse.data import Dataset
from cellresponse.splits._modes import register_split_mode


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

__all__: list[str] = []
