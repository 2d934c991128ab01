"""The one error path of the command line: which errors are the user's, how they read,
where an interrupted command left its output, and a quiet closed pipe."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cellresponse.errors import CellResponseError

#: Errors that mean "what you gave cannot be used": exit status 2 and one line. The
#: package raises its own :mod:`cellresponse.errors` for bad input; ``ValueError`` and
#: ``KeyError`` are what it raised before them (and what it raises for arguments), and
#: missing extras (``ImportError``) and unusable paths are fixed by the user too.
USER_ERRORS: tuple[type[BaseException], ...] = (
    CellResponseError,
    ValueError,
    KeyError,
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
    FileExistsError,
    ImportError,
)

_OUTPUT: list[str] = []


def note_output(path: str | os.PathLike[str] | None) -> None:
    """Record where the running command writes (named if it is interrupted)."""
    _OUTPUT.clear()
    if path is not None:
        _OUTPUT.append(os.fspath(path))


def reset_output() -> None:
    _OUTPUT.clear()


def interrupted_note(default: str | None) -> str:
    """``interrupted; partial results in DIR`` (or that nothing was written yet)."""
    out = _OUTPUT[0] if _OUTPUT else default
    if out is not None and Path(out).exists() and (not Path(out).is_dir() or any(Path(out).iterdir())):
        resume = " (continue it with --resume)" if (Path(out) / "config.json").is_file() else ""
        return f"interrupted; partial results in {out}{resume}"
    return "interrupted; nothing was written"


def error_text(err: BaseException) -> str:
    """The error's message on one line (a KeyError's message without its quotes)."""
    msg = err.args[0] if isinstance(err, KeyError) and err.args else err
    text = " ".join(str(msg).split())
    return text or type(err).__name__


def flush_stdout() -> None:
    """Flush stdout now, so a closed pipe is met here (and silenced) rather than at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_stdout()
        raise


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (captured)
        pass


__all__ = ["USER_ERRORS", "error_text", "flush_stdout", "interrupted_note", "note_output", "quiet_stdout"]
