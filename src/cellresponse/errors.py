"""The package's own errors: one small family at the bottom of the layer stack.

Every reader, validator and writer raises these for problems a user can fix, so a caller
(the command line, a service, a test) can tell bad input from a bug by type alone:

- :class:`InputError` (a ``ValueError``): a file, row, ID, argument or parameter that is
  not what was expected. It carries where the problem is (``source``: the file or the
  argument; ``row``: the 1-based data row; ``key``: the ID) and its message names them.
- :class:`MissingInputError` (also a ``FileNotFoundError``): an input that does not exist.
- :class:`UnknownIdError` (also a ``KeyError``): an ID that is not known, with the closest
  known ones.
- :class:`ModelFileError`: a saved model that fails its own verification.
- :class:`OutputError`: an output location that cannot be used (a file where a directory
  is needed, not writable, not empty without ``--overwrite``).
- :class:`LockedError`: a results directory another live run is writing.

Anything else that escapes the package is a bug (the command line reports it as an
internal error).
"""

from __future__ import annotations

import os


class CellResponseError(Exception):
    """Base of every error cellresponse raises on purpose."""


class InputError(CellResponseError, ValueError):
    """Bad input: what is wrong, where (file, row, ID, argument) and what was expected.

    Parameters
    ----------
    message
        The whole sentence shown to the user; it names the file or argument.
    source
        The file or argument at fault (kept as a string).
    row
        1-based data row (the header is not counted), where there is one.
    key
        The ID at fault, where there is one.

    Examples
    --------
    >>> err = InputError("pairs.csv: data row 3 has no drug", source="pairs.csv", row=3)
    >>> isinstance(err, ValueError), err.source, err.row
    (True, 'pairs.csv', 3)
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | os.PathLike[str] | None = None,
        row: int | None = None,
        key: object = None,
    ) -> None:
        super().__init__(message)
        self.source = None if source is None else os.fspath(source)
        self.row = row
        self.key = key


class MissingInputError(InputError, FileNotFoundError):
    """An input file or directory that does not exist."""


class UnknownIdError(InputError, KeyError):
    """An ID (cell line, drug, gene) that is not known where it was looked up; the message
    lists the closest known IDs. Also a ``KeyError``, printed without ``KeyError``'s quotes."""

    __str__ = BaseException.__str__


class ModelFileError(InputError):
    """A saved model whose files are missing, damaged, tampered with or of another model."""


class OutputError(CellResponseError, ValueError):
    """An output location that cannot be used; nothing was written to it.

    ``path`` is the location at fault.
    """

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.path = None if path is None else os.fspath(path)


class LockedError(OutputError):
    """A results directory that another run (``pid``) holds the lock of."""

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None, pid: int | None = None) -> None:
        super().__init__(message, path=path)
        self.pid = pid


__all__ = [
    "CellResponseError",
    "InputError",
    "LockedError",
    "MissingInputError",
    "ModelFileError",
    "OutputError",
    "UnknownIdError",
]
