"""DESeq2 wrapper: schema, invariants, errors, and the airway glucocorticoid genes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.de import (
    DE_COLUMNS,
    check_integer_counts,
    deseq2,
    design_factors,
    filter_low_counts,
    validate_de_table,
)

pytest.importorskip("pydeseq2")

# Ensembl IDs of the classic dexamethasone-response genes (checked against
# depmap_gene_level_egbench/depmap26q1_gene_universe.csv.gz, which maps symbol <-> Ensembl).
GC_GENES = {
    "DUSP1": "ENSG00000120129",
    "KLF15": "ENSG00000163884",
    "PER1": "ENSG00000179094",
    "TSC22D3": "ENSG00000157514",
    "FKBP5": "ENSG00000096060",
    "ZBTB16": "ENSG00000109906",
}


@pytest.fixture(scope="module")
def synthetic_result(_synthetic_counts):
    counts, samples = _synthetic_counts
    return deseq2(
        counts,
        samples,
        design="~ donor + condition",
        contrast=("condition", "drug", "ctrl"),
        shrink=True,
    )


def test_schema_and_invariants(synthetic_result):
    t = synthetic_result.table
    assert list(t.columns) == list(DE_COLUMNS)
    validate_de_table(t)
    assert t["log2fc_shrunk"].notna().any()
    # shrinkage pulls fold changes towards zero, never away (up to numerical noise)
    both = t.dropna(subset=["log2fc", "log2fc_shrunk"])
    assert (both["log2fc_shrunk"].abs() <= both["log2fc"].abs() + 0.05).mean() > 0.95


def test_finds_planted_genes(synthetic_result):
    t = synthetic_result.table.set_index("gene")
    planted = [f"g{j:03d}" for j in range(30)]
    hits = t.loc[planted]
    assert (hits["padj"] < 0.1).mean() > 0.8
    assert (hits["log2fc"] > 1).mean() > 0.8
    others = t.drop(index=planted)
    assert (others["padj"] < 0.1).mean() < 0.1


def test_notes_record_small_residual_df(synthetic_result):
    # 8 samples - 5 coefficients = 3 residual df: pydeseq2 warns; we keep it as a note.
    assert any("residual degrees of freedom" in n for n in synthetic_result.notes)
    assert synthetic_result.log_expression.shape == (8, 300)


def test_non_integer_counts_rejected(synthetic_counts):
    counts, samples = synthetic_counts
    counts = counts.astype(float)
    counts.iloc[2, 5] = 3.5
    with pytest.raises(ValueError, match=r"sample 's2', gene 'g005' is 3.5.*welch"):
        deseq2(counts, samples, design="~ condition", contrast=("condition", "drug", "ctrl"))


def test_negative_counts_rejected():
    with pytest.raises(ValueError, match="non-negative integer"):
        check_integer_counts(pd.DataFrame({"g": [1, -1]}, index=["a", "b"]))


def test_mismatched_samples_rejected(synthetic_counts):
    counts, samples = synthetic_counts
    with pytest.raises(ValueError, match="does not match the count matrix"):
        deseq2(
            counts,
            samples.iloc[:-1],
            design="~ condition",
            contrast=("condition", "drug", "ctrl"),
        )


def test_single_sample_group_rejected(synthetic_counts):
    counts, samples = synthetic_counts
    samples.loc["s0", "condition"] = "solo"
    with pytest.raises(ValueError, match="has 1 sample; at least 2"):
        deseq2(counts, samples, design="~ condition", contrast=("condition", "solo", "drug"))


def test_design_errors(synthetic_counts):
    counts, samples = synthetic_counts
    with pytest.raises(KeyError, match="lacks"):
        deseq2(counts, samples, design="~ batch + condition", contrast=("condition", "drug", "ctrl"))
    with pytest.raises(ValueError, match="does not appear in design"):
        deseq2(counts, samples, design="~ donor", contrast=("condition", "drug", "ctrl"))
    with pytest.raises(ValueError, match="starting with '~'"):
        design_factors("condition")


def test_filter_low_counts():
    counts = pd.DataFrame({"a": [0, 0, 20, 20], "b": [10, 10, 10, 10], "c": [0, 0, 0, 50]})
    assert list(filter_low_counts(counts, min_count=10, min_samples=2).columns) == ["a", "b"]
    with pytest.raises(ValueError, match="min_samples"):
        filter_low_counts(counts, min_samples=9)
    with pytest.raises(ValueError, match="no gene"):
        filter_low_counts(counts, min_count=1000)


def test_airway_glucocorticoid_genes(real_data_root):
    """Dexamethasone strongly induces the canonical GC-response genes (paired design).

    To keep the default suite fast the fit uses the six genes plus a seeded sample of
    2,000 of the genes that pass the vignette filter (the dispersion trend needs many
    genes, not all); ``benchmarks/bench_de.py`` runs the full set.
    """
    from cellresponse.io import read_count_data

    d = real_data_root / "rnaseq_airway"
    counts, samples = read_count_data(d / "airway_counts.tsv.gz", d / "airway_coldata.csv")
    counts = filter_low_counts(counts, min_count=10, min_samples=4)
    rng = np.random.default_rng(0)
    others = [g for g in counts.columns if g not in GC_GENES.values()]
    keep = sorted(set(rng.choice(others, size=2000, replace=False)) | set(GC_GENES.values()))
    res = deseq2(
        counts[keep],
        samples,
        design="~ cell + dex",
        contrast=("dex", "trt", "untrt"),
        shrink=False,
        n_cpus=1,
    )
    validate_de_table(res.table)
    t = res.table.set_index("gene")
    for symbol, ensg in GC_GENES.items():
        assert t.loc[ensg, "padj"] < 1e-5, symbol
        assert t.loc[ensg, "log2fc"] > 1.5, symbol


@pytest.mark.slow
def test_airway_full_filtered_set(real_data_root):
    """All ~16k genes passing the vignette filter, with apeGLM shrinkage (minutes)."""
    from cellresponse.io import read_count_data

    d = real_data_root / "rnaseq_airway"
    counts, samples = read_count_data(d / "airway_counts.tsv.gz", d / "airway_coldata.csv")
    counts = filter_low_counts(counts, min_count=10, min_samples=4)
    res = deseq2(counts, samples, design="~ cell + dex", contrast=("dex", "trt", "untrt"), shrink=True)
    validate_de_table(res.table)
    t = res.table.set_index("gene")
    assert (t.loc[list(GC_GENES.values()), "padj"] < 1e-5).all()
    assert (t.loc[list(GC_GENES.values()), "log2fc_shrunk"] > 1).all()
    assert 3000 < res.n_significant(alpha=0.1) < 6000
