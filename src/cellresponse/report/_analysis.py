"""HTML reports for the DE and explore analyses.

Rendering only: callers pass summaries, result tables and base64 PNG figures (see
:func:`cellresponse.plotting.figure_to_base64_png`); nothing is computed here. Templates
live in ``report/templates/`` and are rendered with autoescaping on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cellresponse.report._html import environment, table_html


def _render(
    template: str,
    *,
    title: str,
    summary: Mapping[str, Any],
    figures: Mapping[str, str],
    tables: Mapping[str, pd.DataFrame],
    notes: Sequence[str],
    run_info: Mapping[str, Any],
) -> str:
    from cellresponse import __version__

    for name, fig in figures.items():
        if not isinstance(fig, str) or fig.startswith("<"):
            raise TypeError(f"figure {name!r} must be a base64 PNG string")
    return str(
        environment()
        .get_template(template)
        .render(
            title=title,
            version=__version__,
            summary=dict(summary),
            figures=dict(figures),
            tables={k: table_html(v, index=False, digits=4, significant=True) for k, v in tables.items()},
            notes=list(notes),
            run_info=dict(run_info),
        )
    )


def render_de_report(
    *,
    title: str,
    summary: Mapping[str, Any],
    figures: Mapping[str, str],
    tables: Mapping[str, pd.DataFrame],
    notes: Sequence[str] = (),
    run_info: Mapping[str, Any] | None = None,
) -> str:
    """Render the self-contained DE report.

    Parameters
    ----------
    title
        Page title.
    summary
        ``DEResult.summary()`` (method, design, contrast, counts of significant genes).
    figures
        Caption -> base64 PNG (volcano, MA, PCA, heatmap, ...), embedded inline.
    tables
        Caption -> table (e.g. the top genes, an enrichment table).
    notes
        Caveats to show prominently (e.g. backend warnings about the design).
    run_info
        Inputs, hashes and versions, shown at the end.

    Returns
    -------
    str
        The HTML document.
    """
    return _render(
        "de.html.j2",
        title=title,
        summary=summary,
        figures=figures,
        tables=tables,
        notes=notes,
        run_info=run_info or {},
    )


def render_explore_report(
    *,
    title: str,
    summary: Mapping[str, Any],
    figures: Mapping[str, str],
    tables: Mapping[str, pd.DataFrame],
    notes: Sequence[str] = (),
    run_info: Mapping[str, Any] | None = None,
) -> str:
    """Render the exploratory-ML report (embedding, nested-CV scores, top genes).

    Parameters are as for :func:`render_de_report`; ``summary`` holds the dataset
    size, classes and the CV scheme.
    """
    return _render(
        "explore.html.j2",
        title=title,
        summary=summary,
        figures=figures,
        tables=tables,
        notes=notes,
        run_info=run_info or {},
    )


__all__ = ["render_de_report", "render_explore_report"]
