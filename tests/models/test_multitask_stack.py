"""multitask_ridge, stack, their combiner and GO-term features: behaviour the contract suite
does not check (what is learned, what is chosen on validation, bad input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.data.synthetic import make_response_dataset
from cellresponse.features import TermScorer, go_gene_sets
from cellresponse.models import load_model, make_model
from cellresponse.models._combine import GroupWeights, shrunk_nnls
from cellresponse.models.multitask import per_group_pearson
from cellresponse.models.stack import carve_like
from cellresponse.splits import make_split

NO_GO = {"term_views": ()}


@pytest.fixture(scope="module")
def panel():
    return make_response_dataset(n_cell_lines=60, n_genes=40, n_drugs=10, noise=0.3, random_state=3)


def _parts(ds, mode):
    f = make_split(ds, mode=mode, n_folds=4, seed=0, valid_fraction=0.2).folds[0]
    return ds[f.train], ds[f.valid], ds[f.test]


# ----------------------------------------------------------------- GO-term scores
def test_term_scorer_keeps_sized_distinct_sets_and_round_trips():
    sets = {"T1": {"a", "b"}, "T2": {"b", "a"}, "T3": {"c"}, "T4": {"a", "b", "c", "zz"}}
    scorer = TermScorer(min_genes=2, max_genes=3).fit(["a", "b", "c"], gene_sets=sets)
    # T2 repeats T1's measured genes; T3 is too small; T4 has 3 measured genes
    assert scorer.terms_.tolist() == ["T1", "T4"]
    x = np.array([[1.0, 3.0, 5.0], [0.0, 0.0, 3.0]])
    np.testing.assert_allclose(scorer.transform(x), [[2.0, 3.0], [0.0, 1.0]])
    meta, arrays = scorer.get_state("t")
    np.testing.assert_array_equal(TermScorer.from_state(meta, arrays, "t").transform(x), scorer.transform(x))


def test_term_scorer_rejects_bad_input():
    with pytest.raises(ValueError, match="min_genes <= max_genes"):
        TermScorer(min_genes=5, max_genes=2).fit(["a"], gene_sets={})
    scorer = TermScorer(min_genes=1).fit(["a", "b"], gene_sets={"T": {"a"}})
    with pytest.raises(ValueError, match=r"\(n, 2\) matrix"):
        scorer.transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        scorer.transform(np.array([[np.nan, 1.0]]))


def test_go_gene_sets_on_the_real_go_export(real_data_root):
    genes = ["TP53", "MDM2", "CDKN1A", "BAX", "ATM", "CHEK2", "BRCA1", "RAD51", "MYC", "EGFR"]
    sets = go_gene_sets(genes, min_genes=3, max_genes=8, root=real_data_root)
    assert sets and all(3 <= len(g) <= 8 and g <= set(genes) for g in sets.values())


# ----------------------------------------------------------------------- combiner
def test_shrunk_nnls_interpolates_between_the_fit_and_the_prior():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = x @ np.array([1.0, 0.0]) + rng.normal(scale=0.1, size=200)
    free = shrunk_nnls(x, y, np.array([0.0, 1.0]), 0.0)
    pulled = shrunk_nnls(x, y, np.array([0.0, 1.0]), 1e6)
    np.testing.assert_allclose(free, [1.0, 0.0], atol=0.05)
    np.testing.assert_allclose(pulled, [0.0, 1.0], atol=1e-3)
    assert (shrunk_nnls(x, -y, np.zeros(2), 1.0) >= 0).all()


def _member_data(per_group_best: bool, seed: int = 0):
    """Two members; in half the groups member 0 is the truth, in the other half member 1
    (``per_group_best``), else member 0 everywhere."""
    rng = np.random.default_rng(seed)
    n_groups, n_rows = 20, 60
    groups = np.repeat([f"g{i}" for i in range(n_groups)], n_rows)
    lines = np.tile([f"c{i}" for i in range(n_rows)], n_groups)
    a, b = rng.normal(size=(2, len(groups)))
    first = np.repeat(np.arange(n_groups) % 2 == 0, n_rows) if per_group_best else np.ones(len(groups), bool)
    target = np.where(first, a, b) + rng.normal(scale=0.3, size=len(groups))
    return np.column_stack([a, b]), target, groups, lines


def test_group_weights_learn_per_group_combinations_when_groups_differ():
    dev, target, groups, lines = _member_data(per_group_best=True)
    gw = GroupWeights().fit(dev, target, groups=groups, cv_groups=lines)
    assert np.isfinite(gw.tau_) and gw.single_ == -1
    w = gw.weights_for(np.array(["g0", "g1"]))
    assert w[0, 0] > 0.8 and w[0, 1] < 0.2 and w[1, 1] > 0.8 and w[1, 0] < 0.2
    # a group absent from validation gets the global weights
    np.testing.assert_array_equal(gw.weights_for(np.array(["unseen"]))[0], gw.global_)
    meta, arrays = gw.get_state("c")
    np.testing.assert_array_equal(
        GroupWeights.from_state(meta, arrays, "c").weights_for(groups), gw.weights_for(groups)
    )


def test_group_weights_fall_back_to_the_single_best_member():
    dev, target, groups, lines = _member_data(per_group_best=False)
    noise = np.random.default_rng(1).normal(size=(len(target), 3))
    gw = GroupWeights().fit(np.column_stack([dev[:, :1], noise]), target, groups=groups, cv_groups=lines)
    assert gw.single_ == 0 and (gw.weights_[:, 1:] == 0).all()


def test_group_weights_reject_bad_input():
    with pytest.raises(ValueError, match="same rows"):
        GroupWeights().fit(np.zeros((3, 2)), np.zeros(4), groups=np.zeros(3), cv_groups=np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        GroupWeights().fit(np.full((2, 1), np.nan), np.zeros(2), groups=np.zeros(2), cv_groups=np.zeros(2))


# ----------------------------------------------------------------- multitask_ridge
def test_multitask_ridge_beats_the_drug_mean_and_records_its_choice(panel):
    train, valid, test = _parts(panel, "lco")
    model = make_model("multitask_ridge", **NO_GO).fit(train, valid=valid)
    ours = per_group_pearson(test.y, model.predict(test), test.perturbations)
    tissue = make_model("tissue_drug_mean").fit(train).predict(test)
    assert ours > per_group_pearson(test.y, tissue, test.perturbations) + 0.1
    assert len(model.selection_) == 2 * 4 and model.selection_["valid_pearson"].notna().all()
    best = model.selection_.sort_values("valid_pearson").iloc[-1]
    assert model.chosen_["alpha"] == best["alpha"] and model.chosen_["residual_rank"] == best["residual_rank"]


def test_multitask_ridge_completes_seen_lines_from_their_other_responses(panel):
    # leave-pair-out: the test lines were seen, so their measured responses inform the
    # low-rank residual (here a line effect the omics do not show), which validation picks
    from dataclasses import replace

    hidden = pd.Series(np.random.default_rng(0).normal(size=60), index=np.unique(panel.cell_lines))
    shifted = replace(panel, y=panel.y + hidden.reindex(panel.cell_lines).to_numpy().astype(np.float32))
    train, valid, test = _parts(shifted, "lpo")
    model = make_model("multitask_ridge", **NO_GO, residual_ranks=(0, 3)).fit(train, valid=valid)
    table = model.selection_.groupby("residual_rank")["valid_pearson"].max()
    assert table[3] > table[0] and model.chosen_["residual_rank"] == 3
    only_omics = make_model("multitask_ridge", **NO_GO, residual_ranks=(0,)).fit(train, valid=valid)
    scores = [per_group_pearson(test.y, m.predict(test), test.perturbations) for m in (model, only_omics)]
    assert scores[0] > scores[1]


def test_multitask_ridge_predicts_unseen_drugs_from_similar_ones(panel, tmp_path):
    train, valid, test = _parts(panel, "ldo")
    assert not np.isin(test.perturbations, train.perturbations).any()
    model = make_model("multitask_ridge", **NO_GO).fit(train, valid=valid)
    pred = model.predict(test)
    assert np.isfinite(pred).all() and model.fallback_counts_["unseen_perturbation"] == len(test)
    np.testing.assert_array_equal(load_model(model.save(tmp_path / "m")).predict(test), pred)


def test_drugs_without_a_fingerprint_share_nothing_but_still_fit(panel):
    # GDSC drugs without a SMILES have no morgan row; the engine keeps their rows (neither
    # model requires the view), so the drug kernel and the stack's members must take them
    fp = panel.perturbation_view("morgan")
    keep = [d for d in fp.ids if d not in set(np.unique(panel.perturbations)[:2])]
    ds = panel.with_views(perturbation_views={**panel.perturbation_views, "morgan": fp.subset(ids=keep)})
    train, valid, test = _parts(ds, "lco")
    kernel = {**NO_GO, "drug_weights": (0.0, 0.5)}
    for name, params in (("multitask_ridge", kernel), ("stack", {"member_params": {"multitask_ridge": kernel}})):
        pred = make_model(name, **params).fit(train, valid=valid).predict(test)
        assert np.isfinite(pred).all()
        assert per_group_pearson(test.y, pred, test.perturbations) > 0.3


def test_multitask_ridge_reads_go_terms_of_real_genes(real_data_root):
    ds = make_response_dataset(n_cell_lines=30, n_genes=60, n_drugs=4, random_state=0)
    genes = pd.Index(["TP53", "MDM2", "CDKN1A", "BAX", "ATM", "CHEK2", "BRCA1", "RAD51", "MYC", "EGFR"] * 6)
    genes = pd.Index([f"{g}" if i < 10 else f"X{i}" for i, g in enumerate(genes)])
    view = ds.cell_view("expression")
    renamed = type(view)(view.name, view.ids, view.values, genes, view.kind)
    ds = ds.with_views(cell_views={**ds.cell_views, "expression": renamed})
    train, valid, _ = _parts(ds, "lco")
    model = make_model("multitask_ridge", min_term_genes=2).fit(train, valid=valid)
    assert model.blocks_.n_terms > 0
    assert set(model.selection_["term_weight"]) == {0.0, 1.0}


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"alphas": (0.0,)}, "alphas"),
        ({"term_weights": (-1.0,)}, "term_weights"),
        ({"drug_weights": (1.0,)}, "drug_weights"),
        ({"residual_ranks": (-1,)}, "residual_ranks"),
        ({"em_iterations": 0}, "em_iterations"),
        ({"cell_views": (), "term_views": ()}, "cell_views"),
    ],
)
def test_multitask_ridge_rejects_bad_parameters(panel, params, match):
    with pytest.raises(ValueError, match=match):
        make_model("multitask_ridge", **{**NO_GO, **params}).fit(panel)


# -------------------------------------------------------------------------- stack
STACK = {
    "members": ("multitask_ridge", "ridge_per_drug", "tissue_drug_mean"),
    "member_params": {"multitask_ridge": NO_GO, "ridge_per_drug": {"n_top_genes": 20}},
}


def test_carve_like_holds_out_what_valid_holds_out(panel):
    for mode, key in (("lco", "cell_lines"), ("ldo", "perturbations")):
        train, valid, _ = _parts(panel, mode)
        held = carve_like(train, valid, fraction=0.2, random_state=0)
        assert not np.isin(getattr(train, key)[held], getattr(train, key)[~held]).any()
    train, valid, _ = _parts(panel, "lpo")
    held = carve_like(train, valid, fraction=0.2, random_state=0)
    # single pairs: nearly every held-out pair's line keeps other pairs in the rest
    assert np.isin(train.cell_lines[held], train.cell_lines[~held]).mean() > 0.9
    assert abs(held.mean() - 0.2) < 0.01


def test_stack_combines_its_members_and_names_the_member_to_beat(panel):
    train, valid, test = _parts(panel, "lco")
    model = make_model("stack", **STACK).fit(train, valid=valid)
    extras = model.benchmark_extras(test)
    members = extras["member_predictions"]
    assert list(members.columns) == [*STACK["members"], "valid_best"]
    np.testing.assert_array_equal(members["valid_best"], members[model.valid_best_])
    scored = {k: v for k, v in model.valid_scores_.items() if k != "ensemble"}
    assert model.valid_best_ == max(scored, key=lambda k: scored[k])
    # step 3 refits each member as the engine would fit it alone
    alone = make_model("ridge_per_drug", n_top_genes=20).fit(train, valid=valid).predict(test)
    np.testing.assert_allclose(members["ridge_per_drug"], alone)
    combiner = extras["combiner"].set_index("member")
    assert combiner.loc[model.valid_best_, "valid_best"]
    assert (combiner["weight"].dropna() >= 0).all()


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"members": ()}, "'members' parameter must be a non-empty list"),
        ({"members": ("drug_mean", "drug_mean")}, "each once"),
        ({"members": ("stack",)}, "its own member"),
        ({"members": ("drug_mean",), "member_params": {"lightgbm": {}}}, "not members"),
        ({"members": ("drug_mean",), "carve_fraction": 1.0}, "carve_fraction"),
        ({"members": ("drug_mean",), "taus": (0.0,)}, "taus"),
    ],
)
def test_stack_rejects_bad_parameters(panel, params, match):
    with pytest.raises(ValueError, match=match):
        make_model("stack", **params).fit(panel)
    with pytest.raises(ValueError, match="must be registered models; unknown: \\['no_such_model'\\]"):
        make_model("stack", members=("no_such_model",)).fit(panel)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("multitask_ridge", {"alphas": [0.0]}, "'alphas' parameter"),
        ("multitask_ridge", {"residual_ranks": [1.5]}, "'residual_ranks' parameter"),
        ("multitask_ridge", {"refit": "yes"}, "'refit' parameter"),
        ("stack", {"carve_fraction": 1.5}, "'carve_fraction' parameter"),
        ("stack", {"min_rows": 1}, "'min_rows' parameter"),
        ("stack", {"members": ["no_such_model"]}, "unknown: \\['no_such_model'\\]"),
        ("stack", {"member_params": {"no_such_model": {}}}, "unknown: \\['no_such_model'\\]"),
    ],
)
def test_bad_parameters_are_refused_before_any_fit(name, params, match):
    # the boundary check (--param, TOML, make_model through the pipeline) names the model,
    # the parameter and what it accepts
    from cellresponse.errors import InputError
    from cellresponse.models import check_model_params

    with pytest.raises(InputError, match=f"model '{name}'.*{match}"):
        check_model_params(name, params)


def test_a_loaded_stack_has_the_member_parameters_it_was_saved_with(panel, tmp_path):
    from cellresponse.models import load_model

    train, valid, test = _parts(panel, "lco")
    model = make_model("stack", **STACK).fit(train, valid=valid)
    loaded = load_model(model.save(tmp_path / "m"))
    assert loaded.member_params == {"multitask_ridge": NO_GO, "ridge_per_drug": {"n_top_genes": 20}}
    np.testing.assert_array_equal(loaded.predict(test), model.predict(test))
