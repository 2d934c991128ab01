"""Shared pieces of the dataset builders: options, view re-keying, final assembly."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.chem import MorganSettings, drug_descriptors, morgan_fingerprints_with_skipped
from cellresponse.data import Aggregate, Dataset, FeatureView, HarmonizationReport, ViewKind
from cellresponse.datasets._drugs import annotate_drugs

logger = logging.getLogger("cellresponse")

#: which way each response target points: "resistance" (higher = less sensitive: ln IC50,
#: viability AUC, CTRP's unnormalised AUC, PDX tumour growth, mRECIST code) or
#: "sensitivity" (higher = more sensitive: CCLE's activity area)
TARGET_DIRECTIONS = {
    "ln_ic50": "resistance",
    "auc": "resistance",
    "response": "resistance",
    "actarea": "sensitivity",
    "best_avg_response": "resistance",
    "mrecist": "resistance",
}
NAME_SYSTEMS = ("curated", "ccle_name", "stripped_name", "normalised_name", "alias", "ccle_prefix")


@dataclass(frozen=True)
class BuildOptions:
    """Options shared by every builder (the arguments of :func:`load_dataset`)."""

    root: Path | None
    target: str
    cell_views: tuple[str, ...] | None
    require_all_views: bool
    aggregate: Aggregate
    morgan: MorganSettings
    progress: bool

    def note(self, message: str, *args: object) -> None:
        """Progress message: INFO on the ``cellresponse`` logger when ``progress``."""
        if self.progress:
            logger.info(message, *args)


def choose_views(available: Sequence[str], requested: Sequence[str] | None, *, dataset: str) -> tuple[str, ...]:
    """Validate the requested cell views against those a dataset offers."""
    if requested is None:
        return tuple(available)
    unknown = [v for v in requested if v not in available]
    if unknown:
        raise ValueError(f"dataset {dataset!r} has no cell view(s) {unknown}; available: {list(available)}")
    return tuple(requested)


def rekey_view(
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    *,
    name: str,
    kind: ViewKind,
    report: HarmonizationReport,
) -> FeatureView:
    """Turn a matrix keyed by source IDs into a view keyed by canonical IDs.

    Rows whose source ID is not in ``mapping`` (unmatched, colliding or without
    responses) are left out; their number is recorded in ``report.extra``.
    """
    keys = pd.Index(frame.index).astype(str)
    canon = keys.map(lambda k: mapping.get(k))
    keep = np.asarray(pd.notna(canon))
    out = frame.iloc[keep]
    out.index = pd.Index(np.asarray(canon)[keep]).astype(str)
    report.extra.setdefault("feature_rows_not_used", {})[name] = int((~keep).sum())
    # numeric_matrix already guaranteed numeric columns; skip from_frame's per-column check
    return FeatureView(name, out.index, out.to_numpy(np.float32), out.columns, kind)


def drug_views(
    smiles: pd.Series, *, names: Sequence[str], options: BuildOptions
) -> tuple[dict[str, FeatureView], list[str]]:
    """``morgan`` and ``descriptors`` views for drugs with valid SMILES (invalid ones skipped)."""
    views: dict[str, FeatureView] = {}
    skipped: list[str] = []
    if "morgan" in names:
        views["morgan"], skipped = morgan_fingerprints_with_skipped(
            smiles, radius=options.morgan.radius, n_bits=options.morgan.n_bits, on_invalid="skip"
        )
    if "descriptors" in names:
        views["descriptors"] = drug_descriptors(smiles, on_invalid="skip")
    return views, skipped


@dataclass(frozen=True)
class Provenance:
    """Where a built dataset came from; recorded in ``Dataset.info``.

    Parameters
    ----------
    sources
        Files read (``info["source_files"]``).
    rows_raw
        Response rows before harmonization (``info["counts"]["rows_raw"]``).
    report
        The ID-harmonization report (``info["harmonization"]``).
    notes
        Anything else worth keeping, e.g. skipped drugs (``info["notes"]``).
    obs_columns
        Further response columns kept in ``obs`` (e.g. ``mrecist`` beside a PDX target).
    named_drugs
        False when drug IDs are not names (DrugCell's ``drugcell_<i>``): drugs are then
        matched to other screens by structure only.
    """

    sources: Sequence[str | Path]
    rows_raw: int
    report: HarmonizationReport
    notes: Mapping[str, Any] | None = None
    obs_columns: Sequence[str] = ()
    named_drugs: bool = True


def assemble(
    *,
    name: str,
    responses: pd.DataFrame,
    options: BuildOptions,
    cell_views: Mapping[str, FeatureView],
    perturbation_views: Mapping[str, FeatureView],
    cell_meta: pd.DataFrame,
    perturbation_meta: pd.DataFrame,
    provenance: Provenance,
) -> Dataset:
    """Build the Dataset, optionally restrict it to rows with every view, record provenance."""
    sources, rows_raw, report, notes = provenance.sources, provenance.rows_raw, provenance.report, provenance.notes
    if options.target not in responses.columns:
        raise ValueError(f"dataset {name!r}: target {options.target!r} not in responses")
    obs_cols = ["cell_line", "perturbation", "n_measurements"]
    obs_cols += [c for c in ("split", "source_cell_id", *provenance.obs_columns) if c in responses.columns]
    info: dict[str, Any] = {
        "dataset": name,
        "target": options.target,
        "source_files": [str(s) for s in sources],
        "aggregate": options.aggregate,
        "target_direction": TARGET_DIRECTIONS.get(options.target, "unknown"),
        "harmonization": report.to_dict(),
        "counts": {
            "rows_raw": int(rows_raw),
            "rows_after_harmonization": len(responses),
        },
    }
    if notes:
        info["notes"] = dict(notes)
    if len(perturbation_meta):
        perturbation_meta, info["drug_harmonization"] = annotate_drugs(
            perturbation_meta, source=name, root=options.root, named=provenance.named_drugs
        )
    ds = Dataset(
        obs=responses[obs_cols],
        y=responses[options.target].to_numpy(np.float32),
        target=options.target,
        cell_views=dict(cell_views),
        perturbation_views=dict(perturbation_views),
        cell_meta=cell_meta,
        perturbation_meta=perturbation_meta,
        name=name,
        info=info,
    )
    if options.require_all_views and (cell_views or perturbation_views):
        ds = ds.restrict_to_views(cell=list(cell_views), perturbation=list(perturbation_views))
        dropped = ds.info["view_filter"]["dropped_by_view"]
        if any(dropped.values()):
            logger.info("%s: dropped rows lacking a view: %s", name, dropped)
    final = dict(ds.info)
    final["counts"] = {**info["counts"], "rows_final": len(ds)}
    final["counts"]["cell_lines"] = int(ds.obs["cell_line"].nunique())
    final["counts"]["perturbations"] = int(ds.obs["perturbation"].nunique())
    return replace(ds, info=final)


__all__ = [
    "NAME_SYSTEMS",
    "TARGET_DIRECTIONS",
    "BuildOptions",
    "Provenance",
    "assemble",
    "choose_views",
    "drug_views",
    "rekey_view",
]
