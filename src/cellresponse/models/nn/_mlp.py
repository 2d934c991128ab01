"""Two-branch MLP: a cell-line encoder and a drug encoder joined by a head."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _stack(n_in: int, widths: Sequence[int], dropout: float) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for w in widths:
        layers += [nn.Linear(n_in, int(w)), nn.ReLU(), nn.Dropout(dropout)]
        n_in = int(w)
    return nn.Sequential(*layers), n_in


class PairMLP(nn.Module):
    """Encode distinct cell lines and drugs once, gather per pair, predict with a head.

    Parameters
    ----------
    cell_dim, drug_dim
        Input widths.
    cell_hidden, drug_hidden, head_hidden
        Layer widths of each part (ReLU + dropout after each linear layer).
    dropout
        Dropout probability.
    """

    def __init__(
        self,
        cell_dim: int,
        drug_dim: int,
        *,
        cell_hidden: Sequence[int] = (512, 128),
        drug_hidden: Sequence[int] = (256, 64),
        head_hidden: Sequence[int] = (128,),
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.cell_net, c_out = _stack(cell_dim, cell_hidden, dropout)
        self.drug_net, d_out = _stack(drug_dim, drug_hidden, dropout)
        head, h_out = _stack(c_out + d_out, head_hidden, dropout)
        self.head = nn.Sequential(head, nn.Linear(h_out, 1))

    def forward(
        self, cells: torch.Tensor, drugs: torch.Tensor, cell_index: torch.Tensor, drug_index: torch.Tensor
    ) -> torch.Tensor:
        """Predictions ``(B,)`` for pairs (``cell_index[b]``, ``drug_index[b]``)."""
        c = self.cell_net(cells).index_select(0, cell_index)
        d = self.drug_net(drugs).index_select(0, drug_index)
        return self.head(torch.cat([c, d], dim=1)).squeeze(-1)


__all__ = ["PairMLP"]
