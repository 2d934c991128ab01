"""The one opener of input files: every reader of the package goes through it.

:func:`check_input_file` refuses a path that is missing, a directory, unreadable or
empty; :func:`open_text` opens text (``.gz``, ``.bz2`` and ``.xz`` decompressed) and turns
truncated or corrupt compression and undecodable bytes met *while reading* into an
:class:`~cellresponse.errors.InputError` naming the file. :func:`cellresponse.io._common.read_csv_checked`
(tables) is built on both.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cellresponse._types import PathLike
from cellresponse.errors import InputError, MissingInputError

#: Errors a decompressor or decoder raises on damaged input.
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    gzip.BadGzipFile,
    zlib.error,
    lzma.LZMAError,
    UnicodeDecodeError,
    OSError,
)
_MAGIC = {b"\x1f\x8b": ".gz", b"BZh": ".bz2", b"\xfd7zXZ": ".xz", b"PK\x03\x04": ".zip"}


def check_input_file(path: PathLike, *, what: str = "file", allow_empty: bool = False) -> Path:
    """``path`` as a :class:`~pathlib.Path` once it is known to be a readable, non-empty file.

    Raises
    ------
    MissingInputError
        If nothing exists at ``path``.
    InputError
        If ``path`` is a directory, cannot be read, or is empty (0 bytes) unless
        ``allow_empty``.
    """
    p = Path(path)
    if not p.exists():
        raise MissingInputError(f"{what} {p} does not exist", source=p)
    if p.is_dir():
        raise InputError(f"{what} {p} is a directory; expected a file", source=p)
    if not os.access(p, os.R_OK):
        raise InputError(f"{what} {p} is not readable (permission denied)", source=p)
    if not allow_empty and p.stat().st_size == 0:
        raise InputError(f"{what} {p} is empty (0 bytes)", source=p)
    return p


def compression_of(path: Path) -> str | None:
    """``"gzip"``/``"bz2"``/``"xz"`` from the suffix, else ``None``."""
    return {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}.get(path.suffix.lower())


def sniff_compression(path: Path) -> str | None:
    """The compressed format the first bytes say the file is in (``".gz"``, ...), if any."""
    try:
        with path.open("rb") as fh:
            head = fh.read(6)
    except OSError:
        return None
    return next((suffix for magic, suffix in _MAGIC.items() if head.startswith(magic)), None)


def decode_error_message(path: Path, what: str, err: BaseException) -> str:
    """One sentence for a decompression or decoding error of ``path``."""
    if isinstance(err, UnicodeDecodeError):
        packed = sniff_compression(path)
        if packed is not None and compression_of(path) is None:
            return (
                f"{what} {path} is {packed[1:]}-compressed but not named *{packed}; "
                f"rename it (e.g. {path.name}{packed})"
            )
        return f"{what} {path} is not UTF-8 text (binary or corrupt?) at byte {err.start}"
    return f"{what} {path} could not be decompressed/read (truncated or corrupt file?): {type(err).__name__}: {err}"


@contextlib.contextmanager
def open_text(path: PathLike, *, what: str = "file", allow_empty: bool = False) -> Iterator[IO[str]]:
    """Open ``path`` as UTF-8 text, decompressing by suffix.

    A damaged file is often found only while reading (a gzip cut short fails at its end),
    so errors raised inside the ``with`` block by the decompressor or the decoder are
    turned into an :class:`InputError` naming the file as well.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "genes.txt"
    >>> _ = p.write_text("TP53\\nKRAS\\n")
    >>> with open_text(p, what="gene list") as fh:
    ...     fh.read().split()
    ['TP53', 'KRAS']
    """
    p = check_input_file(path, what=what, allow_empty=allow_empty)
    kind = compression_of(p)
    opener: Any = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(kind or "")
    try:
        handle: IO[str] = opener(p, "rt", encoding="utf-8") if opener is not None else p.open("r", encoding="utf-8")
    except OSError as err:
        raise InputError(decode_error_message(p, what, err), source=p) from None
    with handle:
        try:
            yield handle
        except InputError:
            raise
        except DECODE_ERRORS as err:
            raise InputError(decode_error_message(p, what, err), source=p) from None


def read_text(path: PathLike, *, what: str = "file", allow_empty: bool = False) -> str:
    """The whole text of ``path`` (see :func:`open_text`)."""
    with open_text(path, what=what, allow_empty=allow_empty) as fh:
        return fh.read()


__all__ = ["check_input_file", "compression_of", "decode_error_message", "open_text", "read_text", "sniff_compression"]
