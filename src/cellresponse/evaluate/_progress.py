"""The progress bar of long runs (rich), off when not wanted."""

from __future__ import annotations

from typing import Any


def progress_bar(enabled: bool) -> Any:
    """A rich ``Progress`` (a context manager); hidden when ``enabled`` is false."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=False,
    )


__all__ = ["progress_bar"]
