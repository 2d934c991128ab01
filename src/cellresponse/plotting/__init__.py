"""Plotting: functions that return matplotlib figures; no file I/O except in ``_export``.

One module per report: benchmark, expression, LEAP, VNN, biomarkers and attributions, and
the DE / explore / enrich analyses; each figure builder is exported here.
"""

from cellresponse.plotting._benchmark import (
    fold_boxes,
    global_vs_within,
    per_group_waterfall,
    predicted_vs_observed,
    significance,
)
from cellresponse.plotting._biomarkers import (
    agreement_boxes,
    association_boxplot,
    association_volcano,
    attribution_bars,
)
from cellresponse.plotting._calibration import coverage_calibration, error_vs_novelty, group_coverage
from cellresponse.plotting._de import de_figures, heatmap_top_genes, ma_plot, pca_samples, volcano
from cellresponse.plotting._enrich import enrichment_dotplot
from cellresponse.plotting._explore import (
    cv_scores,
    embedding_scatter,
    explore_figures,
    permutation_hist,
    top_genes_bar,
)
from cellresponse.plotting._export import figure_to_base64_png, save_figure
from cellresponse.plotting._expression import plot_dose_response, plot_model_comparison, plot_signature_heatmap
from cellresponse.plotting._leap import plot_combiner_weights, plot_gain, plot_model_scores, split_member_name
from cellresponse.plotting._ranks import critical_difference, transfer_per_drug
from cellresponse.plotting._vnn import plot_embedding_pca, plot_rlipp_top

__all__ = [
    "agreement_boxes",
    "association_boxplot",
    "association_volcano",
    "attribution_bars",
    "coverage_calibration",
    "critical_difference",
    "cv_scores",
    "de_figures",
    "embedding_scatter",
    "enrichment_dotplot",
    "error_vs_novelty",
    "explore_figures",
    "figure_to_base64_png",
    "fold_boxes",
    "global_vs_within",
    "group_coverage",
    "heatmap_top_genes",
    "ma_plot",
    "pca_samples",
    "per_group_waterfall",
    "permutation_hist",
    "plot_combiner_weights",
    "plot_dose_response",
    "plot_embedding_pca",
    "plot_gain",
    "plot_model_comparison",
    "plot_model_scores",
    "plot_rlipp_top",
    "plot_signature_heatmap",
    "predicted_vs_observed",
    "save_figure",
    "significance",
    "split_member_name",
    "top_genes_bar",
    "transfer_per_drug",
    "volcano",
]
