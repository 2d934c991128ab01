"""Readers for small gene files: a gene list (one per line) and an ID -> symbol map."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cellresponse._types import PathLike


def read_gene_list(path: PathLike) -> list[str]:
    """Genes of a text file, one per line (blank lines skipped, whitespace stripped).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"gene list {p} does not exist")
    return [line.strip() for line in p.read_text().splitlines() if line.strip()]


def read_gene_map(path: PathLike) -> dict[str, str]:
    """Gene ID -> symbol from a CSV with columns ``id`` and ``symbol`` (e.g. Ensembl -> HGNC).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a column is missing.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"gene map {p} does not exist")
    table = pd.read_csv(p, dtype=str)
    if not {"id", "symbol"} <= set(table.columns):
        raise ValueError(f"gene map {p} needs columns id,symbol; has {list(table.columns)}")
    return dict(zip(table["id"], table["symbol"], strict=True))


__all__ = ["read_gene_list", "read_gene_map"]
