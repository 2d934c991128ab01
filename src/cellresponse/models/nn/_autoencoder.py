"""Autoencoders over omics profiles (plain and masked/denoising), for LEAP representations.

Importing this module needs torch; it registers the ``"ae"`` and ``"dae"`` trainers with
:func:`cellresponse.features.register_representation_trainer`. Trained encoder weights are
returned as NumPy arrays, so encoding and saved models need no torch.

The training loop here is deliberately minimal (full-matrix in memory, Adam, fixed epochs,
seeded through a forked RNG); ``cellresponse.models.train`` was not available when this
was written.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from cellresponse.features._representations import (
    Layers,
    RepresentationConfig,
    Trainer,
    register_representation_trainer,
)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` intra-op torch threads, restoring the previous setting afterwards.

    Small networks on a shared machine train much faster on one thread (no contention).
    """
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(old)


class AutoEncoder(nn.Module):
    """Dense autoencoder: ``n_in -> hidden... -> n_code -> reversed(hidden)... -> n_in``.

    ReLU between layers; the code and the reconstruction are linear.
    """

    def __init__(self, n_in: int, *, hidden: tuple[int, ...] = (256,), n_code: int = 64) -> None:
        super().__init__()
        dims = [n_in, *hidden, n_code]
        enc: list[nn.Module] = []
        for i in range(len(dims) - 1):
            enc.append(nn.Linear(dims[i], dims[i + 1]))
            if i < len(dims) - 2:
                enc.append(nn.ReLU())
        dec: list[nn.Module] = []
        rdims = dims[::-1]
        for i in range(len(rdims) - 1):
            dec.append(nn.Linear(rdims[i], rdims[i + 1]))
            if i < len(rdims) - 2:
                dec.append(nn.ReLU())
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))

    def encoder_layers(self) -> Layers:
        """Encoder weights as ``[(W (in x out), b)]`` NumPy arrays."""
        return [
            (m.weight.detach().T.numpy().copy(), m.bias.detach().numpy().copy())
            for m in self.encoder
            if isinstance(m, nn.Linear)
        ]


def train_autoencoder(
    x: np.ndarray,
    *,
    config: RepresentationConfig,
    random_state: int = 0,
    masked: bool = False,
    n_threads: int | None = 1,
) -> tuple[AutoEncoder, dict[str, Any]]:
    """Train an autoencoder on standardised rows ``x`` (lines x features).

    Parameters
    ----------
    x
        ``(n_lines, n_features)`` float matrix, already standardised.
    config
        Sizes and optimiser settings (``hidden``, ``n_components``, ``epochs``, ...).
    random_state
        Seeds initialisation, batch order and corruption (global RNG state is restored).
    masked
        Zero a random ``config.mask_fraction`` of inputs and add Gaussian noise
        (``config.noise_std``); the loss is the full clean reconstruction.
    n_threads
        Torch intra-op threads while training (restored afterwards); ``None`` keeps
        the current setting.

    Returns
    -------
    model, info
        The trained module and ``{"loss_history", "epoch_seconds"}``.
    """
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"train_autoencoder needs a 2-D matrix with >= 2 rows, got shape {x.shape}")
    data = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32))
    n = data.shape[0]
    history: list[float] = []
    epoch_seconds: list[float] = []
    with torch.random.fork_rng(devices=[]), torch_threads(n_threads):
        torch.manual_seed(int(random_state))
        gen = torch.Generator().manual_seed(int(random_state))
        model = AutoEncoder(x.shape[1], hidden=tuple(config.hidden), n_code=config.n_components)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        batch = max(1, min(config.batch_size, n))
        model.train()
        for _ in range(config.epochs):
            t0 = time.perf_counter()
            order = torch.randperm(n, generator=gen)
            total = 0.0
            for start in range(0, n, batch):
                xb = data[order[start : start + batch]]
                inp = xb
                if masked:
                    keep = torch.rand(xb.shape, generator=gen) >= config.mask_fraction
                    noise = torch.randn(xb.shape, generator=gen) * config.noise_std
                    inp = (xb + noise) * keep
                loss = torch.mean((model(inp) - xb) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(xb)
            history.append(total / n)
            epoch_seconds.append(time.perf_counter() - t0)
    model.eval()
    return model, {"loss_history": history, "epoch_seconds": epoch_seconds}


def _trainer(masked: bool) -> Trainer:
    def fit(x: np.ndarray, config: RepresentationConfig, seed: int) -> tuple[Layers, dict[str, Any]]:
        model, info = train_autoencoder(x, config=config, random_state=seed, masked=masked)
        return model.encoder_layers(), {
            "final_loss": info["loss_history"][-1] if info["loss_history"] else None,
            "mean_epoch_seconds": float(np.mean(info["epoch_seconds"])) if info["epoch_seconds"] else 0.0,
        }

    return fit


register_representation_trainer("ae", _trainer(False))
register_representation_trainer("dae", _trainer(True))

__all__ = ["AutoEncoder", "torch_threads", "train_autoencoder"]
