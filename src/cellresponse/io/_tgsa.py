"""TGSA GDSC-580 readers (``tgsa_gdsc_ccle580/``): ln(IC50) pairs, 706-gene features, SMILES."""

from __future__ import annotations

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
)
from cellresponse.io._common import to_numeric_column as _num


def read_tgsa_response(path: PathLike, *, on_nan: OnNaN = "raise") -> pd.DataFrame:
    """Read ``ic50_pairs.csv.gz`` (``drug_name, DepMap_ID, ln_IC50``).

    Returns
    -------
    pandas.DataFrame
        ``depmap_id``, ``drug_name``, ``ln_ic50`` (natural log of IC50 in µM).
    """
    what = "TGSA response table"
    cols = ["drug_name", "DepMap_ID", "ln_IC50"]
    raw = read_csv_checked(path, what=what, required=cols, dtype={"drug_name": str, "DepMap_ID": str})
    out = pd.DataFrame(
        {
            "depmap_id": raw["DepMap_ID"].astype(str).str.strip(),
            "drug_name": raw["drug_name"].astype(str).str.strip(),
            "ln_ic50": _num(raw, "ln_IC50", path=path, what=what),
        }
    )
    out = handle_nan(out, ["ln_ic50"], on_nan=on_nan, path=path, what=what)
    out.attrs["source"] = str(path)
    return out


def read_tgsa_features(path: PathLike) -> pd.DataFrame:
    """Read a TGSA cell-feature matrix (expression / copy number / mutation).

    Returns a float32 matrix indexed by DepMap ID; columns are the Entrez IDs in
    parentheses as in the file (``"(10000)"``).
    """
    what = "TGSA cell-feature matrix"
    frame = read_csv_checked(
        path,
        what=what,
        required=["DepMap_ID"],
        dtype=float32_dtypes(DepMap_ID=str),
    )
    return numeric_matrix(frame, id_column="DepMap_ID", path=path, what=what)


def read_tgsa_smiles(path: PathLike) -> pd.DataFrame:
    """Read TGSA ``drug_smiles.csv``: indexed by ``drug_name`` with ``CID``, ``smiles``.

    ``smiles`` is the ``CanonicalSMILES`` column (the one TGSA used).
    """
    what = "TGSA drug SMILES table"
    raw = read_csv_checked(path, what=what, required=["drug_name", "CID", "CanonicalSMILES"], dtype={"drug_name": str})
    out = pd.DataFrame(
        {
            "cid": to_integer_column(raw["CID"], path=path, what=what, column="CID", nullable=True).to_numpy(),
            "smiles": raw["CanonicalSMILES"].astype(str),
        },
    )
    out.index = pd.Index(raw["drug_name"].astype(str).str.strip(), name="drug_name")
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()].unique().tolist()
        raise InputError(f"{what} {path}: duplicated drug_name(s) {dup[:5]}")
    return out


__all__ = ["read_tgsa_features", "read_tgsa_response", "read_tgsa_smiles"]
