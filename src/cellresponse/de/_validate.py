"""Input checks and gene filtering shared by the DE methods."""

from __future__ import annotations

import numpy as np
import pandas as pd


def align_samples(counts: pd.DataFrame, samples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Align a samples x genes matrix with its sample table.

    Parameters
    ----------
    counts
        Samples x genes matrix (index = sample IDs).
    samples
        Sample table indexed by sample ID.

    Returns
    -------
    counts, samples
        Both in the matrix's sample order.

    Raises
    ------
    ValueError
        If the two disagree on the set of sample IDs (the message lists the IDs missing
        on each side) or either has duplicated IDs.
    """
    for name, idx in (("counts", counts.index), ("sample table", samples.index)):
        dup = idx[idx.duplicated()].unique()
        if len(dup):
            raise ValueError(f"{name} has duplicated sample IDs: {', '.join(map(str, dup[:5]))}")
    in_counts = set(map(str, counts.index))
    in_table = set(map(str, samples.index))
    if in_counts != in_table:
        only_counts = sorted(in_counts - in_table)
        only_table = sorted(in_table - in_counts)
        raise ValueError(
            "sample table does not match the count matrix: "
            f"{len(only_counts)} samples only in the matrix ({', '.join(only_counts[:5])}), "
            f"{len(only_table)} only in the sample table ({', '.join(only_table[:5])}); "
            f"matrix samples look like {', '.join(sorted(in_counts)[:3])}"
        )
    counts = counts.copy()
    samples = samples.copy()
    counts.index = counts.index.astype(str)
    samples.index = samples.index.astype(str)
    return counts, samples.loc[counts.index]


def check_integer_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Check that a matrix holds non-negative integer counts and return it as int64.

    Parameters
    ----------
    counts
        Samples x genes matrix. Float values that are whole numbers are accepted.

    Returns
    -------
    pandas.DataFrame
        The same matrix with dtype int64.

    Raises
    ------
    ValueError
        If a value is missing, negative or not a whole number; the message names the
        sample and gene and suggests a method for normalised data.
    """
    x = counts.to_numpy(dtype=float)
    bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
    if bad.any():
        i, j = (int(v[0]) for v in np.nonzero(bad))
        raise ValueError(
            f"count methods need non-negative integer counts, but sample {counts.index[i]!r}, "
            f"gene {counts.columns[j]!r} is {float(x[i, j])!r} ({int(bad.sum())} such values); "
            "for normalised or log-scale data use method='welch' or 'mannwhitney'"
        )
    return pd.DataFrame(x.astype(np.int64), index=counts.index, columns=counts.columns)


def check_groups(
    samples: pd.DataFrame,
    *,
    factor: str,
    test_level: str,
    reference_level: str,
) -> pd.Series:
    """Check the contrast against the sample table; return the factor as strings.

    Raises
    ------
    KeyError
        If ``factor`` is not a column of the sample table.
    ValueError
        If a level is absent, the two levels are equal, a value is missing, or a group
        has fewer than two samples.
    """
    if factor not in samples.columns:
        raise KeyError(
            f"contrast factor {factor!r} is not a column of the sample table; "
            f"columns: {', '.join(map(str, samples.columns))}"
        )
    col = samples[factor]
    if col.isna().any():
        missing = col.index[col.isna()]
        raise ValueError(f"sample table column {factor!r} is missing for samples {', '.join(missing[:5])}")
    col = col.astype(str)
    if test_level == reference_level:
        raise ValueError(f"contrast levels are both {test_level!r}; give two different levels")
    counts = col.value_counts()
    for level in (test_level, reference_level):
        n = int(counts.get(level, 0))
        if n == 0:
            raise ValueError(
                f"contrast level {level!r} does not occur in column {factor!r}; "
                f"levels: {', '.join(map(str, counts.index))}"
            )
        if n < 2:
            raise ValueError(f"group {factor}={level!r} has {n} sample; at least 2 per group are needed")
    return col


def filter_low_counts(
    counts: pd.DataFrame,
    *,
    min_count: int = 10,
    min_samples: int = 1,
) -> pd.DataFrame:
    """Keep genes with at least ``min_count`` in at least ``min_samples`` samples.

    The DESeq2 vignette's pre-filter is ``min_samples`` = the smallest group size, so a
    gene expressed in one whole group only is kept.

    Parameters
    ----------
    counts
        Samples x genes.
    min_count
        Minimum count (or value) a sample must reach.
    min_samples
        Number of samples that must reach it.

    Returns
    -------
    pandas.DataFrame
        The matrix restricted to the kept genes (same sample order).

    Raises
    ------
    ValueError
        If the arguments are negative / too large, or no gene passes.
    """
    if min_count < 0:
        raise ValueError(f"min_count must be >= 0, got {min_count}")
    if not 1 <= min_samples <= counts.shape[0]:
        raise ValueError(f"min_samples must be in [1, {counts.shape[0]}] (number of samples), got {min_samples}")
    keep = (counts.to_numpy() >= min_count).sum(axis=0) >= min_samples
    if not keep.any():
        raise ValueError(
            f"no gene has >= {min_count} counts in >= {min_samples} samples; lower min_count or min_samples"
        )
    return counts.loc[:, keep]


__all__ = ["align_samples", "check_groups", "check_integer_counts", "filter_low_counts"]
