"""DrugCell / DrugGene readers: response triples, index files, drug fingerprints.

The ontology file (``drugcell_ont.txt``) is read by :mod:`cellresponse.ontology`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.errors import InputError
from cellresponse.io._common import (
    OnNaN,
    handle_nan,
    read_csv_checked,
    read_index_file,
    to_numeric_column,
)


def read_drugcell_triples(path: PathLike, *, on_nan: OnNaN = "raise") -> pd.DataFrame:
    """Read a headerless DrugCell/DrugGene split file ``cell<TAB>SMILES<TAB>response``.

    Returns
    -------
    pandas.DataFrame
        ``cell_line_name`` (CCLE name), ``smiles``, ``response`` (float64; the repo does
        not name the unit, the paper calls it AUC).
    """
    what = "DrugCell response triples"
    raw = read_csv_checked(
        path,
        what=what,
        sep="\t",
        header=None,
        names=["cell_line_name", "smiles", "response"],
        dtype={"cell_line_name": str, "smiles": str},
    )
    raw["response"] = to_numeric_column(raw, "response", path=path, what=what)
    for col in ("cell_line_name", "smiles"):
        if raw[col].isna().any():
            row = int(np.flatnonzero(raw[col].isna().to_numpy())[0])
            raise InputError(f"{what} {path}: column {col!r} is empty at data row {row + 1}")
    out = handle_nan(raw, ["response"], on_nan=on_nan, path=path, what=what)
    out.attrs["source"] = str(path)
    return out


def read_drugcell_index(path: PathLike, *, value_name: str = "name") -> pd.Series:
    """Read a ``*2ind.txt`` / ``cell_item.txt`` file: Series index -> name (or SMILES)."""
    return read_index_file(path, what="DrugCell index file", value_name=value_name)


def read_drugcell_fingerprints(path: PathLike, *, n_drugs: int | None = None) -> pd.DataFrame:
    """Read ``drug2fingerprint.txt(.gz)``: one comma-separated 0/1 row per drug index.

    Parameters
    ----------
    path
        The fingerprint file.
    n_drugs
        Expected number of rows (``len(drug2ind)``); a mismatch raises.

    Returns
    -------
    pandas.DataFrame
        float32 matrix indexed by drug index (0..n-1), columns ``bit_0 ..``.
    """
    what = "DrugCell fingerprint file"
    frame = read_csv_checked(path, what=what, header=None, dtype=np.float32)
    frame.columns = [f"bit_{i}" for i in range(frame.shape[1])]
    if frame.isna().any().any():
        row = int(np.flatnonzero(frame.isna().any(axis=1).to_numpy())[0])
        raise InputError(f"{what} {path}: missing value in data row {row + 1}")
    if n_drugs is not None and len(frame) != n_drugs:
        raise InputError(f"{what} {path} has {len(frame)} rows; expected {n_drugs} (one per drug)")
    frame.index.name = "index"
    return frame


__all__ = ["read_drugcell_fingerprints", "read_drugcell_index", "read_drugcell_triples"]
