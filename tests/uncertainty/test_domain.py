"""Applicability domain: one score per axis, fitted on training data only; difficulty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.chem import tanimoto_similarity
from cellresponse.uncertainty import NOVELTY_COLUMNS, DomainConfig, DomainModel, domain_reasons


def _split_by(ds, column, held):
    keys = ds.group_keys(column)
    test = np.isin(keys, held)
    return ds[~test], ds[test]


def test_drug_novelty_is_one_minus_max_tanimoto_to_training_drugs(response_ds):
    drugs = sorted(set(response_ds.perturbations))
    train, test = _split_by(response_ds, "perturbation", drugs[:2])
    nov = DomainModel().fit(train).score(test)
    assert list(nov.columns) == list(NOVELTY_COLUMNS)
    view = response_ds.perturbation_view("morgan")
    sim = tanimoto_similarity(view.lookup(drugs[:2]), view.lookup(drugs[2:])).max(axis=1)
    expected = dict(zip(drugs[:2], 1 - sim, strict=True))
    np.testing.assert_allclose(nov["perturbation_novelty"], [expected[d] for d in test.perturbations], rtol=1e-6)
    assert (nov["perturbation_train_obs"] == 0).all()
    seen = DomainModel().fit(train).score(train[np.arange(10)])
    assert (seen["perturbation_novelty"] == 0).all()
    counts = pd.Series(train.perturbations).value_counts()
    assert seen["perturbation_train_obs"].tolist() == [counts[d] for d in train.perturbations[:10]]


def test_cell_line_novelty_is_a_percentile_of_training_distances(response_ds):
    lines = sorted(set(response_ds.cell_lines))
    train, test = _split_by(response_ds, "cell_line", lines[:8])
    dm = DomainModel(DomainConfig(k_novelty=3)).fit(train)
    nov = dm.score(test)["cell_line_novelty"]
    assert nov.between(0, 100).all() and nov.nunique() > 1
    assert (dm.score(train)["cell_line_novelty"] == 0).all()  # training lines are not novel
    # a profile far from every training line is beyond every training distance
    expr = response_ds.cell_view("expression")
    far = expr.to_frame().iloc[:1] * 0 + 1e3
    far.index = ["FAR"]
    from cellresponse.data import FeatureView

    views = {"expression": FeatureView.from_frame(pd.concat([expr.to_frame(), far]), name="expression")}
    query = test[np.arange(1)].with_views(cell_views=views)
    query = type(query)(**{**query.__dict__, "obs": query.obs.assign(cell_line="FAR")})
    scored = dm.score(query)
    assert scored["cell_line_novelty"].iloc[0] == 100 and scored["out_of_domain"].iloc[0]
    assert "cell line far from training lines" in domain_reasons(scored).iloc[0]


def test_unknown_line_without_profile_and_unseen_tissue_are_flagged(response_ds):
    tissues = response_ds.tissues
    held = tissues == tissues[0]
    dm = DomainModel().fit(response_ds[~held])
    scored = dm.score(response_ds[held])
    assert (scored["tissue_unseen"] == 1).all() and scored["out_of_domain"].all()
    assert domain_reasons(scored).str.contains("unseen tissue").all()
    inside = dm.score(response_ds[~held][np.arange(5)])
    assert (inside["tissue_unseen"] == 0).all() and not inside["out_of_domain"].any()
    ghost = response_ds[np.arange(1)]
    ghost = type(ghost)(**{**ghost.__dict__, "obs": ghost.obs.assign(cell_line="NO-PROFILE")})
    scored = dm.score(ghost)
    assert np.isnan(scored["cell_line_novelty"].iloc[0]) and scored["out_of_domain"].iloc[0]
    assert domain_reasons(scored).iloc[0] == "cell line without a profile"


def test_dose_and_time_outside_the_training_range(synth):
    doses = np.sort(synth.obs["dose"].unique())
    low = synth.obs["dose"].to_numpy() <= doses[-2]
    dm = DomainModel().fit(synth[low])
    scored = dm.score(synth[~low])
    expected = np.log10(doses[-1]) - np.log10(doses[-2])
    np.testing.assert_allclose(scored["dose_outside"], expected)
    assert (scored["time_outside"] == 0).all() and scored["out_of_domain"].all()
    assert (dm.score(synth[low])["dose_outside"] == 0).all()
    assert domain_reasons(scored).str.contains("dose outside").all()


def test_fitted_on_training_data_only(response_ds):
    lines = sorted(set(response_ds.cell_lines))
    train, test = _split_by(response_ds, "cell_line", lines[:8])
    a = DomainModel().fit(train)
    # the test part's own values never enter the fit: shuffled test targets change nothing
    shuffled = type(test)(**{**test.__dict__, "y": np.random.default_rng(0).permutation(test.y)})
    pd.testing.assert_frame_equal(a.score(test), a.score(shuffled))
    np.testing.assert_array_equal(a.difficulty(test), a.difficulty(shuffled))


def test_difficulty_is_the_spread_of_the_drug_training_responses(response_ds):
    lines = sorted(set(response_ds.cell_lines))
    train, test = _split_by(response_ds, "cell_line", lines[:8])
    dm = DomainModel().fit(train)
    sigma = dm.difficulty(test)
    assert sigma.shape == (len(test),) and (sigma > 0).all() and np.isfinite(sigma).all()
    sd = pd.Series(train.y).groupby(train.perturbations).std()
    np.testing.assert_allclose(sigma, np.maximum(sd[test.perturbations].to_numpy(), dm.sigma_floor_), rtol=1e-5)
    # an unseen drug gets the median spread of the training drugs
    drugs = sorted(set(response_ds.perturbations))
    tr, te = _split_by(response_ds, "perturbation", drugs[:2])
    dm = DomainModel().fit(tr)
    median = pd.Series(tr.y).groupby(tr.perturbations).std().median()
    np.testing.assert_allclose(dm.difficulty(te), median, rtol=1e-5)


def test_vector_difficulty_follows_the_nearest_training_dose(synth):
    dm = DomainModel().fit(synth)
    sigma = dm.difficulty(synth[np.arange(12)])
    assert sigma.shape == (12, synth.y.shape[1]) and (sigma > 0).all()
    dose = synth.obs["dose"].to_numpy()
    rows = np.isclose(np.log10(dose), np.log10(dose[0]))
    np.testing.assert_allclose(sigma[0], np.maximum(synth.y[rows].std(0, ddof=1), dm.sigma_floor_), rtol=1e-5)


def test_state_round_trip(response_ds, synth):
    for ds in (response_ds, synth):
        half = len(ds) // 2
        dm = DomainModel().fit(ds[np.arange(half)])
        meta, arrays = dm.get_state()
        again = DomainModel.from_state(meta, arrays)
        pd.testing.assert_frame_equal(dm.score(ds[np.arange(half, len(ds))]), again.score(ds[np.arange(half, len(ds))]))
        np.testing.assert_allclose(
            dm.difficulty(ds[np.arange(half, len(ds))]), again.difficulty(ds[np.arange(half, len(ds))]), rtol=1e-6
        )


def test_bad_input(response_ds):
    with pytest.raises(ValueError, match="not fitted"):
        DomainModel().score(response_ds)
    with pytest.raises(ValueError, match="max_cell_line_percentile"):
        DomainConfig(max_cell_line_percentile=0)
    with pytest.raises(ValueError, match="k_novelty"):
        DomainConfig(k_novelty=0)
