"""Figure export helpers shared by every report: base64 PNG for HTML, PNG/SVG files."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from cellresponse._types import PathLike


def figure_to_base64_png(fig: Figure, *, dpi: int = 110, close: bool = True) -> str:
    """PNG bytes of ``fig``, base64-encoded (for ``<img src="data:image/png;base64,...">``)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    if close:
        plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def save_figure(
    fig: Figure,
    path_stem: PathLike,
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 150,
    close: bool = False,
) -> list[Path]:
    """Write ``fig`` as ``path_stem.<fmt>`` for each format; returns the paths.

    ``close`` releases the figure afterwards (pyplot keeps every open figure alive).
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        fig.savefig(path, format=fmt, dpi=dpi, bbox_inches="tight")
        paths.append(path)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return paths


__all__ = ["figure_to_base64_png", "save_figure"]
