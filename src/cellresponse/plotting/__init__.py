"""Plotting: functions that return matplotlib figures; no file I/O except in ``_export``."""

from cellresponse.plotting._export import figure_to_base64_png, save_figure

__all__ = ["figure_to_base64_png", "save_figure"]
