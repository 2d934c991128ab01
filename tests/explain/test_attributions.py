"""Attributions through one interface: exact per-prediction contributions, planted features
found by every method, one schema, agreement and stability measures, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.data import Dataset, FeatureView
from cellresponse.explain import (
    AGREEMENT_COLUMNS,
    ATTRIBUTION_COLUMNS,
    CONTRIBUTION_COLUMNS,
    ExplainSettings,
    PermutationSettings,
    association_agreement,
    attributions,
    contributions,
    feature_ranks,
    method_agreement,
    native_importance,
    native_method,
    per_drug_pearson,
    permutation_importance,
    rank_stability,
    top_features,
)
from cellresponse.models import make_model

N_LINES, N_GENES = 120, 40


def planted(seed: int = 0) -> Dataset:
    """Lines x genes expression and mutations; drug DA is driven by gene G05 (sensitive when
    high), drug DB by gene G10 (resistant when high) and the mutation M00, drug DC by nothing."""
    rng = np.random.default_rng(seed)
    lines = [f"L{i:03d}" for i in range(N_LINES)]
    genes = [f"G{j:02d}" for j in range(N_GENES)]
    expr = rng.normal(size=(N_LINES, N_GENES)).astype(np.float32)
    mut = (rng.random((N_LINES, 6)) < 0.25).astype(np.float32)
    tissue = np.array(["lung", "skin", "blood"])[np.arange(N_LINES) % 3]
    effects = {
        "DA": -1.5 * expr[:, 5],
        "DB": 1.2 * expr[:, 10] - 1.0 * mut[:, 0],
        "DC": np.zeros(N_LINES),
    }
    rows, y = [], []
    for drug, effect in effects.items():
        for i, line in enumerate(lines):
            rows.append((line, drug))
            y.append(2.0 + effect[i] + rng.normal(0, 0.4))
    obs = pd.DataFrame(rows, columns=["cell_line", "perturbation"])
    return Dataset(
        obs=obs,
        y=np.asarray(y),
        target="ln_ic50",
        cell_views={
            "expression": FeatureView("expression", lines, expr, genes),
            "mutation": FeatureView("mutation", lines, mut, [f"M{j:02d}" for j in range(6)], "binary"),
        },
        cell_meta=pd.DataFrame({"tissue": tissue}, index=lines),
        name="planted",
    )


@pytest.fixture(scope="module")
def split():
    ds = planted()
    train = np.isin(ds.cell_lines, [f"L{i:03d}" for i in range(80)])
    return ds[train], ds[~train]


MODELS = {
    "ridge_per_drug": {"cell_views": ("expression", "mutation"), "alphas": (1.0, 10.0, 100.0)},
    "elastic_net_per_drug": {"cell_views": ("expression", "mutation"), "cell_components": 20, "alphas": (0.01,)},
    "lightgbm_per_drug": {
        "cell_views": ("expression", "mutation"),
        "cell_components": None,
        "n_estimators": 80,
        "min_child_samples": 5,
    },
    "elastic_net": {
        "cell_views": ("expression", "mutation"),
        "drug_views": (),
        "alpha": 0.001,
        "cell_components": None,
    },
    "lightgbm": {"cell_views": ("expression", "mutation"), "drug_views": (), "cell_components": None},
}


@pytest.fixture(scope="module")
def fitted(split):
    train, _ = split
    return {name: make_model(name, **params).fit(train) for name, params in MODELS.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_contributions_add_up_to_each_prediction(fitted, split, name):
    _, test = split
    rc = contributions(fitted[name], test)
    assert rc.values.shape == (len(test), rc.view.size) and rc.covered.all()
    np.testing.assert_allclose(rc.values.sum(axis=1) + rc.baseline, fitted[name].predict(test), atol=1e-4)


@pytest.mark.parametrize("name", ["ridge_per_drug", "elastic_net_per_drug", "lightgbm_per_drug"])
def test_native_and_permutation_find_the_planted_genes(fitted, split, name):
    _, test = split
    table = attributions(fitted[name], test, settings=ExplainSettings(top=3), model_name=name)
    assert list(table.columns) == list(ATTRIBUTION_COLUMNS)
    for method in (native_method(fitted[name]), "permutation"):
        top = table[(table["method"] == method) & (table["rank"] == 1)].set_index("drug")["feature"]
        assert top["DA"] == "G05" and top["DB"] == "G10", (method, top.to_dict())
    native = table[table["method"] == native_method(fitted[name])].set_index(["drug", "feature"])
    assert native.loc[("DA", "G05"), "direction"] == -1 and native.loc[("DB", "G10"), "direction"] == 1
    views = table[table["method"] == "view_permutation"]
    assert views.set_index(["drug", "view"]).loc[("DA", "expression"), "rank"] == 1


def test_pca_models_are_back_projected_exactly_to_genes(fitted, split):
    _, test = split
    imp = native_importance(fitted["elastic_net_per_drug"], test)
    assert {"expression", "mutation", "tissue"} == set(imp["view"])
    da = imp[imp["drug"] == "DA"].nlargest(1, "importance")
    assert da["feature"].item() == "G05"


def test_global_linear_model_shares_its_coefficients_across_drugs(fitted, split):
    _, test = split
    imp = native_importance(fitted["elastic_net"], test)
    per_drug = imp.pivot_table(index=["view", "feature"], columns="drug", values="importance")
    assert (per_drug.nunique(axis=1) == 1).all()


def test_top_features_of_single_predictions(fitted, split):
    _, test = split
    model = fitted["ridge_per_drug"]
    out = top_features(model, test, perturbation="DA", k=3, views=("expression",))
    assert list(out.columns) == list(CONTRIBUTION_COLUMNS)
    assert set(out["perturbation"]) == {"DA"} and out.groupby("row").size().eq(3).all()
    assert (out.groupby("row")["feature"].first() == "G05").mean() > 0.5
    # the contributions shown are the largest in absolute value
    first = out[out["rank"] == 1]["contribution"].abs().to_numpy()
    third = out[out["rank"] == 3]["contribution"].abs().to_numpy()
    assert (first >= third).all()
    with pytest.raises(ValueError, match="no row of the data is for perturbation 'nope'"):
        top_features(model, test, perturbation="nope")
    with pytest.raises(ValueError, match="k must be >= 1"):
        top_features(model, test, k=0)


def test_unseen_drugs_get_no_attributed_features(fitted, split):
    _, test = split
    new = Dataset(
        obs=pd.DataFrame({"cell_line": test.cell_lines[:2], "perturbation": ["NEW", "DA"]}),
        y=np.zeros(2),
        target="ln_ic50",
        cell_views=test.cell_views,
        cell_meta=test.cell_meta,
    )
    out = top_features(fitted["ridge_per_drug"], new, k=2)
    assert set(out["perturbation"]) == {"DA"}


def test_models_without_native_attributions_say_so_and_still_get_permutation(split):
    train, test = split
    forest = make_model("random_forest_per_drug", cell_views=("expression",), n_estimators=30).fit(train)
    assert native_method(forest) is None
    with pytest.raises(TypeError, match=r"no native attributions.*permutation_importance"):
        native_importance(forest, test)
    table = attributions(forest, test, settings=ExplainSettings(methods=("native", "permutation"), top=2))
    assert set(table["method"]) == {"permutation"}
    assert table[(table["drug"] == "DA") & (table["rank"] == 1)]["feature"].item() == "G05"


def test_permutation_screen_budget_repeats_and_seed(fitted, split):
    _, test = split
    model = fitted["ridge_per_drug"]
    small = permutation_importance(model, test, settings=PermutationSettings(max_features=4, random_state=1))
    assert small["feature"].nunique() == 4 and {"G05", "G10"} <= set(small["feature"])
    again = permutation_importance(model, test, settings=PermutationSettings(max_features=4, random_state=1))
    pd.testing.assert_frame_equal(small, again)
    chosen = permutation_importance(model, test, settings=PermutationSettings(features=("G05", "M00"), n_repeats=3))
    assert set(chosen["feature"]) == {"G05", "M00"} and set(chosen["view"]) == {"expression", "mutation"}
    r = per_drug_pearson(test.perturbations, test.y, model.predict(test))
    da = chosen[(chosen["drug"] == "DA") & (chosen["feature"] == "G05")]["importance"].item()
    assert 0 < da <= r["DA"] + 1  # a drop in Pearson from the intact score
    with pytest.raises(KeyError, match="in none of the views"):
        permutation_importance(model, test, settings=PermutationSettings(features=("NOPE",)))
    with pytest.raises(ValueError, match="no drug has 500 held-out rows"):
        permutation_importance(model, test, settings=PermutationSettings(min_rows=500))
    with pytest.raises(ValueError, match="level must be"):
        PermutationSettings(level="gene")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown attribution methods"):
        ExplainSettings(methods=("shap",))


def test_agreement_between_methods_with_associations_and_between_runs(fitted, split):
    from cellresponse.biomarkers import AssociationInputs, associations

    train, test = split
    table = attributions(fitted["ridge_per_drug"], test, settings=ExplainSettings(methods=("native", "permutation")))
    agree = method_agreement(table, top=5)
    assert list(agree.columns) == list(AGREEMENT_COLUMNS)
    da = agree[agree["drug"] == "DA"].iloc[0]
    assert da["pair"] == "coefficient vs permutation" and da["top_overlap"] >= 0.4
    wide = pd.DataFrame({"cell_line": test.cell_lines, "drug": test.perturbations, "y": test.y}).pivot(
        index="cell_line", columns="drug", values="y"
    )
    assoc = associations(AssociationInputs.align(wide, test.cell_view("expression").to_frame())).table
    vs = association_agreement(table, assoc, view="expression", top=1)
    row = vs[(vs["drug"] == "DA") & (vs["pair"] == "coefficient vs association")].iloc[0]
    assert row["top_overlap"] == 1 and row["sign_agreement"] == 1.0 and row["n_shared"] == N_GENES
    other = make_model("ridge_per_drug", **MODELS["ridge_per_drug"]).fit(train[np.arange(0, len(train), 2)])
    second = attributions(other, test, settings=ExplainSettings(methods=("native",)))
    first = table[table["method"] == "coefficient"]
    stable = rank_stability(first, second, top=1).set_index("drug")
    assert stable.loc["DA", "top_overlap"] == 1 and stable.loc["DB", "top_overlap"] == 1
    same = rank_stability(first, first, top=10)
    assert np.allclose(same["spearman"], 1) and np.allclose(same["spearman_all"], 1)
    assert (same["top_overlap"] == 1).all() and (same["n_top"] == 10).all()
    ranks = feature_ranks(table, drug="DA", features=["G05", "G39"], view="expression", n_features=N_GENES)
    g05 = ranks[(ranks["feature"] == "G05") & (ranks["method"] == "coefficient")].iloc[0]
    assert g05["rank"] == 1 and g05["percentile"] == 1 / N_GENES


def test_stability_is_not_negative_for_rankings_that_agree_up_to_noise():
    rng = np.random.default_rng(0)
    truth = np.linspace(1.0, 0.0, 200)

    def run(seed: int) -> pd.DataFrame:
        noise = np.random.default_rng(seed).normal(0, 0.02, truth.size)
        return pd.DataFrame(
            {
                "model": "m",
                "method": "x",
                "drug": "D",
                "view": "v",
                "feature": [f"f{i}" for i in range(200)],
                "importance": truth + noise,
            }
        )

    out = rank_stability(run(1), run(2), top=50).iloc[0]
    assert out["spearman"] > 0.5 and out["spearman_all"] > 0.9 and out["top_overlap"] > 0.7
    shuffled = run(2).assign(importance=rng.permutation(truth))
    assert rank_stability(run(1), shuffled, top=50).iloc[0]["top_overlap"] < 0.5
