"""Reports: HTML built from templates, figures and result tables; no computation."""

from cellresponse.report._benchmark import ReportSection, build_report, load_results

__all__ = ["ReportSection", "build_report", "load_results"]
