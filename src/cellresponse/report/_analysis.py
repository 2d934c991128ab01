"""HTML reports for the DE, explore and biomarker analyses.

Rendering only: callers pass summaries, result tables and base64 PNG figures (see
:func:`cellresponse.plotting.figure_to_base64_png`); nothing is computed here. Templates
live in ``report/templates/`` and are rendered with autoescaping on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cellresponse.report._html import environment, table_html

ANALYSIS_TEMPLATES = {
    "de": "de.html.j2",
    "explore": "explore.html.j2",
    "biomarkers": "biomarkers.html.j2",
    "runs": "runs.html.j2",
}


def render_analysis_report(
    kind: str,
    *,
    title: str,
    summary: Mapping[str, Any],
    figures: Mapping[str, str],
    tables: Mapping[str, pd.DataFrame],
    notes: Sequence[str] = (),
    run_info: Mapping[str, Any] | None = None,
) -> str:
    """Render the self-contained report of an analysis: ``kind`` is ``"de"``, ``"explore"``,
    ``"biomarkers"`` or ``"runs"`` (a set of benchmark runs: seeds or datasets).

    Parameters
    ----------
    kind
        Which analysis (its template).
    title
        Page title.
    summary
        What the analysis was: for DE ``DEResult.summary()`` (method, design, contrast,
        counts of significant genes); for explore the dataset size, classes, CV scheme.
    figures
        Caption -> base64 PNG (volcano, MA, PCA, embedding, ...), embedded inline.
    tables
        Caption -> table (top genes, nested-CV scores, enrichment, ...).
    notes
        Caveats to show prominently (e.g. backend warnings about the design).
    run_info
        Inputs, hashes and versions, shown at the end.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    TypeError
        If a figure is not a base64 PNG string.
    """
    from cellresponse import __version__

    if kind not in ANALYSIS_TEMPLATES:
        raise ValueError(f"unknown analysis report {kind!r}; choose from {sorted(ANALYSIS_TEMPLATES)}")
    for name, fig in figures.items():
        if not isinstance(fig, str) or fig.startswith("<"):
            raise TypeError(f"figure {name!r} must be a base64 PNG string")
    template = environment().get_template(ANALYSIS_TEMPLATES[kind])
    return str(
        template.render(
            title=title,
            version=__version__,
            summary=dict(summary),
            figures=dict(figures),
            tables={k: table_html(v, index=False, digits=4, significant=True) for k, v in tables.items()},
            notes=list(notes),
            run_info=dict(run_info or {}),
        )
    )


__all__ = ["ANALYSIS_TEMPLATES", "render_analysis_report"]
