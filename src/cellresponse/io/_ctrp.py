"""CTRP v2 (CTD² Cancer Therapeutics Response Portal) tables as shipped in ``ctrp_v2/``.

The curve table holds one AUC per (experiment, compound); experiments map to cell
lines through ``Experiment_info.csv`` (a cell line can have several experiments), cell
lines and compounds are named in their own tables. CTRP's AUC is the area under the
fitted 16-point viability curve, **not normalised** (about 0 to 30) and **higher means
less sensitive**.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.errors import InputError
from cellresponse.io._common import handle_nan, read_csv_checked, to_numeric_column


def read_ctrp_curves(path: PathLike) -> pd.DataFrame:
    """Read ``ctrp_v2_auc_curves_post_qc.csv.gz``.

    Returns
    -------
    pandas.DataFrame
        ``experiment_id`` (int), ``master_cpd_id`` (int), ``auc`` (float64).

    Raises
    ------
    ValueError
        Missing columns, non-numeric or missing values, or a repeated
        (experiment, compound) pair (names the file and examples).
    """
    what = "CTRP curve table"
    raw = read_csv_checked(path, what=what, required=["experiment_id", "master_cpd_id", "area_under_curve"])
    out = pd.DataFrame({c: to_numeric_column(raw, c, path=path, what=what) for c in ("experiment_id", "master_cpd_id")})
    out["auc"] = to_numeric_column(raw, "area_under_curve", path=path, what=what)
    out = handle_nan(out, list(out.columns), on_nan="raise", path=path, what=what)
    out[["experiment_id", "master_cpd_id"]] = out[["experiment_id", "master_cpd_id"]].astype(np.int64)
    dup = out.duplicated(["experiment_id", "master_cpd_id"])
    if dup.any():
        pairs = out.loc[dup, ["experiment_id", "master_cpd_id"]].head(3).to_numpy().tolist()
        raise InputError(
            f"{what} {path}: {int(dup.sum())} repeated (experiment, compound) pairs, e.g. {pairs}", source=path
        )
    return out


def read_ctrp_experiments(path: PathLike) -> pd.Series:
    """Read ``Experiment_info.csv``: experiment id -> cell line id (``master_ccl_id``).

    Rows repeated with another ``experiment_date`` are collapsed; an experiment listed
    with two cell lines is an error.
    """
    what = "CTRP experiment table"
    raw = read_csv_checked(path, what=what, required=["expt_id", "master_ccl_id"])
    table = pd.DataFrame({c: to_numeric_column(raw, c, path=path, what=what) for c in ("expt_id", "master_ccl_id")})
    table = handle_nan(table, list(table.columns), on_nan="raise", path=path, what=what).astype(np.int64)
    table = table.drop_duplicates()
    conflict = table["expt_id"].duplicated(keep=False)
    if conflict.any():
        raise InputError(
            f"{what} {path}: experiments listed with several cell lines: "
            f"{examples(sorted(set(table.loc[conflict, 'expt_id'])))}",
            source=path,
        )
    return pd.Series(table["master_ccl_id"].to_numpy(), index=pd.Index(table["expt_id"], name="expt_id"))


def read_ctrp_cell_lines(path: PathLike) -> pd.DataFrame:
    """Read ``cancer_cell_line_info.csv``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``master_ccl_id``: ``ccl_name`` (CCLE-style stripped name),
        ``cancer_type`` (CCLE tissue, empty for some lines) and ``ccle_name``
        (``ccl_name + "_" + upper(cancer_type)``, empty where the type is).
    """
    what = "CTRP cell-line table"
    raw = read_csv_checked(
        path, what=what, required=["master_ccl_id", "ccl_name", "cancer_type"], dtype={"ccl_name": str}
    )
    ids = to_numeric_column(raw, "master_ccl_id", path=path, what=what)
    if ids.isna().any() or raw["ccl_name"].isna().any():
        row = int(np.flatnonzero((ids.isna() | raw["ccl_name"].isna()).to_numpy())[0])
        raise InputError(f"{what} {path}: data row {row + 1} lacks master_ccl_id or ccl_name", source=path, row=row + 1)
    kind = raw["cancer_type"].astype("string").str.strip()
    out = pd.DataFrame(
        {
            "ccl_name": raw["ccl_name"].astype(str).str.strip().to_numpy(),
            "cancer_type": kind.fillna("").to_numpy(),
        },
        index=pd.Index(ids.astype(np.int64).to_numpy(), name="master_ccl_id"),
    )
    out["ccle_name"] = np.where(out["cancer_type"] != "", out["ccl_name"] + "_" + out["cancer_type"].str.upper(), "")
    if out.index.has_duplicates:
        raise InputError(
            f"{what} {path}: duplicated master_ccl_id {examples(out.index[out.index.duplicated()])}", source=path
        )
    return out


def read_ctrp_compounds(path: PathLike) -> pd.DataFrame:
    """Read ``compound_info.csv``: indexed by ``master_cpd_id``, ``cpd_name`` and ``target``."""
    what = "CTRP compound table"
    raw = read_csv_checked(
        path, what=what, required=["master_cpd_id", "cpd_name", "gene_symbol_of_protein_target"], dtype=str
    )
    ids = to_numeric_column(raw, "master_cpd_id", path=path, what=what)
    if ids.isna().any() or raw["cpd_name"].isna().any():
        row = int(np.flatnonzero((ids.isna() | raw["cpd_name"].isna()).to_numpy())[0])
        raise InputError(f"{what} {path}: data row {row + 1} lacks master_cpd_id or cpd_name", source=path, row=row + 1)
    out = pd.DataFrame(
        {"cpd_name": raw["cpd_name"].str.strip().to_numpy(), "target": raw["gene_symbol_of_protein_target"].to_numpy()},
        index=pd.Index(ids.astype(np.int64).to_numpy(), name="master_cpd_id"),
    )
    for col in ("cpd_name",):
        dup = out[col][out[col].duplicated()]
        if len(dup):
            raise InputError(f"{what} {path}: duplicated {col} {examples(sorted(dup))}", source=path)
    return out


def read_ctrp_smiles(path: PathLike) -> pd.Series:
    """Read ``ctrp_v2_compound_smiles_lincs_namematch.csv``: ``master_cpd_id`` -> SMILES
    (163 of the 545 compounds; matched to LINCS by name, see the folder's PROVENANCE.md)."""
    what = "CTRP compound SMILES table"
    raw = read_csv_checked(path, what=what, required=["master_cpd_id", "smiles"], dtype={"smiles": str})
    ids = to_numeric_column(raw, "master_cpd_id", path=path, what=what)
    keep = ids.notna() & raw["smiles"].notna() & (raw["smiles"].str.strip() != "")
    out = pd.Series(
        raw.loc[keep, "smiles"].str.strip().to_numpy(),
        index=pd.Index(ids[keep].astype(np.int64).to_numpy(), name="master_cpd_id"),
        name="smiles",
    )
    if out.index.has_duplicates:
        raise InputError(
            f"{what} {path}: duplicated master_cpd_id {examples(out.index[out.index.duplicated()])}", source=path
        )
    return out


__all__ = [
    "read_ctrp_cell_lines",
    "read_ctrp_compounds",
    "read_ctrp_curves",
    "read_ctrp_experiments",
    "read_ctrp_smiles",
]
