"""gdsctools (GDSC release 17) readers: IC50 matrix, genomic features, annotations."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.errors import InputError
from cellresponse.io._common import (
    check_unique_index,
    float32_dtypes,
    numeric_matrix,
    read_csv_checked,
    to_integer_column,
)

_DRUG_COL = re.compile(r"^Drug_(\d+)_IC50$")


def _header(path: PathLike) -> list[str]:
    return list(read_csv_checked(path, what="gdsctools IC50 matrix", nrows=0).columns)


def read_gdsctools_ic50(path: PathLike) -> pd.DataFrame:
    """Read ``IC50_v17.csv.gz`` (COSMIC_ID x ``Drug_<id>_IC50``) as a long table.

    Empty cells mean "not screened" and are not rows of the result (this is the
    matrix layout, not a loss of data).

    Returns
    -------
    pandas.DataFrame
        ``cosmic_id`` (int64), ``drug_id`` (int64), ``ln_ic50`` (float64).
    """
    what = "gdsctools IC50 matrix"
    frame = read_csv_checked(
        path,
        what=what,
        required=["COSMIC_ID"],
        dtype={**{c: np.float64 for c in _header(path)[1:]}, "COSMIC_ID": str},
    )
    bad = [c for c in frame.columns[1:] if not _DRUG_COL.match(str(c))]
    if bad:
        raise InputError(f"{what} {path}: column(s) {bad[:5]} do not look like 'Drug_<id>_IC50'")
    matrix = numeric_matrix(frame, id_column="COSMIC_ID", path=path, what=what, dtype=np.float64)
    matrix.index = pd.Index(to_integer_column(matrix.index, path=path, what=what, column="COSMIC_ID"))
    matrix.columns = [int(_DRUG_COL.match(c).group(1)) for c in matrix.columns]  # type: ignore[union-attr]
    long = matrix.stack().reset_index()
    long.columns = ["cosmic_id", "drug_id", "ln_ic50"]
    long = long.astype({"cosmic_id": np.int64, "drug_id": np.int64, "ln_ic50": np.float64})
    long.attrs["source"] = str(path)
    return long


def read_gdsctools_genomic_features(path: PathLike) -> tuple[pd.DataFrame, pd.Series]:
    """Read ``genomic_features_v17.csv.gz``.

    Returns
    -------
    features
        float32 0/1 matrix indexed by COSMIC ID (int) with ``MSI_FACTOR``, ``*_mut`` and
        ``gain_/loss_cna*`` columns.
    tissue
        ``TISSUE_FACTOR`` per COSMIC ID.
    """
    what = "gdsctools genomic features"
    dtype = float32_dtypes(COSMIC_ID=str, TISSUE_FACTOR=str)
    frame = read_csv_checked(path, what=what, required=["COSMIC_ID", "TISSUE_FACTOR"], dtype=dtype)
    tissue = frame.set_index("COSMIC_ID")["TISSUE_FACTOR"]
    features = numeric_matrix(frame.drop(columns=["TISSUE_FACTOR"]), id_column="COSMIC_ID", path=path, what=what)
    features.index = pd.Index(to_integer_column(features.index, path=path, what=what, column="COSMIC_ID"))
    tissue.index = features.index
    return features, tissue


def read_gdsctools_cosmic_info(path: PathLike) -> pd.DataFrame:
    """Read ``cosmic_info.csv.gz``: indexed by ``COSMIC_ID`` with ``SAMPLE_NAME``, tissue labels."""
    what = "gdsctools cosmic_info"
    frame = read_csv_checked(
        path, what=what, required=["SAMPLE_NAME", "COSMIC_ID", "GDSC1"], dtype={"SAMPLE_NAME": str}
    )
    frame = frame.set_index("COSMIC_ID")
    check_unique_index(frame, path=path, what=what)
    return frame


def read_gdsctools_cell_lines(path: PathLike) -> pd.DataFrame:
    """Read ``cancer_cell_lines.csv`` (``NAME, COSMIC, TISSUE, TISSUE_SUB_TYPE``)."""
    what = "gdsctools cancer_cell_lines"
    return read_csv_checked(path, what=what, required=["NAME", "COSMIC", "TISSUE"], dtype={"NAME": str})


def read_gdsctools_drug_decode(path: PathLike) -> pd.DataFrame:
    """Read ``DRUG_DECODE.csv``: indexed by integer ``drug_id`` with ``drug_name``, ``target``."""
    what = "gdsctools DRUG_DECODE"
    frame = read_csv_checked(path, what=what, required=["DRUG_ID", "DRUG_NAME"], dtype=str)
    ids = frame["DRUG_ID"].str.extract(r"^(?:Drug_)?(\d+)(?:_IC50)?$")[0]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise InputError(f"{what} {path}: bad DRUG_ID {frame['DRUG_ID'].iloc[row]!r} at row {row + 1}")
    target = frame["DRUG_TARGET"] if "DRUG_TARGET" in frame.columns else pd.Series(pd.NA, index=frame.index)
    out = pd.DataFrame({"drug_name": frame["DRUG_NAME"].to_numpy(), "target": target.to_numpy()})
    out.index = pd.Index(to_integer_column(ids, path=path, what=what, column="DRUG_ID"), name="drug_id")
    check_unique_index(out, path=path, what=what)
    return out


__all__ = [
    "read_gdsctools_cell_lines",
    "read_gdsctools_cosmic_info",
    "read_gdsctools_drug_decode",
    "read_gdsctools_genomic_features",
    "read_gdsctools_ic50",
]
