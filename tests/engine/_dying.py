"""A job function for executor tests whose worker process dies once (importable by the
worker processes, which unpickle functions by module name)."""

from __future__ import annotations

import os
from pathlib import Path


def die_once(marker: str, job: int) -> int:
    """``job * 10``; job 1 kills its worker process the first time it runs."""
    if job == 1 and not Path(marker).exists():
        Path(marker).write_text("died")
        os._exit(1)
    return job * 10


def always_die(marker: str, job: int) -> int:
    """Job 1 kills its worker process every time."""
    if job == 1:
        os._exit(1)
    return job * 10
