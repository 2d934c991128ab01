"""Resource figures shared by the benchmark scripts (CPU seconds, peak RSS).

The scripts run as ``python benchmarks/NAME.py``, which puts this folder on sys.path,
so they import it as ``from _measure import ...``.
"""

from __future__ import annotations

import resource
import sys


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mib(*, include_children: bool = True) -> float:
    """Peak resident memory in MiB: this process, or the larger of it and its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if include_children else 0
    # ru_maxrss is KiB on Linux, bytes on macOS.
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024**2
    return max(own, kids) * scale
