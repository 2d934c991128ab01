"""The one DE result schema shared by every method."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Columns of every DE result table, in order.
#:
#: ``gene``: gene ID. ``base_mean``: mean expression over all samples (DESeq2: mean of
#: size-factor-normalised counts; tests: mean of the input values). ``log2fc``: log2 fold
#: change of the test level over the reference (DESeq2: the MLE, unshrunk).
#: ``log2fc_shrunk``: apeGLM-shrunk log2 fold change (NaN where shrinkage was not run).
#: ``lfc_se``: standard error of ``log2fc`` (NaN for the rank/t tests). ``statistic``: Wald
#: statistic, t statistic, or Mann-Whitney U / Wilcoxon W. ``pvalue`` in [0, 1] and
#: ``padj`` (Benjamini-Hochberg) >= ``pvalue``; both NaN for genes that were not tested
#: (DESeq2 Cooks outliers / independent filtering, or constant genes).
DE_COLUMNS: tuple[str, ...] = (
    "gene",
    "base_mean",
    "log2fc",
    "log2fc_shrunk",
    "lfc_se",
    "statistic",
    "pvalue",
    "padj",
)


@dataclass(frozen=True)
class DEResult:
    """A differential-expression result: the table plus what produced it.

    Attributes
    ----------
    table
        One row per gene with the columns :data:`DE_COLUMNS`, sorted by p-value
        (untested genes last).
    method
        ``"deseq2"``, ``"welch"``, ``"mannwhitney"``, ``"paired_t"`` or ``"wilcoxon"``.
    design
        The design formula (``"~ donor + condition"``) or a description of the test.
    contrast
        ``(factor, test_level, reference_level)``; ``log2fc > 0`` means higher in
        ``test_level``.
    log_expression
        Samples x genes log-scale matrix used for sample PCA and heatmaps
        (DESeq2: ``log2(normalised counts + 1)``; tests: the input values, log2(x + 1)
        when the input was linear).
    notes
        Messages worth reading next to the table, e.g. known caveats that the backend
        raised as warnings (small residual degrees of freedom), genes filtered.
    params
        Resolved parameters, for ``run.json``.
    """

    table: pd.DataFrame
    method: str
    design: str
    contrast: tuple[str, str, str]
    log_expression: pd.DataFrame
    notes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def n_significant(self, *, alpha: float = 0.1) -> int:
        """Number of genes with ``padj < alpha``."""
        return int((self.table["padj"] < alpha).sum())

    def summary(self, *, alpha: float = 0.1) -> dict[str, Any]:
        """Counts for a report: tested genes, significant up/down at ``alpha``."""
        t = self.table
        sig = t["padj"] < alpha
        return {
            "method": self.method,
            "design": self.design,
            "contrast": list(self.contrast),
            "n_genes": len(t),
            "n_tested": int(t["pvalue"].notna().sum()),
            "alpha": alpha,
            "n_significant": int(sig.sum()),
            "n_up": int((sig & (t["log2fc"] > 0)).sum()),
            "n_down": int((sig & (t["log2fc"] < 0)).sum()),
        }


def validate_de_table(table: pd.DataFrame) -> None:
    """Check the invariants of a DE result table.

    Parameters
    ----------
    table
        A table with :data:`DE_COLUMNS`.

    Raises
    ------
    ValueError
        If a column is missing, a p-value is outside [0, 1], ``padj < pvalue`` for a
        gene, or ``padj`` is not monotone in ``pvalue``; the message names the gene.
    """
    missing = [c for c in DE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"DE table lacks columns {missing}; it has {list(table.columns)}")
    p = table["pvalue"].to_numpy(dtype=float)
    q = table["padj"].to_numpy(dtype=float)
    genes = table["gene"].to_numpy()
    for name, v in (("pvalue", p), ("padj", q)):
        bad = np.flatnonzero(~np.isnan(v) & ((v < 0) | (v > 1)))
        if bad.size:
            raise ValueError(f"{name} of gene {genes[bad[0]]} is {v[bad[0]]}, not in [0, 1]")
    both = ~np.isnan(p) & ~np.isnan(q)
    bad = np.flatnonzero(both & (q < p - 1e-12))
    if bad.size:
        i = bad[0]
        raise ValueError(f"padj {q[i]} < pvalue {p[i]} for gene {genes[i]}")
    order = np.argsort(p[both], kind="stable")
    qs = q[both][order]
    if np.any(np.diff(qs) < -1e-12):
        i = int(np.flatnonzero(np.diff(qs) < -1e-12)[0])
        raise ValueError(f"padj is not monotone in pvalue near gene {genes[both][order][i + 1]}")


def finish_table(table: pd.DataFrame) -> pd.DataFrame:
    """Order the columns, fill the optional ones, sort by p-value (NaN last)."""
    out = table.copy()
    for col in DE_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
    out = out.loc[:, list(DE_COLUMNS)]
    out = out.sort_values(["pvalue", "gene"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


__all__ = ["DE_COLUMNS", "DEResult", "finish_table", "validate_de_table"]
