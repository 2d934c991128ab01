"""Readers for RNA-seq count matrices and sample tables (CSV/TSV or AnnData ``.h5ad``).

Parsing only: the readers return DataFrames in one orientation, samples in rows and
genes in columns (the AnnData/pydeseq2 convention). Validation of the design against the
matrix happens in :mod:`cellresponse.de`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.errors import InputError, MissingInputError
from cellresponse.io._common import read_csv_checked
from cellresponse.io._open import check_input_file


def _sep_for(path: Path) -> str:
    """Pick the delimiter from the file suffix (``.gz`` is looked through)."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in {".gz", ".bz2", ".xz"}]
    last = suffixes[-1] if suffixes else ""
    if last in {".tsv", ".txt", ".tab"}:
        return "\t"
    if last == ".csv":
        return ","
    raise InputError(
        f"cannot tell the delimiter of {path}: expected a .csv, .tsv, .txt or .tab file "
        "(optionally .gz); rename the file (or pass sep= in Python)",
        source=path,
    )


def _existing(path: PathLike, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise MissingInputError(f"{what} file {p} does not exist", source=p)
    if p.is_dir():
        raise InputError(f"{what} file {p} is a directory; expected a file", source=p)
    return p


def read_counts(
    path: PathLike,
    *,
    genes_in_rows: bool = True,
    sep: str | None = None,
) -> pd.DataFrame:
    """Read a delimited count (or expression) matrix.

    Parameters
    ----------
    path
        CSV/TSV file (optionally gzipped). The first column holds the row IDs and the
        header holds the column IDs.
    genes_in_rows
        ``True`` (the usual layout of count files) when rows are genes and columns are
        samples; the result is transposed so that samples are rows.
    sep
        Delimiter; inferred from the suffix when ``None``.

    Returns
    -------
    pandas.DataFrame
        Samples x genes, numeric. The index is named ``sample`` and the columns ``gene``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the IDs are duplicated or a value is not numeric (the message names the first
        offending row and column).
    """
    p = _existing(path, "counts")
    df = read_csv_checked(p, what="count matrix", sep=sep or _sep_for(p), index_col=0)
    df.index = df.index.astype(str)
    df.columns = df.columns.astype(str)
    row_kind, col_kind = ("gene", "sample") if genes_in_rows else ("sample", "gene")
    for ids, kind in ((df.index, row_kind), (df.columns, col_kind)):
        dup = ids[ids.duplicated()].unique()
        if len(dup):
            raise InputError(f"{p}: duplicated {kind} IDs: {', '.join(map(str, dup[:5]))}")
    bad_cols = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if bad_cols:
        col = bad_cols[0]
        coerced = pd.to_numeric(df[col], errors="coerce")
        row = coerced.index[coerced.isna() & df[col].notna()][0]
        raise InputError(f"{p}: non-numeric value {df.at[row, col]!r} at {row_kind} {row!r}, {col_kind} {col!r}")
    out = df.T if genes_in_rows else df
    out = out.copy()
    out.index.name = "sample"
    out.columns.name = "gene"
    return out


def read_sample_table(
    path: PathLike,
    *,
    sample_column: str | None = None,
    strip_suffix: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Read a sample annotation table (one row per sample).

    Parameters
    ----------
    path
        CSV/TSV file.
    sample_column
        Column with the sample IDs; the first column when ``None``.
    strip_suffix
        Suffix to remove from the sample IDs, e.g. ``"fb"`` for pasilla, whose sample
        table says ``treated1fb`` where the count header says ``treated1``.
    sep
        Delimiter; inferred from the suffix when ``None``.

    Returns
    -------
    pandas.DataFrame
        Indexed by sample ID (index name ``sample``), one column per annotation.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    KeyError
        If ``sample_column`` is not a column of the table.
    ValueError
        If sample IDs are duplicated.
    """
    p = _existing(path, "sample table")
    df = read_csv_checked(p, what="sample table", sep=sep or _sep_for(p))
    if sample_column is None:
        sample_column = str(df.columns[0])
    elif sample_column not in df.columns:
        raise KeyError(
            f"sample_column {sample_column!r} is not a column of {p}; columns: {', '.join(map(str, df.columns))}"
        )
    ids = df[sample_column].astype(str)
    if strip_suffix:
        ids = ids.str.removesuffix(strip_suffix)
    df = df.drop(columns=[sample_column])
    df.index = pd.Index(ids, name="sample")
    dup = df.index[df.index.duplicated()].unique()
    if len(dup):
        raise InputError(f"{p}: duplicated sample IDs: {', '.join(dup[:5])}")
    return df


def read_h5ad_counts(path: PathLike, *, layer: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read counts and the sample table from an AnnData ``.h5ad`` file.

    Parameters
    ----------
    path
        ``.h5ad`` file with samples as observations and genes as variables.
    layer
        Layer to read instead of ``X``.

    Returns
    -------
    counts, samples
        Samples x genes DataFrame and the ``obs`` table (both indexed by sample).

    Raises
    ------
    ImportError
        If anndata is not installed.
    KeyError
        If ``layer`` is not in the file.
    """
    try:
        import anndata
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("reading .h5ad needs anndata: pip install 'cellresponse[de]'") from err
    p = check_input_file(path, what="h5ad file")
    try:
        adata = anndata.read_h5ad(p)
    except (MemoryError, ImportError):
        raise
    except Exception as err:  # anndata/h5py raise many types (IORegistryError, KeyError, ...) on damaged files
        raise InputError(
            f"h5ad file {p} is not a readable AnnData file ({type(err).__name__}: {err})", source=p
        ) from None
    if layer is not None:
        if layer not in adata.layers:
            raise KeyError(f"layer {layer!r} not in {p}; layers: {list(adata.layers)}")
        x = adata.layers[layer]
    else:
        x = adata.X
    if hasattr(x, "toarray"):
        x = x.toarray()
    counts = pd.DataFrame(
        np.asarray(x),
        index=pd.Index(adata.obs_names.astype(str), name="sample"),
        columns=pd.Index(adata.var_names.astype(str), name="gene"),
    )
    samples = adata.obs.copy()
    samples.index = counts.index
    return counts, samples


def read_count_data(
    counts_path: PathLike,
    samples_path: PathLike | None = None,
    *,
    genes_in_rows: bool = True,
    sample_column: str | None = None,
    strip_suffix: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a count matrix and its sample table from delimited files or one ``.h5ad``.

    Parameters
    ----------
    counts_path
        Delimited matrix or ``.h5ad`` file.
    samples_path
        Sample table; optional for ``.h5ad`` (``obs`` is used), required otherwise.
    genes_in_rows, sample_column, strip_suffix
        See :func:`read_counts` and :func:`read_sample_table`.

    Returns
    -------
    counts, samples
        Samples x genes matrix and sample table (not yet aligned; see
        :func:`cellresponse.de.align_samples`).

    Raises
    ------
    ValueError
        If a delimited matrix is given without a sample table.
    """
    if str(counts_path).endswith(".h5ad"):
        counts, samples = read_h5ad_counts(counts_path)
        if samples_path is not None:
            samples = read_sample_table(samples_path, sample_column=sample_column, strip_suffix=strip_suffix)
        return counts, samples
    if samples_path is None:
        raise InputError(f"samples_path is required with a delimited count matrix ({counts_path})")
    counts = read_counts(counts_path, genes_in_rows=genes_in_rows)
    samples = read_sample_table(samples_path, sample_column=sample_column, strip_suffix=strip_suffix)
    return counts, samples


__all__ = ["read_count_data", "read_counts", "read_h5ad_counts", "read_sample_table"]
