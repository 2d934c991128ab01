"""Welch / Mann-Whitney / paired tests and BH agree with scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cellresponse.de import DE_COLUMNS, bh_fdr, two_group_test, validate_de_table


@pytest.fixture
def random_matrix():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 200))
    x[6:, :20] += 1.5  # some real differences
    samples = pd.DataFrame(
        {"group": ["a"] * 6 + ["b"] * 6, "donor": [f"d{i % 6}" for i in range(12)]},
        index=[f"s{i}" for i in range(12)],
    )
    data = pd.DataFrame(x, index=samples.index, columns=[f"g{j}" for j in range(200)])
    return data, samples


def _by_gene(result):
    return result.table.set_index("gene").loc[[f"g{j}" for j in range(200)]]


def test_welch_matches_scipy(random_matrix):
    data, samples = random_matrix
    res = two_group_test(data, samples, contrast=("group", "b", "a"), method="welch")
    t = _by_gene(res)
    ref = stats.ttest_ind(data.iloc[6:], data.iloc[:6], axis=0, equal_var=False)
    np.testing.assert_allclose(t["statistic"], ref.statistic, rtol=1e-10)
    np.testing.assert_allclose(t["pvalue"], ref.pvalue, rtol=1e-8)
    np.testing.assert_allclose(t["log2fc"], data.iloc[6:].mean() - data.iloc[:6].mean(), rtol=1e-12)
    validate_de_table(res.table)
    assert list(res.table.columns) == list(DE_COLUMNS)


def test_mannwhitney_matches_scipy(random_matrix):
    data, samples = random_matrix
    res = two_group_test(data, samples, contrast=("group", "b", "a"), method="mannwhitney")
    t = _by_gene(res)
    ref = stats.mannwhitneyu(data.iloc[6:], data.iloc[:6], axis=0, alternative="two-sided")
    np.testing.assert_allclose(t["statistic"], ref.statistic)
    np.testing.assert_allclose(t["pvalue"], ref.pvalue, rtol=1e-10)
    validate_de_table(res.table)


def test_paired_tests_match_scipy(random_matrix):
    data, samples = random_matrix
    res = two_group_test(data, samples, contrast=("group", "b", "a"), method="welch", pair_by="donor")
    assert res.method == "paired_t"
    ref = stats.ttest_rel(data.iloc[6:], data.iloc[:6], axis=0)
    np.testing.assert_allclose(_by_gene(res)["pvalue"], ref.pvalue, rtol=1e-8)
    res = two_group_test(data, samples, contrast=("group", "b", "a"), method="mannwhitney", pair_by="donor")
    ref = stats.wilcoxon(data.iloc[6:].to_numpy(), data.iloc[:6].to_numpy(), axis=0)
    np.testing.assert_allclose(_by_gene(res)["pvalue"], ref.pvalue, rtol=1e-8)


def test_bh_matches_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=500), rng.uniform(0, 1e-3, size=50), [0.0, 1.0]])
    ours = bh_fdr(p)
    ref = multitest.multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert np.all(ours >= p)


def test_bh_keeps_nan_and_checks_range():
    out = bh_fdr([0.01, np.nan, 0.02])
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], [0.02, 0.02])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bh_fdr([0.5, 1.5])


def test_linear_input_uses_log2_ratio_of_means(random_matrix):
    data, samples = random_matrix
    lin = np.exp(data)
    res = two_group_test(lin, samples, contrast=("group", "b", "a"), method="welch", log_scale=False)
    t = _by_gene(res)
    expected = np.log2((lin.iloc[6:].mean() + 1) / (lin.iloc[:6].mean() + 1))
    np.testing.assert_allclose(t["log2fc"], expected)


def test_constant_genes_are_untested(random_matrix):
    data, samples = random_matrix
    data = data.copy()
    data["g0"] = 1.0
    res = two_group_test(data, samples, contrast=("group", "b", "a"))
    row = res.table.set_index("gene").loc["g0"]
    assert np.isnan(row["pvalue"]) and np.isnan(row["padj"])
    assert any("constant" in n for n in res.notes)
    validate_de_table(res.table)


def test_small_group_is_rejected(random_matrix):
    data, samples = random_matrix
    samples = samples.copy()
    samples.loc["s0", "group"] = "c"
    with pytest.raises(ValueError, match=r"group=.c. has 1 sample"):
        two_group_test(data, samples, contrast=("group", "c", "a"))


def test_unknown_level_and_column(random_matrix):
    data, samples = random_matrix
    with pytest.raises(ValueError, match="does not occur"):
        two_group_test(data, samples, contrast=("group", "z", "a"))
    with pytest.raises(KeyError, match="not a column"):
        two_group_test(data, samples, contrast=("cond", "b", "a"))


def test_mismatched_sample_table(random_matrix):
    data, samples = random_matrix
    samples = samples.rename(index={"s3": "x3"})
    with pytest.raises(ValueError, match=r"only in the matrix \(s3\).*only in the sample table \(x3\)"):
        two_group_test(data, samples, contrast=("group", "b", "a"))


def test_incomplete_pairs(random_matrix):
    data, samples = random_matrix
    samples = samples.copy()
    samples.loc["s0", "donor"] = "lonely"
    with pytest.raises(ValueError, match="without a partner"):
        two_group_test(data, samples, contrast=("group", "b", "a"), pair_by="donor")


@pytest.mark.parametrize("method", ["welch", "mannwhitney"])
def test_invariants_hold(random_matrix, method):
    data, samples = random_matrix
    res = two_group_test(data, samples, contrast=("group", "b", "a"), method=method)
    t = res.table
    ok = t["pvalue"].notna()
    assert ((t.loc[ok, "pvalue"] >= 0) & (t.loc[ok, "pvalue"] <= 1)).all()
    assert (t.loc[ok, "padj"] >= t.loc[ok, "pvalue"]).all()
    assert res.summary()["n_significant"] == res.n_significant()


def test_validate_catches_bad_tables():
    good = pd.DataFrame({c: [0.1, 0.2] for c in DE_COLUMNS} | {"gene": ["a", "b"], "padj": [0.2, 0.2]})
    validate_de_table(good)
    with pytest.raises(ValueError, match=r"padj .* < pvalue"):
        validate_de_table(good.assign(padj=[0.05, 0.2]))
    with pytest.raises(ValueError, match="not monotone"):
        validate_de_table(good.assign(padj=[0.3, 0.2]))
    with pytest.raises(ValueError, match="lacks columns"):
        validate_de_table(good.drop(columns="padj"))
