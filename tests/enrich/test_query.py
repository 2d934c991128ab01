"""Query genes from a DE table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.enrich import de_query, translate_genes


def de_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gene": ["up1", "up2", "down1", "flat", "untested"],
            "log2fc": [2.0, 1.0, -1.5, 0.1, np.nan],
            "pvalue": [1e-6, 1e-4, 1e-5, 0.5, np.nan],
            "padj": [1e-5, 0.05, 1e-4, 0.6, np.nan],
        }
    )


def test_direction_and_universe():
    table = de_table()
    genes, universe = de_query(table, alpha=0.1)
    assert genes == ["up1", "up2", "down1"] and universe == ["up1", "up2", "down1", "flat"]
    assert de_query(table, alpha=0.1, direction="up")[0] == ["up1", "up2"]
    assert de_query(table, alpha=0.1, direction="down")[0] == ["down1"]
    assert de_query(table, alpha=0.01)[0] == ["up1", "down1"]


def test_bad_input():
    with pytest.raises(ValueError, match="direction must be one of"):
        de_query(de_table(), direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"my\.csv lacks column 'padj'"):
        de_query(de_table().drop(columns="padj"), source="my.csv")


def test_translate_drops_unmapped():
    assert translate_genes(["a", "b", "c"], {"a": "A", "c": "C"}) == ["A", "C"]
