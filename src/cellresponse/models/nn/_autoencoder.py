"""Autoencoders over omics profiles (plain and masked/denoising), for LEAP representations.

Importing this module needs torch; it registers the ``"ae"`` and ``"dae"`` trainers with
:func:`cellresponse.features.register_representation_trainer`. Trained encoder weights are
returned as NumPy arrays, so encoding and saved models need no torch.

Training runs through the package's one loop, :func:`cellresponse.models.train.train_network`
(the whole matrix in memory, fixed epochs, no validation): the representation config's
``epochs``, ``batch_size``, ``lr`` and ``weight_decay`` (part of the representation cache
key) are applied to :data:`AUTOENCODER_TRAINER`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from cellresponse.features import (
    Layers,
    RepresentationConfig,
    Trainer,
    register_representation_trainer,
)
from cellresponse.models._torch import torch_settings
from cellresponse.models.train import TrainerConfig, train_network

#: Trainer of the autoencoders: Adam, one thread (small networks on a shared machine
#: train much faster without contention), every epoch, no validation. Epochs, batch size,
#: learning rate and weight decay come from the :class:`RepresentationConfig`.
AUTOENCODER_TRAINER = TrainerConfig(num_threads=1, valid_fraction=0.0)


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


@dataclass(frozen=True)
class _Reconstruction:
    """A batch: the (possibly corrupted) inputs and the clean rows to reconstruct."""

    inputs: torch.Tensor
    target: torch.Tensor

    def __len__(self) -> int:
        return len(self.target)


def autoencoder_trainer(config: RepresentationConfig, *, num_threads: int | None = 1) -> TrainerConfig:
    """:data:`AUTOENCODER_TRAINER` with the training settings of ``config``."""
    return AUTOENCODER_TRAINER.replace(
        epochs=config.epochs,
        batch_size=max(1, config.batch_size),
        lr=config.lr,
        weight_decay=config.weight_decay,
        num_threads=num_threads,
    )


def train_autoencoder(
    x: np.ndarray,
    *,
    config: RepresentationConfig,
    random_state: int = 0,
    masked: bool = False,
    num_threads: int | None = 1,
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
    num_threads
        Torch intra-op threads while training (restored afterwards); ``None`` keeps
        the current setting.

    Returns
    -------
    model, info
        The trained module and ``{"loss_history", "epoch_seconds"}``.
    """
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"train_autoencoder needs a 2-D matrix with >= 2 rows, got shape {x.shape}")
    trainer = autoencoder_trainer(config, num_threads=num_threads)
    data = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32)).to(trainer.device)
    n = data.shape[0]

    def batches(gen: torch.Generator) -> Any:
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, trainer.batch_size):
            xb = data[order[start : start + trainer.batch_size].to(data.device)]
            inputs = xb
            if masked:
                # drawn from the batch-order generator (on the CPU), so the corruption is seeded too
                keep = torch.rand(xb.shape, generator=gen) >= config.mask_fraction
                noise = torch.randn(xb.shape, generator=gen) * config.noise_std
                inputs = (xb + noise.to(xb.device)) * keep.to(xb.device)
            yield _Reconstruction(inputs, xb)

    def loss(model: nn.Module, batch: _Reconstruction) -> torch.Tensor:
        return torch.mean((model(batch.inputs) - batch.target) ** 2)

    with torch_settings(
        num_threads=trainer.num_threads, deterministic=trainer.deterministic, seed=random_state, device=trainer.device
    ):
        model = AutoEncoder(x.shape[1], hidden=tuple(config.hidden), n_code=config.n_components).to(trainer.device)
        history = train_network(model, batches, loss, config=trainer, seed=random_state)
    model = model.to("cpu").eval()
    return model, {
        "loss_history": [h["train_loss"] for h in history],
        "epoch_seconds": [h["seconds"] for h in history],
    }


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

__all__ = ["AUTOENCODER_TRAINER", "AutoEncoder", "autoencoder_trainer", "train_autoencoder"]
