"""Plotting: functions that return matplotlib figures; no file I/O except in ``_export``."""

from cellresponse.plotting._export import figure_to_base64_png, save_figure

__all__ = ["figure_to_base64_png", "save_figure"]

# LEAP ensemble figures (issue 6).
from cellresponse.plotting._leap import (
    plot_combiner_weights,
    plot_gain,
    plot_model_scores,
    split_member_name,
)

__all__ += ["plot_combiner_weights", "plot_gain", "plot_model_scores", "split_member_name"]
