"""Query genes for enrichment: the significant genes of a DE table, translated to symbols."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import pandas as pd

Direction = Literal["both", "up", "down"]
DIRECTIONS: tuple[Direction, ...] = ("both", "up", "down")


def de_query(
    table: pd.DataFrame, *, alpha: float = 0.1, direction: Direction = "both", source: str = "DE table"
) -> tuple[list[str], list[str]]:
    """Significant genes of a DE result table and the genes it tested.

    Parameters
    ----------
    table
        A table in the common DE schema (``gene``, ``pvalue``, ``padj``, ``log2fc``).
    alpha
        Genes with ``padj < alpha`` are the query.
    direction
        ``"up"`` (log2fc > 0), ``"down"`` (log2fc < 0) or ``"both"``.
    source
        Name of the table in messages (e.g. its file).

    Returns
    -------
    genes, universe
        The query, and every tested gene (``pvalue`` not missing): the right background
        for an over-representation test of DE genes.

    Raises
    ------
    ValueError
        If a column is missing or ``direction`` is unknown.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    for col in ("gene", "padj", "log2fc", "pvalue"):
        if col not in table.columns:
            raise ValueError(f"{source} lacks column {col!r}")
    sel = table["padj"] < alpha
    if direction == "up":
        sel &= table["log2fc"] > 0
    elif direction == "down":
        sel &= table["log2fc"] < 0
    genes = table.loc[sel, "gene"].astype(str).tolist()
    universe = table.loc[table["pvalue"].notna(), "gene"].astype(str).tolist()
    return genes, universe


def translate_genes(genes: Iterable[str], mapping: Mapping[str, str]) -> list[str]:
    """``genes`` through ``mapping`` (e.g. Ensembl -> symbol); unmapped genes are dropped."""
    return [mapping[g] for g in genes if g in mapping]


__all__ = ["DIRECTIONS", "Direction", "de_query", "translate_genes"]
