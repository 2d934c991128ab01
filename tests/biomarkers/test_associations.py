"""The vectorized association tests against statsmodels OLS with the same formula, on real
gdsctools data; effect sizes, FDR and ranks; and every kind of bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.biomarkers import (
    ASSOCIATION_COLUMNS,
    PANCAN,
    AssociationInputs,
    AssociationSettings,
    associations,
)


def _ols(inputs: AssociationInputs, row: pd.Series):
    """statsmodels OLS of the row's drug on its feature with the row's covariates."""
    smf = pytest.importorskip("statsmodels.formula.api")
    y = inputs.responses[row["drug"]]
    keep = y.notna()
    if row["scope"] != PANCAN:
        keep &= inputs.tissue == row["scope"]
    frame = pd.DataFrame(
        {
            "y": y[keep],
            "x": inputs.features.loc[keep, row["feature"]],
            "tissue": inputs.tissue[keep] if inputs.tissue is not None else "none",
            "msi": inputs.msi[keep] if inputs.msi is not None else 0.0,
        }
    )
    terms = {"tissue": "C(tissue)", "msi": "msi"}
    covs = [terms[c] for c in str(row["covariates"]).split("+") if c in terms]
    fit = smf.ols("y ~ " + " + ".join([*covs, "x"]), data=frame).fit()
    return fit, frame


def test_pancan_matches_statsmodels_ols_on_real_pairs(gdsctools_slice):
    res = associations(gdsctools_slice)
    table = res.table
    assert list(table.columns) == list(ASSOCIATION_COLUMNS)
    assert (table["scope"] == PANCAN).all() and (table["covariates"] == "tissue+msi").all()
    # the known pairs and a seeded sample of the others
    known = table[
        ((table["drug"] == "1047") & (table["feature"] == "TP53_mut"))
        | ((table["drug"] == "1013") & (table["feature"] == "BCR-ABL_mut"))
    ]
    sample = pd.concat([known, table.sample(25, random_state=0)])
    for _, row in sample.iterrows():
        fit, frame = _ols(gdsctools_slice, row)
        assert row["n"] == len(frame)
        np.testing.assert_allclose(row["coef"], fit.params["x"], rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(row["t"], fit.tvalues["x"], rtol=1e-7)
        np.testing.assert_allclose(row["pvalue"], fit.pvalues["x"], rtol=1e-6, atol=1e-300)
        pos, neg = frame.loc[frame["x"] == 1, "y"], frame.loc[frame["x"] == 0, "y"]
        assert (row["n_pos"], row["n_neg"]) == (len(pos), len(neg))
        np.testing.assert_allclose(row["delta_mean"], pos.mean() - neg.mean(), rtol=1e-9)
        np.testing.assert_allclose(row["glass_pos"], (pos.mean() - neg.mean()) / pos.std(ddof=1), rtol=1e-9)
        np.testing.assert_allclose(row["glass_neg"], (pos.mean() - neg.mean()) / neg.std(ddof=1), rtol=1e-9)


def test_per_tissue_scopes_match_statsmodels_and_drop_the_tissue_term(gdsctools_slice):
    settings = AssociationSettings(per_tissue=True, tissues=("skin", "breast"))
    res = associations(gdsctools_slice, settings=settings)
    assert list(dict.fromkeys(res.table["scope"])) == [PANCAN, "skin", "breast"]
    per_tissue = res.table[res.table["scope"] != PANCAN]
    assert not per_tissue["covariates"].str.contains("tissue").any()
    for _, row in per_tissue.sample(10, random_state=1).iterrows():
        fit, _ = _ols(gdsctools_slice, row)
        np.testing.assert_allclose(row["t"], fit.tvalues["x"], rtol=1e-7)
        np.testing.assert_allclose(row["pvalue"], fit.pvalues["x"], rtol=1e-6)
    skin = res.table[(res.table["scope"] == "skin") & (res.table["drug"] == "1036")]
    assert skin.iloc[0]["feature"] == "BRAF_mut"  # PLX-4720 in melanoma: BRAF first


def test_fdr_is_benjamini_hochberg_within_each_scope_and_ranks_follow_p(gdsctools_slice):
    multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests
    res = associations(gdsctools_slice, settings=AssociationSettings(per_tissue=True, tissues=("lung_NSCLC",)))
    for _, part in res.table.groupby("scope"):
        expected = multipletests(part["pvalue"], method="fdr_bh")[1]
        np.testing.assert_allclose(part["fdr"], expected, rtol=1e-12)
        assert (part["fdr"] >= part["pvalue"] * (1 - 1e-12)).all()  # BH multiplies by m/rank >= 1
        for _, drug in part.groupby("drug"):
            assert drug["rank"].tolist() == list(range(1, len(drug) + 1))
            assert drug["pvalue"].is_monotonic_increasing
    top = res.table[(res.table["scope"] == PANCAN) & (res.table["drug"] == "1047")].iloc[0]
    assert (top["feature"], top["rank"]) == ("TP53_mut", 1) and top["delta_mean"] > 0  # nutlin: TP53 mutant resist


def test_continuous_features_get_standardized_coefficients(toy):
    smf = pytest.importorskip("statsmodels.formula.api")
    inputs = toy
    res = associations(inputs)
    row = res.table[(res.table["drug"] == "d2") & (res.table["feature"] == "expr")].iloc[0]
    assert row["feature_type"] == "continuous" and np.isnan(row["delta_mean"]) and np.isnan(row["n_pos"])
    frame = pd.DataFrame(
        {"y": inputs.responses["d2"], "x": inputs.features["expr"], "tissue": inputs.tissue, "msi": inputs.msi}
    )
    fit = smf.ols("y ~ C(tissue) + msi + x", data=frame).fit()
    np.testing.assert_allclose(row["coef"], fit.params["x"], rtol=1e-9)
    np.testing.assert_allclose(row["std_coef"], fit.params["x"] * frame["x"].std() / frame["y"].std(), rtol=1e-9)
    assert row["effect"] == row["std_coef"] and row["rank"] == 1 and row["fdr"] < 1e-6
    a = res.table[(res.table["drug"] == "d1") & (res.table["feature"] == "A")].iloc[0]
    assert a["rank"] == 1 and a["effect"] == a["delta_mean"] and -2.6 < a["coef"] < -1.4


# ------------------------------------------------------------------------------ bad input
def test_feature_with_too_few_mutant_lines_is_skipped_and_counted(toy):
    base = toy
    feats = base.features.assign(RARE=0.0)
    feats.iloc[:2, feats.columns.get_loc("RARE")] = 1.0  # 2 mutant lines < min_group 3
    res = associations(AssociationInputs.align(base.responses, feats, tissue=base.tissue, msi=base.msi))
    assert "RARE" not in set(res.table["feature"])
    row = res.skipped[res.skipped["feature"] == "RARE"]
    assert row[["drug", "reason", "n_tests"]].values.tolist() == [["*", "too_few_in_group", 2]]
    assert res.summary()["skipped_tests"] == {"too_few_in_group": 2}
    relaxed = associations(
        AssociationInputs.align(base.responses, feats, tissue=base.tissue, msi=base.msi),
        settings=AssociationSettings(min_group=2),
    )
    assert "RARE" in set(relaxed.table["feature"])


@pytest.mark.parametrize("value", [0.0, 1.0, 0.37])
def test_a_constant_feature_is_skipped_as_constant(value, toy):
    base = toy
    feats = base.features.assign(FLAT=value)
    res = associations(AssociationInputs.align(base.responses, feats, tissue=base.tissue, msi=base.msi))
    assert "FLAT" not in set(res.table["feature"])
    assert res.skipped.loc[res.skipped["feature"] == "FLAT", "reason"].tolist() == ["constant"]


def test_a_feature_explained_by_the_covariates_is_not_tested(toy):
    base = toy
    feats = base.features.assign(SKIN=(base.tissue == "skin").astype(float))
    res = associations(AssociationInputs.align(base.responses, feats, tissue=base.tissue, msi=base.msi))
    assert res.skipped.loc[res.skipped["feature"] == "SKIN", "reason"].tolist() == ["collinear_with_covariates"]
    no_tissue = associations(
        AssociationInputs.align(base.responses, feats, tissue=base.tissue, msi=base.msi),
        settings=AssociationSettings(tissue_covariate=False),
    )
    assert "SKIN" in set(no_tissue.table["feature"])


def test_a_drug_with_too_few_measurements_is_skipped_whole(toy):
    base = toy
    responses = base.responses.assign(d3=np.nan)
    responses.iloc[:5, responses.columns.get_loc("d3")] = [1.0, 2.0, 3.0, 1.5, 2.5]
    res = associations(AssociationInputs.align(responses, base.features, tissue=base.tissue, msi=base.msi))
    assert "d3" not in set(res.table["drug"])
    row = res.skipped[res.skipped["drug"] == "d3"].iloc[0]
    assert (row["feature"], row["reason"], row["n_tests"], row["n_lines"]) == ("*", "too_few_measurements", 3, 5)
    assert res.summary()["drugs_skipped"] == {PANCAN: ["d3"]}


def test_a_covariate_with_one_level_is_dropped_and_reported(toy):
    base = toy
    one_tissue = pd.Series("lung", index=base.tissue.index)
    no_msi = pd.Series(0.0, index=base.msi.index)
    inputs = AssociationInputs.align(base.responses, base.features, tissue=one_tissue, msi=no_msi)
    res = associations(inputs)
    assert (res.table["covariates"] == "none").all()
    dropped = res.covariates[~res.covariates["used"]]
    assert set(dropped["covariate"]) == {"tissue", "msi"} and dropped["detail"].str.contains("one level").all()
    plain = associations(AssociationInputs.align(base.responses, base.features))
    pd.testing.assert_frame_equal(
        res.table.drop(columns="covariates"), plain.table.drop(columns="covariates"), check_exact=False, rtol=1e-10
    )
    assert any("msi: one level" in k for k in res.summary()["covariates_dropped"])


def test_responses_and_features_with_no_shared_lines_are_an_error(toy):
    base = toy
    other = base.features.set_axis([f"X{i}" for i in range(len(base.features))])
    with pytest.raises(ValueError, match=r"share no cell lines: responses have 60 .*L00.*features have 60.*X0"):
        AssociationInputs.align(base.responses, other)


def test_other_bad_inputs_name_what_is_wrong(toy):
    base = toy
    feats = base.features.copy()
    feats.iloc[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"missing values in 1 column\(s\), e.g. 'A' for cell line\(s\) L03"):
        AssociationInputs.align(base.responses, feats)
    with pytest.raises(ValueError, match=r"MSI status must be 0 or 1.*L00"):
        AssociationInputs.align(base.responses, base.features, msi=base.msi.replace(1.0, 2.0).replace(0.0, 2.0))
    with pytest.raises(ValueError, match="tissue is missing for 1 cell line"):
        AssociationInputs.align(base.responses, base.features, tissue=base.tissue.iloc[1:])
    with pytest.raises(ValueError, match="not numeric"):
        AssociationInputs.align(base.responses, base.features.assign(name="x"))
    with pytest.raises(ValueError, match="min_group must be a positive integer"):
        AssociationSettings(min_group=0)
    with pytest.raises(ValueError, match="per_tissue needs a tissue"):
        associations(
            AssociationInputs.align(base.responses, base.features), settings=AssociationSettings(per_tissue=True)
        )
    with pytest.raises(ValueError, match=r"tissues \['liver'\] are not among"):
        associations(base, settings=AssociationSettings(per_tissue=True, tissues=("liver",)))


def test_unscreened_lines_are_left_out_per_drug(toy):
    base = toy
    responses = base.responses.copy()
    responses.iloc[:10, 0] = np.nan
    res = associations(AssociationInputs.align(responses, base.features, tissue=base.tissue, msi=base.msi))
    assert set(res.table.loc[res.table["drug"] == "d1", "n"]) == {50}
    assert set(res.table.loc[res.table["drug"] == "d2", "n"]) == {60}


def test_dataset_inputs_take_msi_from_the_view_and_tissue_from_the_annotations():
    from cellresponse.biomarkers import dataset_inputs
    from cellresponse.data import Dataset, FeatureView

    rng = np.random.default_rng(0)
    lines = [f"L{i}" for i in range(30)]
    values = np.column_stack([(np.arange(30) % 5 == 0), rng.random(30) < 0.4]).astype(np.float32)
    view = FeatureView("genomic", lines, values, ["MSI_FACTOR", "KRAS_mut"], "binary")
    obs = pd.DataFrame({"cell_line": lines * 2, "perturbation": ["d1"] * 30 + ["d2"] * 30})
    data = Dataset(
        obs=obs,
        y=rng.normal(size=60),
        target="ln_ic50",
        cell_views={"genomic": view},
        cell_meta=pd.DataFrame({"tissue": ["lung", "skin"] * 15}, index=lines),
    )
    inputs = dataset_inputs(data, view="genomic")
    assert list(inputs.features.columns) == ["KRAS_mut"] and inputs.msi.sum() == 6
    assert list(inputs.responses.columns) == ["d1", "d2"] and set(inputs.tissue) == {"lung", "skin"}
    res = associations(inputs)
    assert set(res.table["covariates"]) == {"tissue+msi"}
    with pytest.raises(KeyError, match="no cell-line view 'expression'"):
        dataset_inputs(data, view="expression")
