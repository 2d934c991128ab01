"""CMap GCT (1.2 / 1.3 text) and GCTX (HDF5) readers and a GCTX writer.

Orientation follows CMap: *rows* are features (genes / probes) and *columns* are samples
(signatures, wells). :class:`GCT` holds ``data`` as a (rows x columns) DataFrame plus row
and column metadata. In a GCTX file the matrix is stored transposed, ``(n_cols, n_rows)``,
so a block of columns (signatures) is one contiguous read; :func:`iter_gctx_chunks`
streams a file in such blocks and keeps memory bounded by the chunk size, not the file.

h5py is imported lazily (the ``[lincs]`` extra).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.errors import InputError
from cellresponse.io._common import logger
from cellresponse.io._open import check_input_file, open_text

GCTX_DATA = "0/DATA/0/matrix"
GCTX_ROW_META = "0/META/ROW"
GCTX_COL_META = "0/META/COL"
MISSING_SENTINELS = ("-666", "-666.0", "na", "NA", "")


@dataclass(frozen=True)
class GCT:
    """A GCT/GCTX matrix with metadata.

    Attributes
    ----------
    data
        ``(n_rows, n_cols)`` float32 DataFrame: index = row ids (probes), columns = column
        ids (signatures).
    row_meta, col_meta
        Metadata indexed by row / column id (may have no columns).
    version
        ``"1.2"``, ``"1.3"`` or ``"GCTX1.0"``.
    src
        The file it was read from.
    """

    data: pd.DataFrame
    row_meta: pd.DataFrame
    col_meta: pd.DataFrame
    version: str
    src: str

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.data.shape[0]), int(self.data.shape[1]))

    def signatures(self) -> pd.DataFrame:
        """The matrix as (columns x rows): one row per signature, one column per gene."""
        return self.data.T


def _require_h5py() -> Any:
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - depends on extras
        raise ImportError("reading GCTX files needs h5py: pip install 'cellresponse[lincs]'") from err
    return h5py


@contextlib.contextmanager
def open_hdf5(path: PathLike, *, what: str) -> Iterator[Any]:
    """Open an HDF5 file for reading; a damaged or foreign file (h5py raises ``OSError``)
    becomes an :class:`InputError` naming it."""
    h5py = _require_h5py()
    p = check_input_file(path, what=what)
    try:
        h5 = h5py.File(p, "r")
    except OSError as err:
        raise InputError(f"{what} {p} is not a readable HDF5 file ({_first_line(err)})", source=p) from None
    with h5:
        try:
            yield h5
        except (InputError, UnknownIdsError):
            raise
        except (OSError, KeyError, RuntimeError, TypeError, ValueError) as err:  # h5py on a damaged file
            raise InputError(
                f"{what} {p} is damaged or not in the expected layout ({_first_line(err)})", source=p
            ) from None


class UnknownIdsError(KeyError):
    """Requested row or column IDs that a file does not hold (an argument, not damage)."""


def _first_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


def _select(ids: pd.Index, wanted: Sequence[str] | None, *, axis: str, path: Path) -> np.ndarray:
    """Positions of ``wanted`` in ``ids`` (all positions if None); raise on unknown IDs."""
    if wanted is None:
        return np.arange(len(ids))
    wanted_idx = pd.Index(list(wanted)).astype(str)
    pos = ids.get_indexer(wanted_idx)
    if (pos < 0).any():
        bad = wanted_idx[pos < 0]
        raise UnknownIdsError(f"{path}: {len(bad)} requested {axis} id(s) not in the file: {examples(bad)}")
    return pos


def _tidy_meta(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn columns that are entirely numeric into numbers; keep the rest as strings."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            conv = pd.to_numeric(out[col], errors="coerce")
            if conv.notna().all():
                out[col] = conv
    return out


# ------------------------------------------------------------------ text GCT
def _parse_int_fields(line: str, n: int, *, path: Path, lineno: int) -> list[int]:
    parts = line.rstrip("\r\n").split("\t")
    parts = [p for p in parts if p != ""]
    if len(parts) < n:
        raise InputError(f"{path}: line {lineno} must hold {n} tab-separated dimension(s), got {line.strip()!r}")
    try:
        return [int(p) for p in parts[:n]]
    except ValueError:
        raise InputError(f"{path}: line {lineno} must hold integer dimensions, got {line.strip()!r}") from None


def read_gct_text(
    path: PathLike,
    *,
    rids: Sequence[str] | None = None,
    cids: Sequence[str] | None = None,
    strict: bool = False,
) -> GCT:
    """Read a text GCT file, version 1.2 or 1.3 (optionally gzipped).

    Parameters
    ----------
    path
        ``.gct`` or ``.gct.gz`` file.
    rids, cids
        Keep only these row / column ids (in the order given).
    strict
        Raise when the number of column-metadata lines differs from the declared one
        (by default an unambiguous surplus/deficit is recovered and logged).

    Returns
    -------
    GCT

    Raises
    ------
    ValueError
        For a missing/unknown version line, malformed dimension line, header or data
        lines whose size disagrees with the declared dimensions, or non-numeric values.
    KeyError
        If a requested id is not in the file.
    """
    path = Path(path)
    with open_text(path, what="GCT file") as fh:
        first = fh.readline().strip()
        if first not in ("#1.2", "#1.3"):
            raise InputError(f"{path}: line 1 must be '#1.2' or '#1.3' (GCT version), got {first!r}")
        version = first[1:]
        n_dims = 2 if version == "1.2" else 4
        dims = _parse_int_fields(fh.readline(), n_dims, path=path, lineno=2)
        n_rows, n_cols = dims[0], dims[1]
        n_rmeta, n_cmeta = (1, 0) if version == "1.2" else (dims[2], dims[3])
        header = fh.readline().rstrip("\r\n").split("\t")
        expected = 1 + n_rmeta + n_cols
        if len(header) != expected:
            raise InputError(
                f"{path}: header (line 3) has {len(header)} fields; GCT {version} with "
                f"{n_cols} columns and {n_rmeta} row-metadata fields needs {expected}"
            )
        col_ids = pd.Index(header[1 + n_rmeta :])
        try:
            body = pd.read_csv(
                fh,
                sep="\t",
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                quoting=csv.QUOTE_NONE,
            )
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: no data lines after the header") from None
        except pd.errors.ParserError as err:
            raise InputError(f"{path}: malformed data lines (ragged rows?): {err}") from None
    if body.shape[1] != expected:
        raise InputError(f"{path}: data lines have {body.shape[1]} fields, but the header declares {expected}")
    n_meta_found = len(body) - n_rows
    if n_meta_found != n_cmeta:
        # Real files (cmapR's modzs_n25x50.gct) declare more column-metadata lines than
        # they hold. Recover only when the surplus is unambiguous: the leading lines are
        # exactly the ones with "na" in every row-metadata field.
        is_meta = (body.iloc[:, 1 : 1 + n_rmeta] == "na").all(axis=1).to_numpy() if n_rmeta else None
        n_lead = int(np.argmin(is_meta)) if is_meta is not None and not is_meta.all() else -1
        if strict or n_meta_found < 0 or n_lead != n_meta_found:
            raise InputError(
                f"{path}: the dimension line declares {n_rows} data rows and {n_cmeta} "
                f"column-metadata lines, but the file holds {len(body)} lines after the header"
            )
        logger.warning(
            "%s: declares %d column-metadata lines but holds %d; read %d data rows",
            path,
            n_cmeta,
            n_meta_found,
            n_rows,
        )
    meta_rows = [list(r) for r in body.iloc[:n_meta_found].itertuples(index=False)]
    body = body.iloc[n_meta_found:].reset_index(drop=True)
    if col_ids.has_duplicates:
        raise InputError(f"{path}: duplicated column ids: {examples(col_ids[col_ids.duplicated()])}")
    row_ids = pd.Index(body[0].to_numpy(str))
    if row_ids.has_duplicates:
        raise InputError(f"{path}: duplicated row ids: {examples(row_ids[row_ids.duplicated()])}")
    rpos = _select(row_ids, rids, axis="row", path=path)
    cpos = _select(col_ids, cids, axis="column", path=path)
    raw = body.iloc[rpos, 1 + n_rmeta + cpos]
    values = raw.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & ~raw.isin(["NaN", "nan", "NA", ""])
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError(
            f"{path}: non-numeric value {raw.iat[r, c]!r} at row id {row_ids[rpos[r]]!r}, "
            f"column id {col_ids[cpos[c]]!r}"
        )
    data = pd.DataFrame(values.to_numpy(np.float32), index=row_ids[rpos], columns=col_ids[cpos])
    rmeta_names = header[1 : 1 + n_rmeta]
    row_meta = pd.DataFrame(body.iloc[rpos, 1 : 1 + n_rmeta].to_numpy(), index=row_ids[rpos], columns=rmeta_names)
    col_meta = pd.DataFrame(
        {m[0]: np.asarray(m[1 + n_rmeta :], dtype=object)[cpos] for m in meta_rows},
        index=col_ids[cpos],
    )
    data.index.name = row_meta.index.name = "rid"
    data.columns.name = col_meta.index.name = "cid"
    return GCT(data, _tidy_meta(row_meta), _tidy_meta(col_meta), version, str(path))


# ---------------------------------------------------------------------- GCTX
def _decode(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind in ("S", "O"):
        return np.array([v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in arr], dtype=object)
    return arr


def _check_gctx(h5: Any, path: Path) -> None:
    missing = [g for g in (GCTX_DATA, f"{GCTX_ROW_META}/id", f"{GCTX_COL_META}/id") if g not in h5]
    if missing:
        raise InputError(
            f"{path} is not a valid GCTX file: missing HDF5 object(s) {missing} "
            f"(a GCTX needs /{GCTX_DATA} and /0/META/ROW/id, /0/META/COL/id)"
        )
    shape = h5[GCTX_DATA].shape
    n_r, n_c = h5[f"{GCTX_ROW_META}/id"].shape[0], h5[f"{GCTX_COL_META}/id"].shape[0]
    if len(shape) != 2 or shape != (n_c, n_r):
        raise InputError(
            f"{path}: matrix has shape {shape} but metadata has {n_c} column ids and {n_r} row ids "
            f"(expected ({n_c}, {n_r}))"
        )


def _read_meta_group(h5: Any, group: str, sel: np.ndarray | slice) -> pd.DataFrame:
    grp = h5[group]
    ids = _decode(grp["id"][sel])
    cols = {}
    for name in grp:
        if name == "id":
            continue
        cols[name] = _decode(grp[name][sel])
    return _tidy_meta(pd.DataFrame(cols, index=pd.Index(ids, dtype=object)))


def _sorted_read(dset: Any, cpos: np.ndarray, rpos: np.ndarray | None) -> np.ndarray:
    """Read matrix[cpos][:, rpos] with h5py's increasing-index rule, in requested order."""
    order = np.argsort(cpos, kind="stable")
    sorted_c = cpos[order]
    if len(sorted_c) and (np.diff(sorted_c) == 1).all():
        block = dset[int(sorted_c[0]) : int(sorted_c[-1]) + 1]
    else:
        block = dset[sorted_c] if len(sorted_c) else np.empty((0, dset.shape[1]), np.float32)
    if rpos is not None:
        block = block[:, rpos]
    out = np.empty_like(block)
    out[order] = block
    return out


def read_gctx_meta(path: PathLike, *, dim: str = "col") -> pd.DataFrame:
    """Read only the row (``dim="row"``) or column (``dim="col"``) metadata of a GCTX."""
    path = Path(path)
    if dim not in ("row", "col"):
        raise InputError(f"dim must be 'row' or 'col', got {dim!r}")
    with open_hdf5(path, what="GCTX file") as h5:
        _check_gctx(h5, path)
        return _read_meta_group(h5, GCTX_ROW_META if dim == "row" else GCTX_COL_META, slice(None))


def read_gctx(
    path: PathLike,
    *,
    rids: Sequence[str] | None = None,
    cids: Sequence[str] | None = None,
) -> GCT:
    """Read a GCTX (HDF5) file, optionally only some rows / columns.

    Only the requested columns (signatures) are read from disk.

    Raises
    ------
    ValueError
        If the file lacks the ``/0/DATA/0/matrix`` dataset or the ``/0/META/ROW`` /
        ``/0/META/COL`` id groups, or shapes disagree.
    KeyError
        If a requested id is not in the file.
    """
    path = Path(path)
    with open_hdf5(path, what="GCTX file") as h5:
        _check_gctx(h5, path)
        row_ids = pd.Index(_decode(h5[f"{GCTX_ROW_META}/id"][:]))
        col_ids = pd.Index(_decode(h5[f"{GCTX_COL_META}/id"][:]))
        rpos = _select(row_ids, rids, axis="row", path=path)
        cpos = _select(col_ids, cids, axis="column", path=path)
        block = _sorted_read(h5[GCTX_DATA], cpos, None if rids is None else rpos)
        row_meta = _read_meta_group(h5, GCTX_ROW_META, slice(None)).iloc[rpos]
        col_meta = _read_meta_group(h5, GCTX_COL_META, slice(None)).iloc[cpos]
        version = h5.attrs.get("version", b"GCTX1.0")
    version = version.decode() if isinstance(version, bytes) else str(version)
    data = pd.DataFrame(block.T.astype(np.float32), index=row_ids[rpos], columns=col_ids[cpos])
    data.index.name = row_meta.index.name = "rid"
    data.columns.name = col_meta.index.name = "cid"
    return GCT(data, row_meta, col_meta, version, str(path))


def iter_gctx_chunks(
    path: PathLike,
    *,
    chunk_size: int = 10_000,
    rids: Sequence[str] | None = None,
    col_meta: bool = True,
) -> Iterator[GCT]:
    """Stream a GCTX file in blocks of ``chunk_size`` columns (signatures).

    Each block's column metadata is read with it, so memory stays bounded by
    ``chunk_size x n_rows`` whatever the number of columns in the file.

    Parameters
    ----------
    path
        The GCTX file.
    chunk_size
        Columns per block (>= 1). Peak memory is about ``chunk_size x n_selected_rows x
        4`` bytes plus one block's metadata.
    rids
        Keep only these rows (genes), e.g. the 978 landmarks of a 12k-gene release.
    col_meta
        Also read each block's column metadata.

    Yields
    ------
    GCT
        One block per iteration, in file order.
    """
    if chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}")
    path = Path(path)
    with open_hdf5(path, what="GCTX file") as h5:
        _check_gctx(h5, path)
        row_ids = pd.Index(_decode(h5[f"{GCTX_ROW_META}/id"][:]))
        rpos = _select(row_ids, rids, axis="row", path=path)
        row_meta = _read_meta_group(h5, GCTX_ROW_META, slice(None)).iloc[rpos]
        row_meta.index.name = "rid"
        dset = h5[GCTX_DATA]
        n_cols = dset.shape[0]
        order = np.argsort(rpos, kind="stable")
        r_sorted, r_back = rpos[order], np.argsort(order, kind="stable")
        if rids is not None and pd.Index(r_sorted).has_duplicates:
            raise InputError(f"{path}: rids lists a row id more than once")
        for start in range(0, n_cols, chunk_size):
            stop = min(start + chunk_size, n_cols)
            # Rows (genes) are selected inside HDF5 so a 12k-gene file never materializes
            # whole blocks; h5py needs increasing indices, so sort and reorder.
            block = dset[start:stop] if rids is None else dset[start:stop, r_sorted][:, r_back]
            if col_meta:
                cmeta = _read_meta_group(h5, GCTX_COL_META, slice(start, stop))
            else:
                cmeta = pd.DataFrame(index=pd.Index(_decode(h5[f"{GCTX_COL_META}/id"][start:stop])))
            cmeta.index.name = "cid"
            data = pd.DataFrame(block.T.astype(np.float32, copy=False), index=row_ids[rpos], columns=cmeta.index)
            data.index.name = "rid"
            yield GCT(data, row_meta, cmeta, "GCTX1.0", str(path))


def read_gct(
    path: PathLike,
    *,
    rids: Sequence[str] | None = None,
    cids: Sequence[str] | None = None,
) -> GCT:
    """Read a GCT 1.2/1.3 text file or a GCTX file (chosen by the ``.gctx`` suffix)."""
    path = Path(path)
    if path.suffix == ".gctx":
        return read_gctx(path, rids=rids, cids=cids)
    return read_gct_text(path, rids=rids, cids=cids)


def _encode_meta(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    out = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[str(col)] = values.to_numpy()
        else:
            out[str(col)] = values.astype(str).str.encode("utf-8").to_numpy().astype("S")
    return out


def write_gctx(
    path: PathLike,
    *,
    values: np.ndarray,
    row_ids: Sequence[str],
    col_ids: Sequence[str],
    row_meta: pd.DataFrame | None = None,
    col_meta: pd.DataFrame | None = None,
    chunk_cols: int = 1000,
) -> Path:
    """Write a GCTX file; ``values`` is ``(n_cols, n_rows)`` (signatures x genes).

    Used to build synthetic files for tests and benchmarks. Metadata frames are aligned
    with ``row_ids`` / ``col_ids`` by position.
    """
    h5py = _require_h5py()
    values = np.asarray(values, dtype=np.float32)
    if values.shape != (len(col_ids), len(row_ids)):
        raise InputError(
            f"values has shape {values.shape}; expected (n_cols, n_rows) = ({len(col_ids)}, {len(row_ids)})"
        )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(out, "w") as h5:
        h5.attrs["version"] = np.bytes_(b"GCTX1.0")
        chunks = (max(1, min(chunk_cols, values.shape[0])), max(1, values.shape[1]))
        h5.create_dataset(GCTX_DATA, data=values, chunks=chunks)
        for group, ids, meta in (
            (GCTX_ROW_META, row_ids, row_meta),
            (GCTX_COL_META, col_ids, col_meta),
        ):
            grp = h5.require_group(group)
            grp.create_dataset("id", data=np.asarray([str(i).encode() for i in ids], dtype="S"))
            if meta is not None:
                if len(meta) != len(ids):
                    raise InputError(f"{group} metadata has {len(meta)} rows for {len(ids)} ids")
                for name, arr in _encode_meta(meta.reset_index(drop=True)).items():
                    if name != "id":
                        grp.create_dataset(name, data=arr)
    return out


__all__ = [
    "GCT",
    "iter_gctx_chunks",
    "read_gct",
    "read_gct_text",
    "read_gctx",
    "read_gctx_meta",
    "write_gctx",
]
