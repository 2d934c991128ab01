"""Representations: PCA/autoencoder encoders, the cache key and reuse."""

from __future__ import annotations

import numpy as np
import pytest

from cellresponse.data import FeatureView
from cellresponse.features._representations import (
    RepresentationConfig,
    cache_dir,
    fit_encoder,
    representation_key,
)


@pytest.fixture(scope="module")
def view():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 12)).astype(np.float32)
    values[3, 2] = np.nan
    return FeatureView("expression", [f"L{i}" for i in range(30)], values, [f"F{j}" for j in range(12)])


def test_pca_encoder_and_cache(view):
    lines = list(view.ids[:20])
    cfg = RepresentationConfig(kind="pca", n_components=4, n_top_features=8)
    enc = fit_encoder(view, lines=lines, config=cfg)
    assert enc.info["from_cache"] is False and enc.n_components == 4 and len(enc.feature_names) == 8
    z = enc.transform_view(view, view.ids)
    assert z.shape == (30, 4) and np.isfinite(z).all()
    again = fit_encoder(view, lines=lines, config=cfg)
    assert again.info["from_cache"] is True
    np.testing.assert_allclose(again.transform_view(view, view.ids), z, rtol=1e-6)
    assert (cache_dir() / enc.info["key"] / "encoder.json").is_file()


def test_key_depends_on_lines_config_and_seed(view):
    cfg = RepresentationConfig(kind="ae", n_components=3)
    key = representation_key(view, config=cfg, seed=0, lines=view.ids[:20])
    assert key == representation_key(view, config=cfg, seed=0, lines=list(reversed(view.ids[:20])))
    assert key != representation_key(view, config=cfg, seed=1, lines=view.ids[:20])
    assert key != representation_key(view, config=cfg, seed=0, lines=view.ids[:21])
    pca = RepresentationConfig(kind="pca", n_components=3)
    assert representation_key(view, config=pca, seed=0, lines=view.ids) == representation_key(
        view, config=pca, seed=5, lines=view.ids
    )


@pytest.mark.parametrize("kind", ["ae", "dae"])
def test_autoencoder_is_seeded(view, kind):
    pytest.importorskip("torch")
    import cellresponse.models.nn._autoencoder  # noqa: F401

    cfg = RepresentationConfig(kind=kind, n_components=3, hidden=(8,), epochs=3)
    a = fit_encoder(view, lines=view.ids[:20], config=cfg, seed=1, use_cache=False)
    b = fit_encoder(view, lines=view.ids[:20], config=cfg, seed=1, use_cache=False)
    c = fit_encoder(view, lines=view.ids[:20], config=cfg, seed=2, use_cache=False)
    za, zb, zc = (e.transform_view(view, view.ids) for e in (a, b, c))
    np.testing.assert_allclose(za, zb)
    assert not np.allclose(za, zc)
    assert za.shape == (30, 3)


def test_autoencoder_can_overfit_tiny_batch():
    torch = pytest.importorskip("torch")
    from cellresponse.models.nn._autoencoder import train_autoencoder

    x = np.random.default_rng(0).normal(size=(8, 6)).astype(np.float32)
    cfg = RepresentationConfig(
        kind="ae", n_components=6, hidden=(32,), epochs=200, batch_size=8, lr=1e-2, weight_decay=0
    )
    model, info = train_autoencoder(x, config=cfg, random_state=0)
    assert info["loss_history"][-1] < 0.05 * info["loss_history"][0]
    assert isinstance(model, torch.nn.Module)


def test_bad_config_and_inputs(view):
    with pytest.raises(ValueError, match=r"kind must be one of"):
        RepresentationConfig(kind="umap")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"at least 2 training lines"):
        fit_encoder(view, lines=["L0"])
    with pytest.raises(KeyError, match=r"no row for 1 IDs: nope"):
        fit_encoder(view, lines=["L0", "nope"])
