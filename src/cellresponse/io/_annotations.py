"""DepMap ``sample_info.csv``: the cell-line ID crosswalk (ACH id, CCLE name, COSMIC, RRID)."""

from __future__ import annotations

import pandas as pd

from cellresponse._types import PathLike
from cellresponse.errors import InputError
from cellresponse.io._common import check_unique_index, read_csv_checked, to_integer_column

SAMPLE_INFO_COLUMNS = (
    "DepMap_ID",
    "stripped_cell_line_name",
    "CCLE_Name",
    "alias",
    "COSMIC_ID",
    "lineage",
    "RRID",
    "Sanger_model_ID",
)


def read_depmap_sample_info(path: PathLike) -> pd.DataFrame:
    """Read DepMap ``sample_info.csv``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``DepMap_ID`` (unique); all columns as strings except ``COSMIC_ID``
        (nullable ``Int64``). Empty fields are missing values.

    Raises
    ------
    ValueError
        Missing columns or duplicated ``DepMap_ID`` (names the file and the IDs).
    """
    what = "DepMap sample_info"
    frame = read_csv_checked(path, what=what, required=SAMPLE_INFO_COLUMNS, dtype=str)
    frame["COSMIC_ID"] = to_integer_column(
        frame["COSMIC_ID"], path=path, what=what, column="COSMIC_ID", nullable=True
    ).to_numpy()
    if frame["DepMap_ID"].isna().any():
        raise InputError(f"{what} {path}: empty 'DepMap_ID' in {int(frame['DepMap_ID'].isna().sum())} rows")
    frame = frame.set_index("DepMap_ID")
    check_unique_index(frame, path=path, what=what)
    return frame


__all__ = ["SAMPLE_INFO_COLUMNS", "read_depmap_sample_info"]
