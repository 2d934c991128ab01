"""Reports: HTML built from templates, figures and result tables; no computation."""

from cellresponse.report._benchmark import ReportSection, build_report, load_results

__all__ = ["ReportSection", "build_report", "load_results"]

# Ensemble-member and gene-set sections (issue 6); importing registers them.
from cellresponse.report._benchmark import register_report_section
from cellresponse.report._leap import leap_sections

__all__ += ["leap_sections", "register_report_section"]
