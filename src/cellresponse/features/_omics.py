"""Per-entity featurizers fitted on training entities only.

A featurizer turns feature views into one compact matrix *per entity* (cell line or
drug). Models then gather rows by ID for each batch, so the dataset never becomes a
(pairs x features) matrix, and nothing is learned from test entities: gene selection,
imputation means, scaling and PCA all see training lines only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset, FeatureView


@dataclass
class EntityFeaturizer:
    """Select, impute, scale and optionally project the views of one entity type.

    Parameters
    ----------
    views
        View names to use, concatenated in this order.
    entity
        ``"cell_line"`` or ``"perturbation"``.
    n_top
        Keep the ``n_top`` highest-variance features of each view (None: all non-constant).
    n_components
        If set, project the scaled concatenation onto this many principal components.
    one_hot_tissue
        Append a one-hot tissue encoding (cell lines only; tissues seen in training).
    """

    views: Sequence[str]
    entity: str = "cell_line"
    n_top: int | None = None
    n_components: int | None = None
    one_hot_tissue: bool = False
    # learned state
    columns_: dict[str, np.ndarray] = field(default_factory=dict)
    mean_: dict[str, np.ndarray] = field(default_factory=dict)
    scale_: dict[str, np.ndarray] = field(default_factory=dict)
    tissues_: np.ndarray | None = None
    pca_mean_: np.ndarray | None = None
    pca_components_: np.ndarray | None = None

    def _view(self, data: Dataset, name: str) -> FeatureView:
        return data.cell_view(name) if self.entity == "cell_line" else data.perturbation_view(name)

    def _ids(self, data: Dataset) -> np.ndarray:
        keys = data.cell_lines if self.entity == "cell_line" else data.perturbations
        return pd.unique(keys)

    def fit(self, data: Dataset) -> EntityFeaturizer:
        """Learn selection/scaling (and PCA) on the entities of ``data`` (the training fold)."""
        ids = self._ids(data)
        blocks = []
        for name in self.views:
            view = self._view(data, name)
            x = view.lookup(ids).astype(np.float64)
            mean = np.nanmean(x, axis=0) if len(x) else np.zeros(x.shape[1])
            mean = np.where(np.isnan(mean), 0.0, mean)
            x = np.where(np.isnan(x), mean, x)
            var = x.var(axis=0)
            keep = np.flatnonzero(var > 1e-12)
            if self.n_top is not None and keep.size > self.n_top:
                keep = keep[np.argsort(-var[keep], kind="stable")[: self.n_top]]
                keep.sort()
            self.columns_[name] = view.feature_names[keep].to_numpy(dtype=str)
            self.mean_[name] = mean[keep]
            self.scale_[name] = np.sqrt(var[keep])
            blocks.append((x[:, keep] - self.mean_[name]) / self.scale_[name])
        if self.one_hot_tissue:
            if self.entity != "cell_line":
                raise ValueError("one_hot_tissue applies to cell-line featurizers only")
            tissue = data.cell_meta["tissue"].reindex(ids).fillna("unknown") if "tissue" in data.cell_meta else None
            self.tissues_ = (
                np.sort(pd.unique(np.asarray(tissue, dtype=str))) if tissue is not None else np.array([], dtype=str)
            )
        if self.n_components is not None:
            x = np.hstack(blocks) if blocks else np.zeros((len(ids), 0))
            k = min(self.n_components, x.shape[0] - 1, x.shape[1])
            if k < 1:
                raise ValueError(f"cannot fit {self.n_components} components on {x.shape[0]} x {x.shape[1]}")
            self.pca_mean_ = x.mean(axis=0)
            # Thin SVD of the (entities x features) block; entities are few (~1k lines).
            _, _, vt = np.linalg.svd(x - self.pca_mean_, full_matrices=False)
            self.pca_components_ = vt[:k]
        return self

    def transform(self, data: Dataset, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Feature matrix for entity ``ids`` (rows in the order given), float32."""
        x = self.standardized(data, ids)
        if self.pca_components_ is not None and self.pca_mean_ is not None:
            x = (x - self.pca_mean_) @ self.pca_components_.T
        return np.hstack([x, self.tissue_block(data, ids)]).astype(np.float32)

    def standardized(self, data: Dataset, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """The views' selected features of ``ids``, missing values filled with the training
        means and standardized (float64; before any projection and without tissue)."""
        blocks = []
        for name in self.views:
            view = self._view(data, name)
            cols = view.feature_names.get_indexer(self.columns_[name])
            if (cols < 0).any():
                missing = self.columns_[name][cols < 0][:5]
                raise KeyError(f"view {name!r} lacks features seen in training: {list(missing)}")
            x = view.values[view.indexer(ids)][:, cols].astype(np.float64)
            x = np.where(np.isnan(x), self.mean_[name], x)
            blocks.append((x - self.mean_[name]) / self.scale_[name])
        return np.hstack(blocks) if blocks else np.zeros((len(ids), 0))

    def tissue_block(self, data: Dataset, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """The tissue one-hot columns of ``ids`` (none unless ``one_hot_tissue``)."""
        if not (self.one_hot_tissue and self.tissues_ is not None):
            return np.zeros((len(ids), 0))
        tissue = data.cell_meta["tissue"].reindex(pd.Index(ids)).fillna("unknown").to_numpy(dtype=str)
        return (tissue[:, None] == self.tissues_[None, :]).astype(np.float64)

    @property
    def n_output(self) -> int:
        n = (
            self.pca_components_.shape[0]
            if self.pca_components_ is not None
            else sum(len(c) for c in self.columns_.values())
        )
        return n + (len(self.tissues_) if self.one_hot_tissue and self.tissues_ is not None else 0)

    # ------------------------------------------------------------- persistence
    def get_state(self, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta: dict[str, Any] = {
            "views": list(self.views),
            "entity": self.entity,
            "n_top": self.n_top,
            "n_components": self.n_components,
            "one_hot_tissue": self.one_hot_tissue,
            "columns": {k: v.tolist() for k, v in self.columns_.items()},
            "tissues": None if self.tissues_ is None else self.tissues_.tolist(),
        }
        arrays = {f"{prefix}.mean.{k}": v for k, v in self.mean_.items()}
        arrays |= {f"{prefix}.scale.{k}": v for k, v in self.scale_.items()}
        if self.pca_components_ is not None and self.pca_mean_ is not None:
            arrays[f"{prefix}.pca_mean"] = self.pca_mean_
            arrays[f"{prefix}.pca_components"] = self.pca_components_
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str) -> EntityFeaturizer:
        f = cls(
            meta["views"],
            meta["entity"],
            meta["n_top"],
            meta["n_components"],
            meta["one_hot_tissue"],
        )
        f.columns_ = {k: np.asarray(v, dtype=str) for k, v in meta["columns"].items()}
        f.mean_ = {k: arrays[f"{prefix}.mean.{k}"] for k in f.columns_}
        f.scale_ = {k: arrays[f"{prefix}.scale.{k}"] for k in f.columns_}
        f.tissues_ = None if meta["tissues"] is None else np.asarray(meta["tissues"], dtype=str)
        f.pca_mean_ = arrays.get(f"{prefix}.pca_mean")
        f.pca_components_ = arrays.get(f"{prefix}.pca_components")
        return f


__all__ = ["EntityFeaturizer"]
