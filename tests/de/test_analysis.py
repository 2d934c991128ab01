"""differential_expression: the whole DE analysis as one library call."""

from __future__ import annotations

import pytest

from cellresponse.de import DE_COLUMNS, DESettings, differential_expression, validate_de_table


def test_welch_paired_analysis(synthetic_counts):
    counts, samples = synthetic_counts
    settings = DESettings(contrast=("condition", "drug", "ctrl"), method="welch", log_scale=False, pair_by="donor")
    analysis = differential_expression(counts, samples, settings=settings)
    table = analysis.result.table
    assert list(table.columns) == list(DE_COLUMNS)
    validate_de_table(table)
    assert table["pvalue"].between(0, 1).all() and (table["padj"] >= table["pvalue"]).all()
    # the planted genes (first 30, up 4x in drug) lead the ranking
    top = set(table.nsmallest(30, "pvalue")["gene"])
    assert len(top & {f"g{j:03d}" for j in range(30)}) >= 25
    assert analysis.n_genes_before == counts.shape[1]
    assert analysis.summary() == analysis.result.summary(alpha=settings.alpha)
    assert list(analysis.samples.index) == list(counts.index)


def test_deseq2_analysis_filters_and_notes(synthetic_counts):
    counts, samples = synthetic_counts
    counts.iloc[:, -5:] = 0  # genes without counts are filtered before testing
    kept = int(((counts >= 10).sum(axis=0) >= 4).sum())  # min_samples defaults to the smaller group (4)
    settings = DESettings(contrast=("condition", "drug", "ctrl"), design="~ donor + condition")
    analysis = differential_expression(counts, samples, settings=settings)
    assert analysis.notes[0] == f"kept {kept} of {counts.shape[1]} genes with >= 10 counts in >= 4 samples"
    assert analysis.notes[1:] == analysis.result.notes
    assert len(analysis.result.table) == kept < counts.shape[1] - 4
    assert analysis.result.design == "~ donor + condition"


def test_settings_validate_and_default_design():
    assert DESettings(contrast=("dex", "trt", "untrt")).formula == "~ dex"
    assert DESettings(contrast=["dex", "trt", "untrt"], design="~ cell + dex").formula == "~ cell + dex"
    with pytest.raises(ValueError, match=r"FACTOR,TEST,REFERENCE \(3 items\), got \['dex', 'trt'\]"):
        DESettings(contrast=("dex", "trt"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="got None"):
        DESettings(contrast=())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method must be one of"):
        DESettings(contrast=("dex", "trt", "untrt"), method="ttest")
    with pytest.raises(ValueError, match="put the pairing column in the design"):
        DESettings(contrast=("dex", "trt", "untrt"), pair_by="cell")


def test_unknown_level_is_reported(synthetic_counts):
    counts, samples = synthetic_counts
    with pytest.raises(ValueError, match="'placebo' does not occur"):
        differential_expression(counts, samples, settings=DESettings(contrast=("condition", "drug", "placebo")))
