from __future__ import annotations

import numpy as np
import pytest

from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset
from cellresponse.splits import (
    butina_clusters,
    dose_holdout_split,
    make_split,
    murcko_scaffolds,
    time_holdout_split,
)
from cellresponse.tasks import get_task

EXPRESSION_SPLIT_MODES = ["compound", *get_task("expression").split_modes]


def test_synthetic_is_labelled_and_has_ground_truth(synth):
    assert synth.info["synthetic"] is True
    assert synth.task == "expression" and synth.y.shape == (5 * 8 * 6 * 2, 30)
    assert set(synth.info["ground_truth"]["mechanism"]) == set(synth.perturbations)
    assert synth.cell_view("basal").n_features == 30


def test_synthetic_dose_response_is_monotone_in_magnitude():
    ds = make_expression_dataset(
        SyntheticExpressionPanel(n_cell_lines=2, n_compounds=3, n_genes=20, noise=0.0), random_state=3
    )
    obs = ds.obs
    rows = (obs.cell_line == "SYN_CL00") & (obs.perturbation == "SYN_CP00") & (obs.time == 24.0)
    mag = np.abs(ds.y[rows.to_numpy()]).sum(1)[np.argsort(obs.loc[rows, "dose"].to_numpy())]
    assert (np.diff(mag) >= -1e-5).all()


def test_synthetic_bad_args():
    with pytest.raises(ValueError, match="positive"):
        make_expression_dataset(SyntheticExpressionPanel(doses=(0.0, 1.0)))


@pytest.mark.parametrize("mode", EXPRESSION_SPLIT_MODES)
def test_every_mode_is_disjoint(synth, mode):
    split = make_split(synth, mode=mode, n_folds=3, seed=0)
    for f in split.folds:
        assert not set(f.train) & set(f.test) and not set(f.valid) & set(f.test)
        assert not set(f.train) & set(f.valid)
    if mode in ("compound", "compound_cluster"):
        for f in split.folds:
            assert not set(synth.perturbations[f.train]) & set(synth.perturbations[f.test])
    if mode == "cell_line":
        for f in split.folds:
            assert not set(synth.cell_lines[f.train]) & set(synth.cell_lines[f.test])


def test_dose_holdouts(synth):
    doses = synth.obs["dose"].to_numpy()
    inter = dose_holdout_split(synth, kind="interpolation").folds[0]
    held = np.unique(doses[inter.test])
    assert doses.max() not in held and doses.min() not in held
    extra = dose_holdout_split(synth, kind="extrapolation").folds[0]
    assert np.unique(doses[extra.test]).tolist() == [doses.max()]
    assert doses.max() not in doses[extra.train]
    with pytest.raises(ValueError, match="kind"):
        dose_holdout_split(synth, kind="sideways")


def test_time_holdout(synth):
    f = time_holdout_split(synth).folds[0]
    assert set(synth.obs["time"].to_numpy()[f.test]) == {24.0}
    with pytest.raises(ValueError, match="not in dataset"):
        time_holdout_split(synth, times=[48.0])
    one_time = make_expression_dataset(SyntheticExpressionPanel(n_cell_lines=2, n_compounds=2, n_genes=5, times=(6.0,)))
    with pytest.raises(ValueError, match="one time point"):
        time_holdout_split(one_time)


def test_butina_groups_analogues(synth):
    clusters = butina_clusters(synth.perturbation_view("morgan"))
    mech = synth.info["ground_truth"]["mechanism"]
    # Synthetic fingerprints are mechanism prototypes + 5% flips: clusters = mechanisms.
    for label in clusters.unique():
        members = clusters.index[clusters == label]
        assert len({mech[m] for m in members}) == 1


def test_murcko_scaffolds_and_bad_smiles():
    import pandas as pd

    scaf = murcko_scaffolds(pd.Series({"a": "c1ccccc1CCO", "b": "c1ccccc1CCN", "c": "CCO"}))
    assert scaf["a"] == scaf["b"] == "c1ccccc1" and scaf["c"] == "acyclic"
    with pytest.raises(ValueError, match="compound 'x'"):
        murcko_scaffolds(pd.Series({"x": "not-a-smiles"}))


def test_unknown_mode(synth):
    with pytest.raises(ValueError, match=r"unknown split mode .nope."):
        make_split(synth, mode="nope")
