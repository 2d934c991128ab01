"""Feature views: one matrix per entity type (cell lines x genes, drugs x bits, ...).

A view is stored once per entity and joined to observations by ID at batch time, so a
(pairs x features) matrix is never written to memory for the whole dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from cellresponse._types import IndexArray
from cellresponse._util import examples

ViewKind = Literal["continuous", "binary", "discrete", "categorical"]


@dataclass(frozen=True, eq=False)
class FeatureView:
    """A dense matrix of features for a set of entities.

    Parameters
    ----------
    name
        View name, e.g. ``"expression"``, ``"mutation"``, ``"morgan"``.
    ids
        Unique entity IDs (canonical cell-line or perturbation IDs), one per row.
    values
        ``(len(ids), n_features)`` float32 matrix. NaN marks a missing value.
    feature_names
        Column names (genes, bit indices, descriptor names).
    kind
        What the values are; models use it to choose a preprocessing.
    """

    name: str
    ids: pd.Index
    values: np.ndarray
    feature_names: pd.Index
    kind: ViewKind = "continuous"
    _pos: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = pd.Index(self.ids).astype(str)
        feats = pd.Index(self.feature_names).astype(str)
        values = np.ascontiguousarray(self.values, dtype=np.float32)
        if values.ndim != 2:
            raise ValueError(f"view {self.name!r}: values must be 2-D, got shape {values.shape}")
        if values.shape != (len(ids), len(feats)):
            raise ValueError(
                f"view {self.name!r}: values have shape {values.shape} but there are "
                f"{len(ids)} ids and {len(feats)} feature names"
            )
        if ids.has_duplicates:
            dup = ids[ids.duplicated()].unique()
            raise ValueError(f"view {self.name!r}: {len(dup)} duplicated entity IDs: {examples(dup)}")
        if feats.has_duplicates:
            dup = feats[feats.duplicated()].unique()
            raise ValueError(f"view {self.name!r}: {len(dup)} duplicated feature names: {examples(dup)}")
        values.setflags(write=False)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "feature_names", feats)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "_pos", {k: i for i, k in enumerate(ids)})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, name: str, kind: ViewKind = "continuous") -> FeatureView:
        """Build a view from a DataFrame indexed by entity ID with one column per feature."""
        non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if non_numeric:
            raise TypeError(f"view {name!r}: columns must be numeric; non-numeric: {examples(non_numeric)}")
        return cls(name, frame.index, frame.to_numpy(np.float32), frame.columns, kind)

    @property
    def n_features(self) -> int:
        return int(self.values.shape[1])

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, entity: object) -> bool:
        return str(entity) in self._pos

    def indexer(self, ids: Sequence[str] | np.ndarray | pd.Index) -> IndexArray:
        """Row positions of ``ids``; raises ``KeyError`` listing every unknown ID."""
        pos = pd.Index(ids).astype(str).map(self._pos.get)
        missing_mask = pd.isna(pos)
        if missing_mask.any():
            missing = pd.unique(np.asarray(ids, dtype=object)[np.asarray(missing_mask)])
            raise KeyError(f"view {self.name!r} has no row for {len(missing)} IDs: {examples(missing)}")
        return np.asarray(pos, dtype=np.intp)

    def lookup(self, ids: Sequence[str] | np.ndarray | pd.Index) -> np.ndarray:
        """Feature rows for ``ids`` (a new array; one row per requested ID)."""
        return self.values[self.indexer(ids)]

    def subset(self, *, ids: Sequence[str] | None = None, features: Sequence[str] | None = None) -> FeatureView:
        """A new view restricted to some entities and/or features."""
        rows = self.indexer(ids) if ids is not None else slice(None)
        if features is not None:
            cols = self.feature_names.get_indexer(pd.Index(features).astype(str))
            if (cols < 0).any():
                bad = np.asarray(features)[cols < 0]
                raise KeyError(f"view {self.name!r} has no feature {examples(bad)}")
        else:
            cols = slice(None)
        values = self.values[rows][:, cols]
        new_ids = self.ids[rows] if ids is not None else self.ids
        new_feats = self.feature_names[cols] if features is not None else self.feature_names
        return FeatureView(self.name, new_ids, values, new_feats, self.kind)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.values, index=self.ids, columns=self.feature_names)


__all__ = ["FeatureView", "ViewKind"]
