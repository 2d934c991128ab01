"""DepMap readers: CRISPR gene effect / dependency, Model.csv, omics, and the shared folders.

Public DepMap layouts (``depmap.org`` portal downloads):

- ``CRISPRGeneEffect.csv`` / ``CRISPRGeneDependency.csv``: rows = models (``ACH-000001``),
  first column unnamed or ``ModelID``; columns ``SYMBOL (ENTREZ)`` such as ``A1BG (1)``.
- ``OmicsExpressionProteinCodingGenesTPMLogp1.csv``: the same wide layout; newer releases
  add ``SequencingID, ModelID, IsDefaultEntryForModel, ...`` columns before the genes.
- ``Model.csv``: one row per model, ``ModelID`` plus names and ``OncotreeLineage``.

Folders of the shared data root:

- ``depmap_crispr_22q1_oncodb_categories``: genes x CCLE names, 3 ordered classes.
- ``depmap_gene_level_egbench``: per-gene mean effect and common-essential labels.
- ``depmap_deepdep_example``: genes x 3 anonymised lines, tab-separated.

Every matrix reader returns rows = cell lines and columns = gene symbols (float32, NaN =
missing), with ``frame.attrs["entrez"]`` mapping symbol -> Entrez id where the file has it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.errors import InputError
from cellresponse.io._common import logger, read_csv_checked, to_numeric_column
from cellresponse.io._open import check_input_file

OnEmpty = Literal["raise", "drop"]

#: ``SYMBOL (ENTREZ)`` column names of DepMap wide matrices.
GENE_COLUMN = re.compile(r"^(?P<symbol>.+?) \((?P<entrez>\d+)\)$")
#: Non-gene columns some DepMap omics releases put before the gene columns.
DEPMAP_META_COLUMNS = (
    "SequencingID",
    "ModelID",
    "IsDefaultEntryForModel",
    "ModelConditionID",
    "IsDefaultEntryForMC",
)
ONCODB_CLASSES = ("weak_dependency", "dependency", "strong_dependency")


def parse_gene_columns(columns: pd.Index | list[str]) -> tuple[list[str], dict[str, int]]:
    """Split ``SYMBOL (ENTREZ)`` names into symbols and a symbol -> Entrez map.

    Names without an Entrez part are kept unchanged (older releases used bare symbols).

    Examples
    --------
    >>> parse_gene_columns(["A1BG (1)", "TP53 (7157)", "FOO"])
    (['A1BG', 'TP53', 'FOO'], {'A1BG': 1, 'TP53': 7157})
    """
    symbols: list[str] = []
    entrez: dict[str, int] = {}
    for col in map(str, columns):
        match = GENE_COLUMN.match(col)
        if match is None:
            symbols.append(col)
        else:
            symbols.append(match["symbol"])
            entrez[match["symbol"]] = int(match["entrez"])
    return symbols, entrez


def _check_genes(symbols: list[str], *, path: PathLike, what: str) -> None:
    index = pd.Index(symbols)
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()
        raise InputError(
            f"{what} {path}: {len(dup)} duplicated gene column(s) after parsing 'SYMBOL (ENTREZ)': {examples(dup)}"
        )


def _drop_empty(frame: pd.DataFrame, *, on_empty: OnEmpty, path: PathLike, what: str) -> pd.DataFrame:
    """Raise on (or drop and report) rows and columns that hold no value at all."""
    if on_empty not in ("raise", "drop"):
        raise InputError(f"on_empty must be 'raise' or 'drop', got {on_empty!r}")
    values = frame.to_numpy(dtype=np.float32)
    empty_rows = frame.index[np.isnan(values).all(axis=1)]
    empty_cols = frame.columns[np.isnan(values).all(axis=0)]
    if len(empty_rows) == 0 and len(empty_cols) == 0:
        frame.attrs["dropped_empty_rows"] = []
        frame.attrs["dropped_empty_columns"] = []
        return frame
    if on_empty == "raise":
        parts = []
        if len(empty_rows):
            parts.append(f"{len(empty_rows)} all-NaN row(s) (cell lines): {examples(empty_rows)}")
        if len(empty_cols):
            parts.append(f"{len(empty_cols)} all-NaN column(s) (genes): {examples(empty_cols)}")
        raise InputError(f"{what} {path}: " + "; ".join(parts) + "; pass on_empty='drop' to skip them")
    logger.warning(
        "%s %s: dropped %d all-NaN row(s) and %d all-NaN column(s)",
        what,
        path,
        len(empty_rows),
        len(empty_cols),
    )
    attrs = dict(frame.attrs)
    out = frame.drop(index=empty_rows, columns=empty_cols)
    out.attrs.update(attrs)
    out.attrs["dropped_empty_rows"] = list(map(str, empty_rows))
    out.attrs["dropped_empty_columns"] = list(map(str, empty_cols))
    return out


def _wide_matrix(raw: pd.DataFrame, *, path: PathLike, what: str, id_column: str | None) -> pd.DataFrame:
    """Rows = model IDs, columns = gene symbols, float32; errors name file, row and column."""
    frame = raw
    if id_column is None:
        if "ModelID" in frame.columns:
            id_column = "ModelID"
            if "IsDefaultEntryForModel" in frame.columns:
                keep = frame["IsDefaultEntryForModel"].astype(str).str.lower().isin(["yes", "true", "1"])
                frame = frame.loc[keep]
        else:
            id_column = str(frame.columns[0])
    ids = frame[id_column].astype(str)
    frame = frame.drop(columns=[c for c in frame.columns if c in (id_column, *DEPMAP_META_COLUMNS)])
    frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("Unnamed:")])
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].unique()
        raise InputError(f"{what} {path}: {len(dup)} duplicated model ID(s): {examples(dup)}")
    symbols, entrez = parse_gene_columns(frame.columns)
    _check_genes(symbols, path=path, what=what)
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    for col in bad:
        converted = pd.to_numeric(frame[col], errors="coerce")
        wrong = converted.isna() & frame[col].notna()
        if wrong.any():
            row = int(np.flatnonzero(wrong.to_numpy())[0])
            raise InputError(
                f"{what} {path}: column {col!r} must be numeric; ID {ids.iloc[row]!r} "
                f"(data row {row + 1}) has {frame[col].iloc[row]!r}"
            )
        frame[col] = converted
    out = pd.DataFrame(frame.to_numpy(dtype=np.float32), index=pd.Index(ids.to_numpy(), name="cell_line"))
    out.columns = pd.Index(symbols, name="gene")
    out.attrs["entrez"] = entrez
    out.attrs["source"] = str(path)
    return out


def read_depmap_gene_effect(
    path: PathLike, *, on_empty: OnEmpty = "raise", what: str = "DepMap gene-effect matrix"
) -> pd.DataFrame:
    """Read ``CRISPRGeneEffect.csv`` (Chronos gene effect; negative = more essential).

    Parameters
    ----------
    path
        The CSV (optionally gzipped): rows = ``ACH-`` model IDs, columns ``SYMBOL (ENTREZ)``.
    on_empty
        ``"raise"`` (default) or ``"drop"`` for all-NaN rows/columns; dropped IDs are kept
        in ``attrs["dropped_empty_rows"]`` / ``attrs["dropped_empty_columns"]``.
    what
        Description used in error messages.

    Returns
    -------
    pandas.DataFrame
        Rows = model IDs (index ``cell_line``), columns = gene symbols, float32.

    Raises
    ------
    ValueError
        For duplicated genes or model IDs, non-numeric values, or all-NaN rows/columns.
    """
    raw = read_csv_checked(path, what=what)
    frame = _wide_matrix(raw, path=path, what=what, id_column=None)
    return _drop_empty(frame, on_empty=on_empty, path=path, what=what)


def read_depmap_gene_dependency(path: PathLike, *, on_empty: OnEmpty = "raise") -> pd.DataFrame:
    """Read ``CRISPRGeneDependency.csv`` (probability of dependency, in [0, 1]).

    Same layout and errors as :func:`read_depmap_gene_effect`; also raises if a value
    lies outside [0, 1] (e.g. a gene-effect file passed by mistake).
    """
    what = "DepMap gene-dependency matrix"
    frame = read_depmap_gene_effect(path, on_empty=on_empty, what=what)
    values = frame.to_numpy()
    outside = np.isfinite(values) & ((values < 0) | (values > 1))
    if outside.any():
        r, c = (int(v[0]) for v in np.nonzero(outside))
        raise InputError(
            f"{what} {path}: {int(outside.sum())} value(s) outside [0, 1], e.g. "
            f"{frame.index[r]!r} x {frame.columns[c]!r} = {values[r, c]:.3g} "
            "(is this a gene-effect file? use read_depmap_gene_effect)"
        )
    return frame


def read_depmap_expression(path: PathLike, *, on_empty: OnEmpty = "raise") -> pd.DataFrame:
    """Read ``OmicsExpressionProteinCodingGenesTPMLogp1.csv`` (log2(TPM + 1)).

    Both layouts are handled: the older one (first column = model ID) and the newer one
    with ``SequencingID, ModelID, IsDefaultEntryForModel, ...`` columns, where only the
    default entry per model is kept.
    """
    what = "DepMap expression matrix"
    raw = read_csv_checked(path, what=what)
    frame = _wide_matrix(raw, path=path, what=what, id_column=None)
    return _drop_empty(frame, on_empty=on_empty, path=path, what=what)


def read_depmap_model(path: PathLike) -> pd.DataFrame:
    """Read ``Model.csv``: indexed by ``ModelID``; adds ``tissue`` from ``OncotreeLineage``.

    Raises
    ------
    ValueError
        If ``ModelID`` is missing or duplicated.
    """
    what = "DepMap Model.csv"
    frame = read_csv_checked(path, what=what, required=["ModelID"], dtype=str, keep_default_na=False)
    if frame["ModelID"].duplicated().any():
        dup = frame.loc[frame["ModelID"].duplicated(), "ModelID"].unique()
        raise InputError(f"{what} {path}: duplicated ModelID(s): {examples(dup)}")
    frame = frame.set_index("ModelID")
    frame.index.name = "cell_line"
    if "OncotreeLineage" in frame.columns:
        frame["tissue"] = frame["OncotreeLineage"].replace("", "unknown")
    return frame


def read_oncodb_dependency_classes(path: PathLike, *, on_empty: OnEmpty = "raise") -> pd.DataFrame:
    """Read the OncoDB/cancRscore DepMap 22Q1 class table (genes x CCLE names).

    Returns
    -------
    pandas.DataFrame
        Rows = CCLE names, columns = gene symbols; float32 codes 0 = weak, 1 = dependency,
        2 = strong dependency; NaN = missing. ``attrs["entrez"]`` maps symbol -> Entrez id
        and ``attrs["classes"]`` lists the class names in code order.

    Raises
    ------
    ValueError
        For duplicated gene names, codes outside {0, 1, 2}, or all-NaN rows/columns.
    """
    what = "OncoDB dependency-class table"
    raw = read_csv_checked(path, what=what, required=["gene_name", "entrez_id"])
    genes = raw["gene_name"].astype(str)
    _check_genes(genes.tolist(), path=path, what=what)
    values = raw.drop(columns=["gene_name", "entrez_id"])
    frame = _wide_matrix(
        values.T.reset_index().set_axis(["ccle_name", *genes], axis=1),
        path=path,
        what=what,
        id_column="ccle_name",
    )
    codes = frame.to_numpy()
    bad = np.isfinite(codes) & ~np.isin(codes, (0.0, 1.0, 2.0))
    if bad.any():
        r, c = (int(v[0]) for v in np.nonzero(bad))
        raise InputError(
            f"{what} {path}: {int(bad.sum())} value(s) not in {{0, 1, 2}}, e.g. gene "
            f"{frame.columns[c]!r} in {frame.index[r]!r} = {codes[r, c]!r}"
        )
    entrez = pd.to_numeric(raw["entrez_id"], errors="coerce")
    frame.attrs["entrez"] = {g: int(e) for g, e in zip(genes, entrez, strict=True) if pd.notna(e)}
    frame.attrs["classes"] = list(ONCODB_CLASSES)
    return _drop_empty(frame, on_empty=on_empty, path=path, what=what)


def _read_table(path: PathLike, *, what: str, required: list[str]) -> pd.DataFrame:
    path = Path(path)
    if path.suffix == ".parquet":
        check_input_file(path, what=what)
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as err:  # pyarrow on a damaged file
            raise InputError(f"{what} {path} is not a readable parquet file ({type(err).__name__}: {err})") from None
        missing = [c for c in required if c not in frame.columns]
        if missing:
            raise InputError(f"{what} {path} is missing required column(s) {missing}")
        return frame
    return read_csv_checked(path, what=what, required=required)


def _flag(value: object) -> object:
    """``True``/``False`` written as text (a CSV of booleans) -> 1/0; anything else unchanged."""
    text = str(value).strip().lower()
    return {"true": 1, "false": 0}.get(text, value)


def read_egbench_gene_universe(path: PathLike) -> pd.DataFrame:
    """Read an egbench DepMap gene universe (CSV or parquet), indexed by ``gene_symbol``.

    Adds a boolean ``common_essential`` column (from ``official_common_essential``) and,
    where present, ``strongly_selective``.
    """
    what = "egbench gene universe"
    frame = _read_table(path, what=what, required=["gene_symbol", "official_common_essential"])
    frame = frame.drop_duplicates(subset="gene_symbol").set_index("gene_symbol")
    for col, name in (("official_common_essential", "common_essential"), ("strongly_selective", "strongly_selective")):
        if col in frame.columns:
            flags = frame[col].map(_flag) if frame[col].dtype == object else frame[col]
            frame[name] = to_numeric_column(flags.to_frame(col), col, path=path, what=what).fillna(0).astype(bool)
    return frame


def read_egbench_gene_effect_mean(path: PathLike) -> pd.Series:
    """Read the egbench per-gene mean gene effect as a Series indexed by gene symbol."""
    what = "egbench gene-effect means"
    frame = _read_table(path, what=what, required=["gene_symbol", "gene_effect"])
    frame = frame.drop_duplicates(subset="gene_symbol")
    return pd.Series(
        to_numeric_column(frame, "gene_effect", path=path, what=what).to_numpy(np.float64),
        index=pd.Index(frame["gene_symbol"].astype(str), name="gene"),
        name="gene_effect",
    )


def read_deepdep_table(
    path: PathLike,
    *,
    what: str = "DeepDEP table",
    duplicates: Literal["raise", "mean"] = "raise",
) -> pd.DataFrame:
    """Read a DeepDEP/Prep4DeepDEP tab-separated ``Gene x lines`` table, transposed.

    Parameters
    ----------
    path
        The table (``Gene`` column + one column per cell line).
    what
        Description used in error messages.
    duplicates
        ``"raise"`` on repeated gene symbols (default) or ``"mean"`` to average them
        (the DeepDEP expression file repeats 250 symbols); the number merged is kept in
        ``attrs["merged_duplicate_genes"]``.

    Returns
    -------
    pandas.DataFrame
        Rows = cell lines (``CCL_A``, ...), columns = genes, float32.
    """
    if duplicates not in ("raise", "mean"):
        raise InputError(f"duplicates must be 'raise' or 'mean', got {duplicates!r}")
    raw = read_csv_checked(path, what=what, sep="\t", required=["Gene"])
    genes = raw["Gene"].astype(str)
    n_merged = 0
    if duplicates == "raise":
        _check_genes(genes.tolist(), path=path, what=what)
    elif genes.duplicated().any():
        n_merged = int(genes.duplicated().sum())
        raw = raw.groupby("Gene", sort=False).mean(numeric_only=True).reset_index()
        genes = raw["Gene"].astype(str)
    body = raw.drop(columns=["Gene"]).T
    body.columns = genes.to_numpy()
    body.index.name = "cell_line"
    out = _wide_matrix(body.reset_index(), path=path, what=what, id_column="cell_line")
    out.attrs["merged_duplicate_genes"] = n_merged
    return out


__all__ = [
    "DEPMAP_META_COLUMNS",
    "GENE_COLUMN",
    "ONCODB_CLASSES",
    "parse_gene_columns",
    "read_deepdep_table",
    "read_depmap_expression",
    "read_depmap_gene_dependency",
    "read_depmap_gene_effect",
    "read_depmap_model",
    "read_egbench_gene_effect_mean",
    "read_egbench_gene_universe",
    "read_oncodb_dependency_classes",
]
