"""Reports: HTML built from templates, figures and the written result tables; no scoring."""

from cellresponse.report._analysis import render_analysis_report
from cellresponse.report._benchmark import build_report
from cellresponse.report._html import environment, table_html

__all__ = ["build_report", "environment", "render_analysis_report", "table_html"]
