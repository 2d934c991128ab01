"""Count-matrix and sample-table readers."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from cellresponse.io import read_count_data, read_counts, read_h5ad_counts, read_sample_table


def _write(tmp_path, name, text):
    p = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(p, "wt") as f:
            f.write(text)
    else:
        p.write_text(text)
    return p


def test_read_counts_transposes_genes_x_samples(tmp_path):
    p = _write(tmp_path, "c.tsv.gz", "gene_id\ts1\ts2\ng1\t1\t2\ng2\t3\t4\n")
    c = read_counts(p)
    assert c.shape == (2, 2)
    assert list(c.index) == ["s1", "s2"] and list(c.columns) == ["g1", "g2"]
    assert c.loc["s2", "g1"] == 2


def test_read_counts_samples_in_rows(tmp_path):
    p = _write(tmp_path, "c.csv", "sample,g1,g2\ns1,1,2\n")
    assert read_counts(p, genes_in_rows=False).loc["s1", "g2"] == 2


def test_read_counts_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_counts(tmp_path / "nope.tsv")
    p = _write(tmp_path, "bad.tsv", "gene\ts1\ts2\ng1\t1\tx\n")
    with pytest.raises(ValueError, match=r"non-numeric value 'x' at gene 'g1', sample 's2'"):
        read_counts(p)
    p = _write(tmp_path, "dup.tsv", "gene\ts1\ng1\t1\ng1\t2\n")
    with pytest.raises(ValueError, match="duplicated gene IDs: g1"):
        read_counts(p)
    p = _write(tmp_path, "c.parquet", "")
    with pytest.raises(ValueError, match="delimiter"):
        read_counts(p)


def test_sample_table_strip_suffix(tmp_path):
    p = _write(tmp_path, "s.csv", '"file","condition"\n"treated1fb","treated"\n')
    t = read_sample_table(p, strip_suffix="fb")
    assert list(t.index) == ["treated1"]
    with pytest.raises(KeyError, match="sample_column 'id'"):
        read_sample_table(p, sample_column="id")


def test_read_count_data_needs_samples(tmp_path):
    p = _write(tmp_path, "c.tsv", "gene\ts1\ng1\t1\n")
    with pytest.raises(ValueError, match="samples_path is required"):
        read_count_data(p)


def test_h5ad_roundtrip(tmp_path):
    anndata = pytest.importorskip("anndata")
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    obs = pd.DataFrame({"cond": ["a", "b"]}, index=["s1", "s2"])
    var = pd.DataFrame(index=["g1", "g2", "g3"])
    anndata.AnnData(X=x, obs=obs, var=var).write_h5ad(tmp_path / "a.h5ad")
    counts, samples = read_h5ad_counts(tmp_path / "a.h5ad")
    assert counts.loc["s2", "g3"] == 5
    assert samples.loc["s1", "cond"] == "a"
    counts2, _ = read_count_data(tmp_path / "a.h5ad")
    pd.testing.assert_frame_equal(counts, counts2)


def test_real_pasilla_matches_sample_table(data_dir):
    from cellresponse.de import align_samples

    d = data_dir / "rnaseq_pasilla"
    counts, samples = read_count_data(
        d / "pasilla_gene_counts.tsv.gz", d / "pasilla_sample_annotation.csv", strip_suffix="fb"
    )
    assert counts.shape == (7, 14599)
    counts, samples = align_samples(counts, samples)
    assert samples["condition"].value_counts().to_dict() == {"untreated": 4, "treated": 3}
    # without stripping the suffix the IDs do not match: the error lists both sides
    raw = read_sample_table(d / "pasilla_sample_annotation.csv")
    with pytest.raises(ValueError, match=r"only in the sample table .*treated1fb"):
        align_samples(counts, raw)
