"""DoseTimeNet: the learned deviation of a signature from the dose/time model's baseline.

Plain ``nn.Module``; the registered model wrapping it is
:class:`cellresponse.models.expression._dosetime.ExprDoseTime`, which computes the
baseline (drug-blind ridge + dose-scaled compound effect) in closed form and adds this
network's output to it. This module imports torch at import time, so import it only
inside functions.

Architecture::

    fingerprint --Linear+GELU--> z_drug
    basal PCs   --Linear------> z_cell
    (log dose, time) + Fourier features --MLP--> z_cond
    h    = MLP(z_drug + z_cell + z_cond)
    gate = sigmoid(slope(z_drug) * (log dose - log ec50(z_drug)))     per-compound Hill gate
    deviation = gate * W h                                            W starts at zero

The output layer starts at zero, so an untrained network predicts the baseline and
training (with early stopping on the validation part) only keeps what improves on it.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class DoseTimeNet(nn.Module):
    """Gated deviation network over compound, cell, dose and time.

    Parameters
    ----------
    n_bits
        Fingerprint length.
    n_cell
        Cell-line features (basal-expression principal components).
    n_genes
        Output genes.
    hidden
        Width of the encoders and the hidden layer.
    dropout
        Dropout after the drug encoder and in the hidden layer.
    """

    def __init__(self, n_bits: int, n_cell: int, n_genes: int, *, hidden: int = 64, dropout: float = 0.3) -> None:
        super().__init__()
        self.n_freq = 4
        self.drug = nn.Sequential(nn.Linear(n_bits, hidden), nn.GELU(), nn.Dropout(dropout))
        self.cell = nn.Linear(max(n_cell, 1), hidden)
        self.cond = nn.Sequential(nn.Linear(2 + 4 * self.n_freq, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        self.mix = nn.Sequential(nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.GELU())
        self.hill = nn.Linear(hidden, 2)
        self.out = nn.Linear(hidden, n_genes)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def encode_condition(self, log_dose: torch.Tensor, time: torch.Tensor) -> torch.Tensor:
        """Raw (log dose, time) plus Fourier features, so curves bend without being learned from scratch."""
        x = torch.stack([log_dose, time], dim=1)
        freqs = torch.arange(1, self.n_freq + 1, dtype=x.dtype, device=x.device) * (math.pi / 2)
        ang = x[:, :, None] * freqs
        four = torch.cat([torch.sin(ang), torch.cos(ang)], dim=2).flatten(1)
        return self.cond(torch.cat([x, four], dim=1))

    def forward(
        self,
        fp: torch.Tensor,
        cell: torch.Tensor,
        log_dose: torch.Tensor,
        time: torch.Tensor,
    ) -> torch.Tensor:
        """The gated deviation ``(batch, n_genes)`` from the baseline."""
        z = self.drug(fp)
        if cell.shape[1] == 0:
            cell = cell.new_zeros(cell.shape[0], 1)
        h = self.mix(z + self.cell(cell) + self.encode_condition(log_dose, time))
        slope_ec50 = self.hill(z)
        slope = nn.functional.softplus(slope_ec50[:, 0]) + 0.1
        gate = torch.sigmoid(slope * (log_dose - slope_ec50[:, 1]))
        return gate[:, None] * self.out(h)


__all__ = ["DoseTimeNet"]
