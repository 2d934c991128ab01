"""HTML building blocks shared by every report: the template environment and tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def environment() -> Any:
    """The jinja2 environment of ``report/templates`` (autoescaping on, undefined names fail)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("cellresponse", "report/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )


def table_html(
    frame: pd.DataFrame,
    *,
    highlight: Sequence[str] = (),
    digits: int = 3,
    index: bool = True,
    significant: bool = False,
) -> Any:
    """An escaped HTML table; rows whose index is in ``highlight`` get the ``naive`` class.

    Numbers get ``digits`` decimals, or ``digits`` significant digits with ``significant``.
    """
    from markupsafe import Markup

    kind = "g" if significant else "f"
    html = frame.to_html(float_format=lambda v: f"{v:.{digits}{kind}}", na_rep="–", border=0, escape=True, index=index)
    for name in highlight:
        html = html.replace(f"<tr>\n      <th>{name}</th>", f'<tr class="naive">\n      <th>{name}</th>')
    return Markup(html)


__all__ = ["environment", "table_html"]
