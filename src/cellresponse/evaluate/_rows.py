"""Rows a run can use: kept unless a requested model needs a view they lack.

A dataset keeps every observation it can read (GDSC2: all 286 drugs, though 58 have no
SMILES). A run then keeps the rows whose cell line and drug have every view that *some
model of the run* reads (a global model's ``morgan`` fingerprint, a per-drug model's
``expression``), drops the others for every model, so all models are scored on the
same rows, and says how many rows it dropped and why (``config.json``:
``row_filter``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cellresponse.data import Dataset
from cellresponse.models import make_model
from cellresponse.splits import Split

log = logging.getLogger("cellresponse")


@dataclass(frozen=True)
class RowFilter:
    """Which rows of a dataset a set of models can use.

    Attributes
    ----------
    keep
        Boolean mask over the dataset's rows.
    needs
        ``{"cell:expression": [models], "perturbation:morgan": [models]}``: the views
        some model reads, and which models read them.
    dropped
        Per view (in the order of ``needs``): rows dropped because their cell line or
        drug has no row in it (not counting rows an earlier view already dropped), and
        the distinct cell lines and drugs lost with them.
    """

    keep: np.ndarray
    needs: dict[str, list[str]]
    dropped: dict[str, dict[str, int]]

    @property
    def n_dropped(self) -> int:
        return int((~self.keep).sum())

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": len(self.keep),
            "kept": int(self.keep.sum()),
            "dropped": self.n_dropped,
            "needs": self.needs,
            "dropped_by_view": self.dropped,
        }

    def describe(self) -> str:
        """One line per view that dropped rows (for the log and the CLI)."""
        parts = []
        for view, info in self.dropped.items():
            if info["rows"]:
                entity, name = view.split(":", 1)
                count, what = (
                    (info["perturbations"], "drugs") if entity == "perturbation" else (info["cell_lines"], "cell lines")
                )
                parts.append(
                    f"{info['rows']} rows ({count} {what}) lack the {name!r} view that "
                    f"{', '.join(self.needs[view])} read{'s' if len(self.needs[view]) == 1 else ''}"
                )
        return "; ".join(parts)


def rows_for_models(
    data: Dataset, models: Sequence[str], params: Mapping[str, Mapping[str, Any]] | None = None
) -> RowFilter:
    """The rows of ``data`` that every model of ``models`` (with ``params``) can use.

    Views a model reads that the dataset does not have at all are not filtered on: that
    model fails on its own with a message naming the view, and the others still run.

    Raises
    ------
    ValueError
        If no row has every view the models need (names the views and the models).
    """
    needs: dict[str, list[str]] = {}
    for name in models:
        model = make_model(name, **dict((params or {}).get(name, {})))
        cell, pert = model.required_views()
        for prefix, views, present in (
            ("cell", cell, data.cell_views),
            ("perturbation", pert, data.perturbation_views),
        ):
            for view in views:
                if view in present:
                    needs.setdefault(f"{prefix}:{view}", []).append(name)
    keep = np.ones(len(data), dtype=bool)
    dropped: dict[str, dict[str, int]] = {}
    for key in needs:
        entity, view = key.split(":", 1)
        ids = data.obs["cell_line" if entity == "cell" else "perturbation"]
        has = ids.isin(data.cell_view(view).ids if entity == "cell" else data.perturbation_view(view).ids).to_numpy()
        lost = keep & ~has
        dropped[key] = {
            "rows": int(lost.sum()),
            "cell_lines": int(data.obs.loc[lost, "cell_line"].nunique()),
            "perturbations": int(data.obs.loc[lost, "perturbation"].nunique()),
        }
        keep &= has
    if not keep.any():
        raise ValueError(
            f"no row of dataset {data.name!r} has every view the models need ({needs}); drop the models that "
            "read a view the dataset lacks for most rows (e.g. a structure model on drugs without SMILES)"
        )
    return RowFilter(keep, needs, dropped)


def restrict_split(split: Split, keep: np.ndarray) -> Split:
    """``split`` with every fold's train, validation and test rows limited to ``keep``.

    The assignment (``split.csv``) is unchanged; the hash follows the rows actually used.

    Raises
    ------
    ValueError
        If a fold is left without test rows.
    """
    folds = tuple(
        dataclasses.replace(f, train=f.train[keep[f.train]], valid=f.valid[keep[f.valid]], test=f.test[keep[f.test]])
        for f in split.folds
    )
    empty = [f.fold for f in folds if len(f.test) == 0]
    if empty:
        raise ValueError(f"folds {empty} have no test rows left with every view the models need")
    return dataclasses.replace(split, folds=folds, notes={**split.notes, "rows_kept": int(keep.sum())})


def apply_row_filter(
    data: Dataset, split: Split, *, models: Sequence[str], params: Mapping[str, Any]
) -> tuple[Split, RowFilter]:
    """Restrict ``split`` to the rows every model can use; log what was dropped and why."""
    rows = rows_for_models(data, models, params)
    if rows.n_dropped:
        log.warning(
            "%s: %d of %d rows dropped for every model: %s", data.name, rows.n_dropped, len(data), rows.describe()
        )
        split = restrict_split(split, rows.keep)
    return split, rows


__all__ = ["RowFilter", "apply_row_filter", "restrict_split", "rows_for_models"]
