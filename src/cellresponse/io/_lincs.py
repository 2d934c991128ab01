"""LINCS / CMap metadata: dose and time parsing, sig_info tables, SMILES maps, basal profiles.

Doses are returned in µM and times in hours. L1000 writes them either as a number plus
a unit column (``pert_dose`` + ``pert_dose_unit``) or as one string (``pert_idose`` =
``"10 uM"``, ``"500 nM"``, ``"10.0 um"``; ``pert_itime`` = ``"24 h"``). ``-666`` marks
"not applicable" (DMSO wells) and parses to NaN.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.errors import InputError
from cellresponse.io._common import logger, read_csv_checked
from cellresponse.io._open import open_text

# Factor to µM. "\xb5" (Latin-1 micro sign) and "<b5>" (its escaped form in R dumps) occur
# in real files alongside "u"/"µ"/"μ".
_DOSE_UNITS = {
    "pm": 1e-6,
    "nm": 1e-3,
    "um": 1.0,
    "mm": 1e3,
    "m": 1e6,
}
_TIME_UNITS = {
    "m": 1 / 60,
    "min": 1 / 60,
    "h": 1.0,
    "hr": 1.0,
    "hrs": 1.0,
    "hour": 1.0,
    "hours": 1.0,
    "d": 24.0,
    "day": 24.0,
    "days": 24.0,
}
_NUM_UNIT = re.compile(r"^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*([A-Za-zµμ<>0-9]*)\s*$")
_MISSING = {"-666", "-666.0", "", "na", "nan", "none"}


def _norm_micro(unit: str) -> str:
    unit = unit.strip().lower()
    for micro in ("µ", "μ", "\xb5", "<b5>"):
        unit = unit.replace(micro, "u")
    return unit


def _parse_one(value: object, *, units: dict[str, float], what: str, default_unit: str | None) -> float:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    text = str(value).strip()
    if text.lower() in _MISSING:
        return np.nan
    match = _NUM_UNIT.match(_norm_micro(text) if what == "dose" else text.lower())
    if match is None:
        raise InputError(
            f"cannot parse {what} {value!r}: expected a number and a unit, e.g. "
            + ("'10 uM' or '500 nM'" if what == "dose" else "'24 h' or '6 h'")
        )
    number, unit = float(match.group(1)), match.group(2)
    if number == -666:
        return np.nan
    if unit == "":
        if default_unit is None:
            raise InputError(f"{what} {value!r} has no unit")
        unit = default_unit
    if unit not in units:
        raise InputError(f"unknown {what} unit {unit!r} in {value!r}; known units: {sorted(units)}")
    return number * units[unit]


def parse_dose(value: object, *, unit: str | None = None) -> float:
    """Parse one dose to µM: ``"10 uM"`` -> 10.0, ``"500 nM"`` -> 0.5, ``"-666"`` -> NaN.

    Parameters
    ----------
    value
        A string with a unit, or a bare number (then ``unit`` gives the unit).
    unit
        Unit for bare numbers (``"uM"``, ``"nM"``, ...).

    Raises
    ------
    ValueError
        For text that is not a number plus a known unit.

    Examples
    --------
    >>> parse_dose("500 nM")
    0.5
    >>> parse_dose("10.0 um")
    10.0
    >>> parse_dose(3, unit="uM")
    3.0
    """
    return _parse_one(
        value,
        units=_DOSE_UNITS,
        what="dose",
        default_unit=None if unit is None else _norm_micro(unit),
    )


def parse_time(value: object, *, unit: str | None = None) -> float:
    """Parse one duration to hours: ``"24 h"`` -> 24.0, ``"30 m"`` -> 0.5.

    Raises
    ------
    ValueError
        For unknown units or compound strings such as ``"6 h & 4 h"``.

    Examples
    --------
    >>> parse_time("24 h")
    24.0
    """
    return _parse_one(
        value,
        units=_TIME_UNITS,
        what="time",
        default_unit=None if unit is None else unit.strip().lower(),
    )


def _parse_column(
    values: pd.Series, units: pd.Series | None, *, kind: str
) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Parse a column; each distinct (value, unit) pair is parsed once (a full release
    has 1.2M rows but a few dozen distinct dose strings).

    Returns the parsed values, a mask of unparseable rows and the error of the first bad
    row (keyed by its position).
    """
    parser = parse_dose if kind == "dose" else parse_time
    unit_col = units if units is not None else pd.Series([""] * len(values), index=values.index)
    keys = pd.MultiIndex.from_arrays([values.astype(str).to_numpy(), unit_col.astype(str).to_numpy()])
    codes, uniq = pd.factorize(keys)
    parsed = np.full(len(uniq), np.nan)
    errors: dict[int, str] = {}
    for k, (value, unit) in enumerate(uniq):
        u = None if unit.strip().lower() in _MISSING else unit
        try:
            parsed[k] = parser(value, unit=u)
        except ValueError as err:
            errors[k] = str(err)
    bad = np.isin(codes, list(errors))
    row_errors = {int(i): errors[int(codes[i])] for i in np.flatnonzero(bad)[:1]}
    return parsed[codes], bad, row_errors


def parse_dose_time(
    meta: pd.DataFrame,
    *,
    on_error: str = "raise",
    where: str = "metadata",
) -> pd.DataFrame:
    """Add ``dose`` (µM) and ``time`` (h) columns to sig_info/inst_info-style metadata.

    Uses ``pert_dose`` + ``pert_dose_unit`` (and ``pert_time`` + ``pert_time_unit``) when
    present, else ``pert_idose`` / ``pert_itime`` strings.

    Parameters
    ----------
    meta
        Metadata with one row per signature/instance.
    on_error
        ``"raise"``: unparseable values raise ``ValueError`` naming the row. ``"skip"``:
        they become NaN and the rows are listed in ``out.attrs["unparsed"]``.
    where
        Description used in messages (file name).

    Returns
    -------
    pandas.DataFrame
        A copy of ``meta`` with float columns ``dose`` and ``time``.
    """
    if on_error not in ("raise", "skip"):
        raise InputError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    out = meta.copy()
    unparsed: dict[str, list[str]] = {}
    for kind, num, unit, istr in (
        ("dose", "pert_dose", "pert_dose_unit", "pert_idose"),
        ("time", "pert_time", "pert_time_unit", "pert_itime"),
    ):
        cols: tuple[pd.Series, pd.Series | None]
        if num in out.columns and unit in out.columns:
            cols = (out[num], out[unit])
        elif istr in out.columns:
            cols = (out[istr], None)
        else:
            out[kind] = np.nan
            continue
        vals, bad_mask, errors = _parse_column(cols[0], cols[1], kind=kind)
        if bad_mask.any() and on_error == "raise":
            first = int(np.flatnonzero(bad_mask)[0])
            raise InputError(f"{where}: row {out.index[first]!r}: {errors[first]}")
        bad = [str(i) for i in out.index[bad_mask]]
        if bad:
            logger.warning("%s: %d %s value(s) could not be parsed: %s", where, len(bad), kind, examples(bad))
        unparsed[kind] = bad
        out[kind] = vals
    out.attrs["unparsed"] = unparsed
    return out


def read_sig_info(path: PathLike, *, id_column: str | None = None) -> pd.DataFrame:
    """Read a sig_info / inst_info / col_meta table (CSV or TSV, optionally gzipped).

    The index is the signature id (``sig_id``, ``inst_id``, ``id`` or ``distil_id``, the
    first present unless ``id_column`` is given). ``dose``/``time`` are parsed with
    :func:`parse_dose_time` (unparseable rows are kept with NaN and reported).
    """
    path = Path(path)
    sep = "\t" if ".tsv" in path.name or ".txt" in path.name else ","
    frame = read_csv_checked(path, what="LINCS signature metadata", sep=sep, dtype=str, keep_default_na=False)
    candidates = [id_column] if id_column else ["sig_id", "inst_id", "id", "distil_id"]
    found = [c for c in candidates if c in frame.columns]
    if not found:
        raise InputError(f"LINCS signature metadata {path} has no id column among {candidates}")
    frame = frame.set_index(found[0])
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()
        raise InputError(f"LINCS signature metadata {path}: duplicated ids {examples(dup)}")
    return parse_dose_time(frame, on_error="skip", where=str(path))


def read_compound_smiles(path: PathLike) -> pd.Series:
    """Compound ID -> SMILES from a chemCPA map (headerless ``BRD-ID, SMILES``) or a
    dhimmel/LINCS pertinfo table (``pert_id`` + ``canonical_smiles``).

    Entries without SMILES are dropped (and counted in ``attrs["n_without_smiles"]``).
    """
    path = Path(path)
    with open_text(path, what="compound SMILES file") as handle:
        first = handle.readline()
    if "pert_id" in first:
        frame = read_csv_checked(
            path,
            what="LINCS pertinfo",
            sep="\t" if "\t" in first else ",",
            required=["pert_id", "canonical_smiles"],
            dtype=str,
        )
        series = pd.Series(frame["canonical_smiles"].to_numpy(), index=frame["pert_id"].to_numpy())
    else:
        # chemCPA: "BRD-A00100033, CC1CS..." -- a space after the comma.
        frame = read_csv_checked(
            path,
            what="compound SMILES map",
            header=None,
            names=["pert_id", "smiles"],
            skipinitialspace=True,
            dtype=str,
        )
        series = pd.Series(frame["smiles"].to_numpy(), index=frame["pert_id"].str.strip().to_numpy())
    series = series.astype(object)
    has = series.notna() & (series.astype(str).str.strip() != "") & (series != "-666")
    out = series[has].astype(str).str.strip()
    out = out[~out.index.duplicated(keep="first")]
    out.index.name = "pert_id"
    out.name = "smiles"
    out.attrs["n_without_smiles"] = int((~has).sum())
    return out


def read_basal_profiles(path: PathLike, *, gene_info: PathLike | None = None) -> pd.DataFrame:
    """Basal (control) expression per cell line: a (cell lines x genes) table.

    Parameters
    ----------
    path
        CSV with the cell-line id in the first column (e.g. TranSiGen's
        ``basal_expression_modz_x1``). Columns are gene ids, or positions ``0..n-1``.
    gene_info
        Landmark gene table (``gene_id`` column) whose row order names positional
        columns; then the columns become Entrez gene ids (strings).

    Raises
    ------
    ValueError
        On duplicated cell lines, non-numeric values, or a gene table whose length does
        not match the number of positional columns.
    """
    from cellresponse.io._common import numeric_matrix

    path = Path(path)
    frame = read_csv_checked(path, what="basal expression table")
    frame = numeric_matrix(frame, id_column=frame.columns[0], path=path, what="basal expression table")
    if gene_info is not None:
        genes = read_csv_checked(gene_info, what="landmark gene table", required=["gene_id"], dtype={"gene_id": str})
        if len(genes) != frame.shape[1]:
            raise InputError(
                f"basal expression table {path} has {frame.shape[1]} gene columns but {gene_info} "
                f"lists {len(genes)} genes"
            )
        frame.columns = pd.Index(genes["gene_id"].astype(str).to_numpy())
    if frame.isna().to_numpy().any():
        bad = frame.index[frame.isna().any(axis=1)]
        raise InputError(f"basal expression table {path}: NaN in cell line(s) {examples(bad)}")
    frame.index.name = "cell_line"
    return frame


def read_transigen_pairs(path: PathLike) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read TranSiGen's ``processed_data.h5``: (basal, treated) profile pairs with SMILES.

    Returns
    -------
    meta, basal, treated
        ``meta`` indexed by ``sig`` with ``cell_line`` and ``smiles``; ``basal`` (x1) and
        ``treated`` (x2) are (pairs x genes) float32 frames with positional gene columns
        (the file stores no gene ids; TranSiGen uses ``landmark_geneinfo.csv`` order).
        The file has no dose or time.

    Raises
    ------
    ValueError
        If a dataset is missing or the shapes disagree.
    """
    from cellresponse.io._gct import _decode, open_hdf5

    path = Path(path)
    with open_hdf5(path, what="TranSiGen file") as h5:
        missing = [k for k in ("canonical_smiles", "cid", "sig", "x1", "x2") if k not in h5]
        if missing:
            raise InputError(f"{path} lacks HDF5 dataset(s) {missing}; not a TranSiGen processed_data file")
        sig = _decode(h5["sig"][:])
        meta = pd.DataFrame(
            {"cell_line": _decode(h5["cid"][:]), "smiles": _decode(h5["canonical_smiles"][:])},
            index=pd.Index(sig, name="sig"),
        )
        x1, x2 = np.asarray(h5["x1"][:], np.float32), np.asarray(h5["x2"][:], np.float32)
    if x1.shape != x2.shape or x1.shape[0] != len(meta):
        raise InputError(f"{path}: x1 {x1.shape}, x2 {x2.shape} and {len(meta)} signatures disagree")
    cols = pd.RangeIndex(x1.shape[1])
    return (
        meta,
        pd.DataFrame(x1, index=meta.index, columns=cols),
        pd.DataFrame(x2, index=meta.index, columns=cols),
    )


def basal_from_controls(
    values: pd.DataFrame, meta: pd.DataFrame, *, control_types: Sequence[str] = ("ctl_vehicle",)
) -> pd.DataFrame:
    """Basal profile per cell line as the mean of its control (e.g. DMSO) signatures.

    ``values`` is (signatures x genes); ``meta`` has ``cell_id`` and ``pert_type``.
    """
    for col in ("cell_id", "pert_type"):
        if col not in meta.columns:
            raise InputError(f"signature metadata needs column {col!r}; has {list(meta.columns)}")
    ctl = meta.index[meta["pert_type"].isin(control_types)]
    if len(ctl) == 0:
        raise InputError(f"no control signatures (pert_type in {list(control_types)})")
    out = values.loc[ctl].groupby(meta.loc[ctl, "cell_id"].to_numpy()).mean()
    out.index.name = "cell_line"
    return out


__all__ = [
    "basal_from_controls",
    "parse_dose",
    "parse_dose_time",
    "parse_time",
    "read_basal_profiles",
    "read_compound_smiles",
    "read_sig_info",
    "read_transigen_pairs",
]
