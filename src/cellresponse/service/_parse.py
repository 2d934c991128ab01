"""Omics tables from requests: CSV text, JSON rows, uploaded CSV or AnnData ``.h5ad``.

Parsing only reads data: CSV through pandas' C parser (no formulas, no converters), JSON
through pydantic, ``.h5ad`` through anndata/h5py (HDF5 arrays and strings; nothing is
unpickled or evaluated). Shapes are checked against the request limits before the values
are read into a view.
"""

from __future__ import annotations

import io
import os
import tempfile

import pandas as pd

from cellresponse.pipeline import QueryError
from cellresponse.service._schemas import OmicsInput

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_ROWS = 10_000
MAX_COLUMNS = 100_000


def _check_shape(frame: pd.DataFrame, *, field: str) -> pd.DataFrame:
    if frame.shape[0] == 0:
        raise QueryError(f"{field}: no rows", field=field)
    if frame.shape[0] > MAX_ROWS:
        raise QueryError(f"{field}: {frame.shape[0]} rows exceed the limit of {MAX_ROWS}", field=field)
    if frame.shape[1] == 0:
        raise QueryError(f"{field}: no feature columns (first column: cell-line ID, then one per feature)", field=field)
    if frame.shape[1] > MAX_COLUMNS:
        raise QueryError(f"{field}: {frame.shape[1]} columns exceed the limit of {MAX_COLUMNS}", field=field)
    return frame


def read_csv_text(text: str | bytes, *, field: str) -> pd.DataFrame:
    """A table with the cell-line ID in the first column and one column per feature."""
    raw = text.encode() if isinstance(text, str) else text
    if not raw.strip():
        raise QueryError(f"{field}: the CSV is empty", field=field)
    sep = "\t" if raw.split(b"\n", 1)[0].count(b"\t") > raw.split(b"\n", 1)[0].count(b",") else ","
    try:
        frame = pd.read_csv(io.BytesIO(raw), sep=sep, index_col=0, engine="c", encoding="utf-8")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise QueryError(f"{field}: not a readable CSV ({str(err).splitlines()[0]})", field=field) from None
    frame.index = frame.index.astype(str)
    return _check_shape(frame, field=field)


def read_h5ad_bytes(raw: bytes, *, field: str) -> pd.DataFrame:
    """Observations (cell lines) x variables (features) of an AnnData file's ``X``."""
    from cellresponse.io import read_h5ad_counts

    fd, name = tempfile.mkstemp(suffix=".h5ad")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        try:
            frame, _ = read_h5ad_counts(name)
        except ImportError as err:
            raise QueryError(f"{field}: {err}", field=field) from None
        except Exception as err:  # any malformed HDF5 / AnnData layout is the upload's fault
            raise QueryError(
                f"{field}: not a readable AnnData .h5ad file ({type(err).__name__}: {err})", field=field
            ) from None
    finally:
        os.unlink(name)
    frame.index = frame.index.astype(str)
    return _check_shape(frame, field=field)


def read_upload(raw: bytes, *, filename: str | None, field: str) -> pd.DataFrame:
    """An uploaded omics table: ``.h5ad`` (detected by its HDF5 signature) or CSV/TSV."""
    if raw.startswith(HDF5_MAGIC):
        return read_h5ad_bytes(raw, field=field)
    if filename and filename.lower().endswith(".h5ad"):
        raise QueryError(f"{field}: {filename} is named .h5ad but is not an HDF5 file", field=field)
    return read_csv_text(raw, field=field)


def omics_frames(omics: dict[str, OmicsInput] | None) -> dict[str, pd.DataFrame]:
    """View name -> table from the JSON request's ``omics`` block."""
    out: dict[str, pd.DataFrame] = {}
    for view, spec in (omics or {}).items():
        field = f"omics.{view}"
        if (spec.csv is None) == (spec.rows is None):
            raise QueryError(f"{field}: give exactly one of csv or rows", field=field)
        if spec.csv is not None:
            out[view] = read_csv_text(spec.csv, field=f"{field}.csv")
        else:
            frame = pd.DataFrame.from_dict(spec.rows or {}, orient="index")
            out[view] = _check_shape(frame, field=f"{field}.rows")
    return out


__all__ = ["omics_frames", "read_csv_text", "read_h5ad_bytes", "read_upload"]
