"""Readers for small gene files: a gene list (one per line) and an ID -> symbol map."""

from __future__ import annotations

from cellresponse._types import PathLike
from cellresponse.errors import InputError
from cellresponse.io._common import read_csv_checked
from cellresponse.io._open import read_text


def read_gene_list(path: PathLike) -> list[str]:
    """Genes of a text file, one per line (blank lines skipped, whitespace stripped).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    """
    genes = [line.strip() for line in read_text(path, what="gene list").splitlines() if line.strip()]
    if not genes:
        raise InputError(f"gene list {path} holds no gene (only blank lines)", source=path)
    return genes


def read_gene_map(path: PathLike) -> dict[str, str]:
    """Gene ID -> symbol from a CSV with columns ``id`` and ``symbol`` (e.g. Ensembl -> HGNC).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a column is missing.
    """
    table = read_csv_checked(path, what="gene map", required=["id", "symbol"], dtype=str)
    bad = table["id"].isna() | table["symbol"].isna()
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 1
        raise InputError(f"gene map {path}: data row {row} lacks an id or a symbol", source=path, row=row)
    ambiguous = table.drop_duplicates().groupby("id")["symbol"].nunique()
    ambiguous = ambiguous[ambiguous > 1]
    if len(ambiguous):
        shown = ", ".join(map(str, ambiguous.index[:5]))
        raise InputError(f"gene map {path}: id(s) mapped to two different symbols: {shown}", source=path)
    return dict(zip(table["id"], table["symbol"], strict=True))


__all__ = ["read_gene_list", "read_gene_map"]
