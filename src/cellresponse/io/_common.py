"""Shared reading helpers: robust CSV reading, column checks and clear error messages.

Every table reader goes through :func:`read_csv_checked` (and every text reader through
:func:`cellresponse.io.open_text`), so a truncated gzip, a header-only file, a missing
column or a non-numeric value produces one kind of error,
:class:`~cellresponse.errors.InputError`, that names the file and the column (and the
row or ID where there is one).
"""

from __future__ import annotations

import csv
import logging
import re
import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.errors import InputError
from cellresponse.io._open import DECODE_ERRORS, check_input_file, decode_error_message

logger = logging.getLogger("cellresponse")

OnNaN = Literal["raise", "drop"]


def read_csv_checked(
    path: PathLike,
    *,
    required: Sequence[str] = (),
    what: str = "table",
    allow_empty: bool = False,
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a (possibly compressed) delimited file and check its required columns.

    This is the one table reader of the package (the other readers build on it or on
    :func:`cellresponse.io.open_text`), so every kind of damage ends in one error type
    naming the file.

    Parameters
    ----------
    path
        File to read; ``.gz``, ``.bz2``, ``.xz`` and ``.zip`` files are decompressed.
    required
        Column names that must be present (after ``names=`` if given).
    what
        Short description used in error messages (``"GDSC response table"``).
    allow_empty
        Accept a file with a header but no data rows (an empty frame).
    **kwargs
        Passed to :func:`pandas.read_csv` (``sep``, ``dtype``, ``header``, ...).

    Raises
    ------
    MissingInputError
        If ``path`` does not exist (a ``FileNotFoundError``).
    InputError
        If the file is a directory, empty, header-only (unless ``allow_empty``), not valid
        compressed data, truncated, not text, not parseable, has duplicated column names
        or lacks a required column; the message names the file (a ``ValueError``).
    """
    path = check_input_file(path, what=what)
    if kwargs.get("engine") != "pyarrow":
        kwargs.setdefault("low_memory", False)
    try:
        with warnings.catch_warnings():
            # pandas warns (ParserWarning) before falling back on odd separators; the
            # result is checked below, so the warning adds nothing for the user
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(path, **kwargs)
    except DECODE_ERRORS as exc:
        raise InputError(decode_error_message(path, what, exc), source=path) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{what} {path} has no header and no rows (empty or blank file)", source=path) from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(f"{what} {path} could not be parsed: {_one_line(exc)}", source=path) from None
    except (ValueError, OverflowError, TypeError) as exc:  # e.g. a dtype map that does not fit the data
        where = _locate_bad_value(path, kwargs) if "dtype" in kwargs else ""
        raise InputError(f"{what} {path}: {_one_line(exc)}{where}", source=path) from None
    _check_header(frame, path, what, kwargs)
    if len(frame) == 0 and not allow_empty and kwargs.get("nrows") != 0:
        raise InputError(f"{what} {path} has a header but no data rows", source=path)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} {path} is missing required column(s) {missing}; "
            f"found columns: {examples(list(map(str, frame.columns)), 12)}",
            source=path,
        )
    return frame


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


_MANGLED = re.compile(r"^(.*)\.(\d+)$")


def _check_header(frame: pd.DataFrame, path: Path, what: str, kwargs: dict[str, Any]) -> None:
    """Refuse duplicated column names, which pandas would silently rename to ``X.1``."""
    if kwargs.get("names") is not None or kwargs.get("header", "infer") not in ("infer", 0):
        return
    names = [str(c) for c in frame.columns]
    present = set(names)
    suspects = [n for n in names if (m := _MANGLED.match(n)) and m.group(1) in present]
    if not suspects:
        return
    raw_kwargs = {
        k: kwargs[k] for k in ("sep", "delimiter", "compression", "skiprows", "comment", "encoding") if k in kwargs
    }
    try:
        raw = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, **raw_kwargs)
    except (ValueError, OSError, EOFError, csv.Error):
        return
    header = [str(v) for v in raw.iloc[0].tolist()] if len(raw) else []
    dup = sorted({h for h in header if header.count(h) > 1 and h != ""})
    if dup:
        raise InputError(f"{what} {path}: duplicated column name(s) {examples(dup)} in the header", source=path)


def float32_dtypes(**fixed: Any) -> defaultdict[str, Any]:
    """A ``dtype=`` map for :func:`pandas.read_csv`: float32 except the named columns."""
    return defaultdict(lambda: np.float32, fixed)


def _locate_bad_value(path: Path, kwargs: dict[str, Any]) -> str:
    """Re-read as text to name the column, row and ID of a value that broke a dtype map."""
    dtype = kwargs["dtype"]
    text_kwargs = {k: v for k, v in kwargs.items() if k not in ("dtype", "engine")}
    try:
        frame = pd.read_csv(path, dtype=str, **text_kwargs)
    except (ValueError, OSError, EOFError):
        return ""
    for col in frame.columns:
        want = dtype[col] if isinstance(dtype, defaultdict) else dtype.get(col) if isinstance(dtype, dict) else dtype
        if want is None or not np.issubdtype(np.dtype(want), np.number):
            continue
        values = frame[col]
        bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            return (
                f" (column {col!r} must be numeric; data row {row + 1}, ID "
                f"{frame.iloc[row, 0]!r}, has {values.iloc[row]!r})"
            )
    return ""


def to_numeric_column(frame: pd.DataFrame, column: str, *, path: PathLike, what: str) -> pd.Series:
    """Return ``frame[column]`` as float64, or raise naming the first bad row and value.

    Row numbers in messages are 1-based data rows (the header is not counted).
    """
    col = frame[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.astype(np.float64)
    converted = pd.to_numeric(col, errors="coerce")
    bad = converted.isna() & col.notna() & (col.astype(str).str.strip() != "")
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        raise InputError(
            f"{what} {path}: column {column!r} must be numeric; {len(rows)} non-numeric "
            f"value(s), first at data row {rows[0] + 1}: {col.iloc[rows[0]]!r}"
        )
    return converted.astype(np.float64)


def to_integer_column(
    values: pd.Series | pd.Index, *, path: PathLike, what: str, column: str, nullable: bool = False
) -> pd.Series:
    """``values`` as integers (``Int64`` with missing values when ``nullable``), or raise
    naming the first data row and value that is not a whole number."""
    raw = pd.Series(np.asarray(values, dtype=object))
    num = pd.to_numeric(raw, errors="coerce").astype("float64")
    missing = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    arr = num.to_numpy()
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(arr) & (np.mod(arr, 1) == 0) & (np.abs(arr) < 2**62)
    bad = ~missing & ~whole
    if not nullable:
        bad |= missing
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{what} {path}: column {column!r} must hold whole numbers; data row {row + 1} has {raw.iloc[row]!r}",
            source=path,
            row=row + 1,
        )
    if nullable:
        return pd.Series(pd.array(np.where(missing, 0, np.nan_to_num(arr)).astype(np.int64), dtype="Int64")).mask(
            missing
        )
    return pd.Series(arr.astype(np.int64))


def handle_nan(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    on_nan: OnNaN,
    path: PathLike,
    what: str,
) -> pd.DataFrame:
    """Raise on, or drop and log, rows with a missing value in ``columns``.

    With ``on_nan="drop"`` the number of dropped rows is logged (logger ``cellresponse``)
    and stored in ``frame.attrs["dropped_nan"]``.
    """
    if on_nan not in ("raise", "drop"):
        raise InputError(f"on_nan must be 'raise' or 'drop', got {on_nan!r}")
    mask = frame[list(columns)].isna().any(axis=1).to_numpy()
    if not mask.any():
        frame.attrs["dropped_nan"] = 0
        return frame
    rows = np.flatnonzero(mask)
    if on_nan == "raise":
        bad_cols = [c for c in columns if frame[c].isna().any()]
        raise InputError(
            f"{what} {path}: {len(rows)} row(s) with missing values in {bad_cols}, at data "
            f"row(s) {examples(rows + 1)}; pass on_nan='drop' to skip them"
        )
    logger.warning("%s %s: dropped %d row(s) with missing %s", what, path, len(rows), list(columns))
    out = frame.loc[~mask].reset_index(drop=True)
    out.attrs["dropped_nan"] = len(rows)
    return out


def check_unique_index(frame: pd.DataFrame, *, path: PathLike, what: str) -> pd.DataFrame:
    """Raise if the index (entity IDs of a feature matrix) has duplicates."""
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()
        raise InputError(f"{what} {path}: {len(dup)} duplicated ID(s) in column {frame.index.name!r}: {examples(dup)}")
    return frame


def numeric_matrix(
    frame: pd.DataFrame, *, id_column: str, path: PathLike, what: str, dtype: type = np.float32
) -> pd.DataFrame:
    """Turn a table with an ID column plus feature columns into a numeric matrix.

    The ID column becomes the (string) index; duplicates and non-numeric feature columns
    raise ``ValueError`` naming the file, the column and the offending ID.
    """
    frame = frame.set_index(id_column)
    frame.index = frame.index.astype(str)
    check_unique_index(frame, path=path, what=what)
    numeric = frame.dtypes.map(pd.api.types.is_numeric_dtype).to_numpy(dtype=bool)
    bad = list(frame.columns[~numeric])
    for col in bad:
        converted = pd.to_numeric(frame[col], errors="coerce")
        wrong = converted.isna() & frame[col].notna()
        if wrong.any():
            first = frame.index[np.flatnonzero(wrong.to_numpy())[0]]
            raise InputError(
                f"{what} {path}: column {col!r} must be numeric; ID {first!r} has {frame.at[first, col]!r}"
            )
        frame[col] = converted
    return frame.astype(dtype)


def read_index_file(path: PathLike, *, what: str, value_name: str) -> pd.Series:
    """Read a headerless ``index<TAB>value`` file (DrugCell ``*2ind.txt``) as a Series."""
    frame = read_csv_checked(
        path, what=what, sep="\t", header=None, names=["index", value_name], dtype={value_name: str}
    )
    if frame[value_name].isna().any():
        row = int(np.flatnonzero(frame[value_name].isna().to_numpy())[0])
        raise InputError(f"{what} {path}: data row {row + 1} is incomplete", source=path, row=row + 1)
    idx = to_integer_column(frame["index"], path=path, what=what, column="index")
    out = pd.Series(frame[value_name].to_numpy(), index=idx.to_numpy(), name=value_name)
    out.index.name = "index"
    check_unique_index(out.to_frame(), path=path, what=what)
    if out.duplicated().any():
        dup = out[out.duplicated()].unique()
        raise InputError(f"{what} {path}: duplicated {value_name} value(s): {examples(dup)}")
    return out


__all__ = [
    "OnNaN",
    "check_unique_index",
    "float32_dtypes",
    "handle_nan",
    "logger",
    "numeric_matrix",
    "read_csv_checked",
    "read_index_file",
    "to_integer_column",
    "to_numeric_column",
]
