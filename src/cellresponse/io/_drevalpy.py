"""drevalpy example-file readers (``drevalpy_example/``)."""

from __future__ import annotations

import pandas as pd

from cellresponse._types import PathLike
from cellresponse.io._common import (
    OnNaN,
    float32_dtypes,
    handle_nan,
    numeric_matrix,
    read_csv_checked,
)
from cellresponse.io._common import to_numeric_column as _num


def read_drevalpy_response(path: PathLike, *, measure: str = "AUC", on_nan: OnNaN = "raise") -> pd.DataFrame:
    """Read a drevalpy response file.

    Columns: ``cellosaurus_id, cell_line_name, pubchem_id, drug_name, <measure>``.

    Returns
    -------
    pandas.DataFrame
        ``cellosaurus_id``, ``cell_line_name``, ``pubchem_id`` (str), ``drug_name``,
        ``tissue`` (if present) and the measure lower-cased (``auc``).
    """
    what = "drevalpy response table"
    req = ["cellosaurus_id", "cell_line_name", "pubchem_id", "drug_name", measure]
    raw = read_csv_checked(
        path,
        what=what,
        required=req,
        dtype={c: str for c in ("cellosaurus_id", "cell_line_name", "pubchem_id", "drug_name")},
    )
    out = raw[[c for c in (*req[:4], "tissue") if c in raw.columns]].copy()
    out[measure.lower()] = _num(raw, measure, path=path, what=what)
    out = handle_nan(out, [measure.lower()], on_nan=on_nan, path=path, what=what)
    out.attrs["source"] = str(path)
    return out


def read_drevalpy_features(path: PathLike, *, id_column: str) -> pd.DataFrame:
    """Read a drevalpy feature table keyed by ``id_column`` (``cellosaurus_id``/``pubchem_id``).

    Non-numeric annotation columns (``cell_line_name``) are dropped; returns float32.
    """
    what = "drevalpy feature table"
    dtype = float32_dtypes(**{id_column: str, "cell_line_name": str})
    frame = read_csv_checked(path, what=what, required=[id_column], dtype=dtype)
    frame = frame.drop(columns=[c for c in ("cell_line_name",) if c in frame.columns])
    return numeric_matrix(frame, id_column=id_column, path=path, what=what)


__all__ = ["read_drevalpy_features", "read_drevalpy_response"]
