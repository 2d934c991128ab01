"""Plotting: functions that return matplotlib figures; no file I/O except in ``_export``."""

from cellresponse.plotting._export import figure_to_base64_png, save_figure
from cellresponse.plotting._leap import plot_combiner_weights, plot_gain, plot_model_scores, split_member_name
from cellresponse.plotting._vnn import plot_embedding_pca, plot_rlipp_top

__all__ = [
    "figure_to_base64_png",
    "plot_combiner_weights",
    "plot_embedding_pca",
    "plot_gain",
    "plot_model_scores",
    "plot_rlipp_top",
    "save_figure",
    "split_member_name",
]
