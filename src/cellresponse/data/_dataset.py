"""The Dataset: a long table of observations plus per-entity feature views.

One object serves all three tasks:

- response: (cell line, drug) -> scalar (LN_IC50, AUC)
- expression: (cell line, compound, dose, time) -> vector over landmark genes
- dependency: (cell line, gene) -> scalar gene effect or dependency class

Observations carry only IDs (and dose/time); features live in views keyed by entity ID
and are looked up per batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PerturbationKind, Task
from cellresponse._util import examples
from cellresponse.data._views import FeatureView

OBS_KEYS = ("cell_line", "perturbation")
OPTIONAL_OBS = ("dose", "time")
#: the built-in tasks; a registered task (:mod:`cellresponse.tasks`) may add another name
TASKS = ("response", "expression", "dependency")


def _freeze(mapping: Mapping[str, FeatureView] | None) -> Mapping[str, FeatureView]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, eq=False)
class Dataset:
    """Observations keyed by entity IDs, with targets and feature views.

    Parameters
    ----------
    obs
        One row per observation with string columns ``cell_line`` and ``perturbation``
        and optional float columns ``dose`` (µM) and ``time`` (hours). Extra columns
        (e.g. ``sig_id``) are kept.
    y
        Targets: shape ``(n,)`` for a scalar target or ``(n, n_targets)`` for a vector
        target (an expression signature).
    target
        Name of the target, e.g. ``"ln_ic50"``, ``"auc"``, ``"gene_effect"``.
    task
        ``"response"``, ``"expression"`` or ``"dependency"``.
    perturbation_kind
        ``"drug"``, ``"compound"`` or ``"gene"``; names the perturbation in reports.
    cell_views, perturbation_views
        Feature views keyed by view name; rows are entity IDs.
    cell_meta
        Per-cell-line annotations indexed by cell-line ID (at least ``tissue`` if known).
    perturbation_meta
        Per-perturbation annotations (``name``, ``smiles``, ``target`` ...).
    target_names
        For vector targets, the name of each column of ``y`` (gene symbols).
    name
        Dataset name used in reports (``"gdsc2"``).
    info
        JSON-serialisable provenance: source files, harmonization report, filters.
    """

    obs: pd.DataFrame
    y: np.ndarray
    target: str
    task: Task = "response"
    perturbation_kind: PerturbationKind = "drug"
    cell_views: Mapping[str, FeatureView] = field(default_factory=dict)
    perturbation_views: Mapping[str, FeatureView] = field(default_factory=dict)
    cell_meta: pd.DataFrame = field(default_factory=pd.DataFrame)
    perturbation_meta: pd.DataFrame = field(default_factory=pd.DataFrame)
    target_names: tuple[str, ...] | None = None
    name: str = "dataset"
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.task, str) or not self.task.strip():
            raise ValueError(f"task must be a task name such as {TASKS}, got {self.task!r}")
        missing = [c for c in OBS_KEYS if c not in self.obs.columns]
        if missing:
            raise ValueError(f"obs is missing required columns {missing}; has {list(self.obs.columns)}")
        obs = self.obs.reset_index(drop=True).copy()
        for col in OBS_KEYS:
            if obs[col].isna().any():
                rows = np.flatnonzero(obs[col].isna().to_numpy())
                raise ValueError(f"obs column {col!r} has missing IDs at rows {examples(rows)}")
            obs[col] = obs[col].astype(str)
        for col in OPTIONAL_OBS:
            if col in obs.columns:
                obs[col] = pd.to_numeric(obs[col], errors="raise").astype(float)
        y = np.asarray(self.y, dtype=np.float32)
        if y.ndim not in (1, 2) or y.shape[0] != len(obs):
            raise ValueError(f"y has shape {y.shape}; expected ({len(obs)},) or ({len(obs)}, n_targets)")
        if y.ndim == 2:
            names = self.target_names
            if names is None or len(names) != y.shape[1]:
                raise ValueError(
                    f"vector target has {y.shape[1]} columns but target_names has "
                    f"{None if names is None else len(names)} entries"
                )
        nan_rows = np.flatnonzero(~np.isfinite(y).reshape(len(y), -1).all(axis=1))
        if len(nan_rows):
            raise ValueError(
                f"target {self.target!r} has {len(nan_rows)} non-finite values at rows "
                f"{examples(nan_rows)} (drop or impute them when loading)"
            )
        y.setflags(write=False)
        cell_meta = self.cell_meta.copy()
        cell_meta.index = pd.Index(cell_meta.index).astype(str)
        pert_meta = self.perturbation_meta.copy()
        pert_meta.index = pd.Index(pert_meta.index).astype(str)
        object.__setattr__(self, "obs", obs)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "cell_meta", cell_meta)
        object.__setattr__(self, "perturbation_meta", pert_meta)
        object.__setattr__(self, "cell_views", _freeze(self.cell_views))
        object.__setattr__(self, "perturbation_views", _freeze(self.perturbation_views))
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))
        if self.target_names is not None:
            object.__setattr__(self, "target_names", tuple(map(str, self.target_names)))

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.obs)

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.y.shape))
        return (
            f"Dataset({self.name!r}, task={self.task!r}, target={self.target!r}, y={shape}, "
            f"cell_lines={self.obs['cell_line'].nunique()}, "
            f"{self.perturbation_kind}s={self.obs['perturbation'].nunique()}, "
            f"cell_views={list(self.cell_views)}, perturbation_views={list(self.perturbation_views)})"
        )

    @property
    def cell_lines(self) -> np.ndarray:
        """Cell-line ID of every observation."""
        return self.obs["cell_line"].to_numpy()

    @property
    def perturbations(self) -> np.ndarray:
        """Perturbation (drug / compound / gene) ID of every observation."""
        return self.obs["perturbation"].to_numpy()

    @property
    def tissues(self) -> np.ndarray:
        """Tissue of every observation's cell line (``"unknown"`` where not annotated)."""
        if "tissue" not in self.cell_meta.columns:
            return np.full(len(self), "unknown", dtype=object)
        tissue = self.cell_meta["tissue"].reindex(self.obs["cell_line"]).fillna("unknown")
        return tissue.to_numpy(dtype=object)

    @property
    def is_vector_target(self) -> bool:
        return self.y.ndim == 2

    def group_keys(self, by: str) -> np.ndarray:
        """Key per observation for ``by`` in {cell_line, perturbation, drug, gene, tissue, dose, time}."""
        if by in ("perturbation", self.perturbation_kind, "drug", "gene", "compound"):
            return self.perturbations
        if by == "cell_line":
            return self.cell_lines
        if by == "tissue":
            return self.tissues
        if by in self.obs.columns:
            return self.obs[by].to_numpy()
        raise KeyError(f"unknown grouping {by!r}; use cell_line, perturbation, tissue, dose or time")

    # -------------------------------------------------------------- subsetting
    def subset(self, index: Sequence[int] | np.ndarray) -> Dataset:
        """A new Dataset with the observations at ``index`` (positions or a bool mask).

        Feature views and metadata are shared, not copied: they are read-only.
        """
        idx = np.asarray(index)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise ValueError(f"boolean mask has shape {idx.shape}; expected ({len(self)},)")
            idx = np.flatnonzero(idx)
        return replace(self, obs=self.obs.iloc[idx], y=self.y[idx])

    def __getitem__(self, index: Sequence[int] | np.ndarray) -> Dataset:
        return self.subset(index)

    def with_views(
        self,
        *,
        cell_views: Mapping[str, FeatureView] | None = None,
        perturbation_views: Mapping[str, FeatureView] | None = None,
    ) -> Dataset:
        """A new Dataset whose views are replaced (views not given are kept)."""
        return replace(
            self,
            cell_views=dict(self.cell_views if cell_views is None else cell_views),
            perturbation_views=dict(self.perturbation_views if perturbation_views is None else perturbation_views),
        )

    def restrict_to_views(self, *, cell: Sequence[str] = (), perturbation: Sequence[str] = ()) -> Dataset:
        """Keep only observations whose entities have a row in every named view.

        Returns the filtered dataset; ``info['view_filter']`` records how many rows were
        dropped per view so the reduction is reported, not silent.
        """
        keep = np.ones(len(self), dtype=bool)
        dropped: dict[str, int] = {}
        for view_name in cell:
            view = self.cell_view(view_name)
            has = self.obs["cell_line"].isin(view.ids).to_numpy()
            dropped[f"cell:{view_name}"] = int((keep & ~has).sum())
            keep &= has
        for view_name in perturbation:
            view = self.perturbation_view(view_name)
            has = self.obs["perturbation"].isin(view.ids).to_numpy()
            dropped[f"perturbation:{view_name}"] = int((keep & ~has).sum())
            keep &= has
        out = self.subset(keep)
        info = dict(out.info)
        info["view_filter"] = {"kept": int(keep.sum()), "dropped_by_view": dropped}
        return replace(out, info=info)

    # ------------------------------------------------------------ feature access
    def cell_view(self, name: str) -> FeatureView:
        try:
            return self.cell_views[name]
        except KeyError:
            raise KeyError(
                f"dataset {self.name!r} has no cell-line view {name!r}; has {list(self.cell_views)}"
            ) from None

    def perturbation_view(self, name: str) -> FeatureView:
        try:
            return self.perturbation_views[name]
        except KeyError:
            raise KeyError(
                f"dataset {self.name!r} has no {self.perturbation_kind} view {name!r}; "
                f"has {list(self.perturbation_views)}"
            ) from None

    def cell_features(self, view: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Features of ``view`` for the cell line of each observation (or of ``rows``)."""
        ids = self.cell_lines if rows is None else self.cell_lines[rows]
        return self.cell_view(view).lookup(ids)

    def perturbation_features(self, view: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Features of ``view`` for the perturbation of each observation (or of ``rows``)."""
        ids = self.perturbations if rows is None else self.perturbations[rows]
        return self.perturbation_view(view).lookup(ids)

    # --------------------------------------------------------------- identity
    def fingerprint(self) -> str:
        """Content hash of observations and targets (not views); recorded in results."""
        h = hashlib.sha256()
        keys = [c for c in (*OBS_KEYS, *OPTIONAL_OBS) if c in self.obs.columns]
        h.update(pd.util.hash_pandas_object(self.obs[keys], index=False).to_numpy().tobytes())
        h.update(np.ascontiguousarray(self.y).tobytes())
        return h.hexdigest()[:16]

    def summary(self) -> dict[str, Any]:
        """Counts for reports."""
        return {
            "name": self.name,
            "task": self.task,
            "target": self.target,
            "n_observations": len(self),
            "n_cell_lines": int(self.obs["cell_line"].nunique()),
            f"n_{self.perturbation_kind}s": int(self.obs["perturbation"].nunique()),
            "cell_views": {k: [len(v), v.n_features] for k, v in self.cell_views.items()},
            "perturbation_views": {k: [len(v), v.n_features] for k, v in self.perturbation_views.items()},
        }


__all__ = ["OBS_KEYS", "OPTIONAL_OBS", "Dataset"]
