"""The shared model base: saving and loading hyperparameters."""

from __future__ import annotations

from cellresponse.models import load_model, make_model


def test_issue12_load_restores_tuple_hyperparameters(response_ds, tmp_path):
    # JSON stores tuples as lists; a loaded model got list hyperparameters, so its
    # get_params() (and every hash or comparison of it) differed from the saved model's.
    model = make_model("ridge_per_drug", n_top_genes=20, alphas=(10.0, 100.0)).fit(response_ds)
    loaded = load_model(model.save(tmp_path / "m"))
    assert loaded.get_params() == model.get_params()
    assert type(loaded.alphas) is tuple and type(loaded.cell_views) is tuple
