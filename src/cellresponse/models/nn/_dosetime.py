"""DoseTimeNet: a compound x cell x dose x time -> signature network (DeepICER-style).

Plain ``nn.Module``; the registered model wrapping it is
:class:`cellresponse.models.expression._dosetime.ExprDoseTime`. This module imports torch
at import time, so import it only inside functions.

Architecture::

    fingerprint --MLP--> drug tokens D (T x h) --FiLM(dose, time)--> D'
    basal expr  --MLP--> cell tokens C (T x h)
    A = softmax_ij( (D' U)_i . (C V)_j / sqrt(h) )           bilinear attention map
    f = sum_ij A_ij (D' U)_i * (C V)_j                       bilinear attention pooling
    ctx_i = sum_j A_ij (C V)_j                               drug tokens attending cells
    gate  = sigmoid(slope(D) * (log dose - log ec50(D)))     Hill-like dose gate
    y     = gate * decoder([ctx, f, cell, dose/time]) + base([cell, dose/time])
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _mlp(n_in: int, n_hidden: int, n_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, n_hidden),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(n_hidden, n_out),
    )


class DoseTimeNet(nn.Module):
    """Bilinear-attention fusion of drug and cell representations conditioned on dose/time.

    Parameters
    ----------
    n_bits
        Fingerprint length.
    n_basal
        Basal-expression features per cell line.
    n_genes
        Output genes.
    hidden
        Hidden width of the encoders and the decoder.
    n_tokens, token_dim
        Drug and cell representations are ``n_tokens`` tokens of ``token_dim``.
    dropout
        Dropout rate in encoders and decoder.
    """

    def __init__(
        self,
        n_bits: int,
        n_basal: int,
        n_genes: int,
        *,
        hidden: int = 256,
        n_tokens: int = 8,
        token_dim: int = 32,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        d = n_tokens * token_dim
        self.n_tokens, self.token_dim = n_tokens, token_dim
        self.drug = _mlp(n_bits, hidden, d, dropout)
        self.cell = _mlp(n_basal, hidden, d, dropout)
        # Continuous encodings of (log dose, time): raw values plus a few Fourier
        # features so the network can bend the curve without learning it from scratch.
        self.n_freq = 4
        self.cond = _mlp(2 + 4 * self.n_freq, 64, 64, 0.0)
        self.film = nn.Linear(64, 2 * d)
        self.u = nn.Linear(token_dim, token_dim, bias=False)
        self.v = nn.Linear(token_dim, token_dim, bias=False)
        self.hill = nn.Linear(d, 2)
        self.base = nn.Linear(d + 64, n_genes)  # dose-independent part (cell, time)
        self.decoder = nn.Sequential(
            nn.Linear(d + token_dim + d + 64, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_genes),
        )

    def encode_condition(self, log_dose: torch.Tensor, time: torch.Tensor) -> torch.Tensor:
        x = torch.stack([log_dose, time], dim=1)
        freqs = torch.arange(1, self.n_freq + 1, dtype=x.dtype, device=x.device) * (math.pi / 2)
        ang = x[:, :, None] * freqs
        four = torch.cat([torch.sin(ang), torch.cos(ang)], dim=2).flatten(1)
        return self.cond(torch.cat([x, four], dim=1))

    def forward(
        self, fp: torch.Tensor, basal: torch.Tensor, log_dose: torch.Tensor, time: torch.Tensor
    ) -> torch.Tensor:
        """Signatures ``(batch, n_genes)`` from standardized inputs."""
        b = fp.shape[0]
        t, h = self.n_tokens, self.token_dim
        drug = self.drug(fp)
        cell = self.cell(basal)
        cond = self.encode_condition(log_dose, time)
        gamma, beta = self.film(cond).chunk(2, dim=1)
        drug_c = drug * (1 + gamma) + beta
        dq = self.u(drug_c.view(b, t, h))
        ck = self.v(cell.view(b, t, h))
        logits = torch.einsum("bih,bjh->bij", dq, ck) / math.sqrt(h)
        att = torch.softmax(logits.flatten(1), dim=1).view(b, t, t)
        pooled = torch.einsum("bij,bih,bjh->bh", att, dq, ck)
        ctx = torch.einsum("bij,bjh->bih", att, ck).flatten(1)
        slope_ec50 = self.hill(drug)
        slope = nn.functional.softplus(slope_ec50[:, 0]) + 0.1
        gate = torch.sigmoid(slope * (log_dose - slope_ec50[:, 1]))
        out = self.decoder(torch.cat([ctx, pooled, cell, cond], dim=1))
        return out * gate[:, None] + self.base(torch.cat([cell, cond], dim=1))


__all__ = ["DoseTimeNet"]
