"""Output locations: checked before any expensive work, locked while written, never mixed.

:func:`prepare_output_dir` is called by every command that writes a directory (a
benchmark's results, a merge, a trained model, a DE / explore / enrich analysis) before
it loads data or fits anything. It

- refuses a path that is a file, or whose parent cannot be created or written;
- takes the directory's lock (:class:`RunLock`: ``.cellresponse.lock`` created
  atomically, holding the PID, host and command), so a second run on the same directory
  fails at once naming the first one; a lock left by a dead process is reported and
  taken over only with ``overwrite`` or ``resume``;
- refuses a non-empty directory unless ``existing="overwrite"`` (the files a command
  writes are removed first, so old and new results never sit side by side; a file the
  command does not write is never deleted: the directory is refused instead) or
  ``existing="resume"`` (kept as it is, for the caller to continue).

:func:`check_output_file` does the same checks for a single output file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.errors import LockedError, OutputError

log = logging.getLogger("cellresponse")

LOCK_FILE = ".cellresponse.lock"
Existing = Literal["refuse", "overwrite", "resume"]
EXISTING: tuple[str, ...] = ("refuse", "overwrite", "resume")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


class RunLock:
    """Exclusive lock of one output directory, held by this process.

    The lock file is created with ``O_CREAT | O_EXCL`` (atomic on local file systems) and
    holds ``{"pid", "host", "started", "command"}``. It is removed on :meth:`release`.
    """

    def __init__(self, directory: PathLike) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.held = False
        self.took_over: dict[str, Any] | None = None

    def holder(self) -> dict[str, Any] | None:
        """The lock file's content, or ``None`` when there is no (readable) lock."""
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"pid": -1, "host": "?", "started": "?", "command": "?"}
        return doc if isinstance(doc, dict) else {"pid": -1, "host": "?", "started": "?", "command": "?"}

    def _is_live(self, doc: dict[str, Any]) -> bool:
        if doc.get("host") not in (socket.gethostname(), None):
            return True  # another machine's process cannot be checked from here
        try:
            return _alive(int(doc.get("pid", -1)))
        except (TypeError, ValueError):
            return False

    def acquire(self, *, takeover: bool = False) -> None:
        """Take the lock.

        Raises
        ------
        LockedError
            If a live process holds it, or a dead one left it and ``takeover`` is false.
        OutputError
            If the directory cannot be written.
        """
        doc = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv)[:500],
        }
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                other = self.holder()
                if other is None:
                    continue  # released between our attempt and the read
                if other.get("pid") == os.getpid() and other.get("host") == socket.gethostname():
                    return  # this process holds it already (a command locks before calling the engine)
                self._refuse_or_take(other, takeover=takeover)
                continue
            except OSError as err:
                raise OutputError(
                    f"cannot write to {self.directory} ({err.strerror or err}); choose another output location",
                    path=self.directory,
                ) from None
            with os.fdopen(fd, "w") as fh:
                fh.write(json.dumps(doc) + "\n")
            self.held = True
            return
        raise LockedError(f"could not take the lock of {self.directory}; another run keeps taking it", path=self.path)

    def _refuse_or_take(self, other: dict[str, Any], *, takeover: bool) -> None:
        pid = other.get("pid")
        who = f"process {pid} on {other.get('host')} (started {other.get('started')}: {other.get('command')})"
        if self._is_live(other):
            raise LockedError(
                f"{self.directory} is being written by {who}; wait for it to finish or choose another output "
                f"location (if that process is gone, delete {self.path})",
                path=self.directory,
                pid=pid if isinstance(pid, int) else None,
            )
        if not takeover:
            raise LockedError(
                f"{self.directory} holds the stale lock of {who}, which is no longer running (an interrupted "
                "run?); rerun with --resume to continue it or --overwrite to start again",
                path=self.directory,
                pid=pid if isinstance(pid, int) else None,
            )
        log.warning("taking over the stale lock of %s in %s", who, self.directory)
        self.took_over = other
        # rename first so two processes taking over the same stale lock cannot both win
        stale = self.path.with_name(f"{LOCK_FILE}.stale.{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.path, stale)
            stale.unlink()

    def release(self) -> None:
        """Remove the lock if this process holds it."""
        if not self.held:
            return
        other = self.holder()
        if other is not None and other.get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _usable_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"output location {out} is a file; expected a directory (choose another --out)", path=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"cannot create {out}: a parent of it is a file (choose another --out)", path=out) from None
    except NotADirectoryError:
        raise OutputError(f"cannot create {out}: a parent of it is a file (choose another --out)", path=out) from None
    except OSError as err:
        raise OutputError(f"cannot create {out} ({err.strerror or err}); choose another --out", path=out) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"{out} is not writable (permission denied); choose another --out", path=out)


def _contents(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name != LOCK_FILE and not p.name.startswith(f"{LOCK_FILE}."))


def _clear(out: Path, names: list[str], owned: Iterable[str]) -> None:
    """Remove the ``owned`` entries of ``out``; refuse if anything else is there."""
    owned = set(owned)
    foreign = [n for n in names if n not in owned and not (n.startswith(".") and n.endswith(".tmp"))]
    if foreign:
        raise OutputError(
            f"--overwrite would delete files {out} holds that this command does not write ({examples(foreign)}); "
            "move them or choose another --out",
            path=out,
        )
    for name in names:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def prepare_output_dir(
    out: PathLike,
    *,
    existing: Existing = "refuse",
    owned: Iterable[str] = (),
    what: str = "output directory",
) -> Iterator[RunLock]:
    """Check, lock and (with ``existing="overwrite"``) empty the directory ``out``.

    Parameters
    ----------
    out
        The directory (created with its parents).
    existing
        What to do with a non-empty directory: ``"refuse"``, ``"overwrite"`` (remove the
        ``owned`` entries first; refuse when anything else is there) or ``"resume"``
        (keep it).
    owned
        Names of the files and folders the command writes into ``out``.
    what
        What the directory is, for messages.

    Yields
    ------
    RunLock
        The held lock (released on exit, also on an error or Ctrl-C).

    Raises
    ------
    OutputError
        If ``out`` is a file, cannot be created or written, or is not empty and
        ``existing`` is ``"refuse"``.
    LockedError
        If another live run holds the directory (or a dead one does and ``existing`` is
        ``"refuse"``).
    """
    if existing not in EXISTING:
        raise OutputError(f"existing must be one of {EXISTING}, got {existing!r}")
    path = Path(out)
    owned = tuple(owned)
    _usable_dir(path)
    lock = RunLock(path)
    lock.acquire(takeover=existing != "refuse")
    try:
        names = _contents(path)
        if names and existing == "refuse":
            resume = ", --resume to continue an interrupted run" if "cells" in owned else ""
            raise OutputError(
                f"{what} {path} is not empty (holds {examples(names)}); use --overwrite to replace it{resume}, "
                "or choose another --out",
                path=path,
            )
        if names and existing == "overwrite":
            _clear(path, names, owned)
        yield lock
    finally:
        lock.release()


def check_output_file(path: PathLike, *, what: str = "output file") -> Path:
    """Check that a single output file can be written (its folder is created).

    Raises
    ------
    OutputError
        If ``path`` is a directory, its folder cannot be created, or it cannot be written.
    """
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{what} {p} is a directory; expected a file name", path=p)
    if any(parent.is_file() for parent in p.parents):
        raise OutputError(f"cannot write {what} {p}: a parent of it is a file", path=p)
    _usable_dir(p.parent if str(p.parent) else Path("."))
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputError(f"{what} {p} is not writable (permission denied)", path=p)
    return p


__all__ = ["EXISTING", "LOCK_FILE", "Existing", "RunLock", "check_output_file", "prepare_output_dir"]
