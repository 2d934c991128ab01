"""Batches of (cell line, drug) pairs built by ID lookup, for :class:`~cellresponse.models.train.TorchModel`.

Each entity (cell line, drug) has one row in a per-entity tensor, and a batch holds the
rows of its *distinct* entities plus, per pair, the index of its cell line and drug. A
pairs x features matrix is never built.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cellresponse._util import examples
from cellresponse.data import Dataset
from cellresponse.models._torch import import_torch

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass(frozen=True)
class EntityTensors:
    """Per-entity features: ``cells`` rows follow ``cell_ids``, ``drugs`` rows ``drug_ids``."""

    cell_ids: pd.Index
    cells: torch.Tensor
    drug_ids: pd.Index
    drugs: torch.Tensor


@dataclass(frozen=True)
class Batch:
    """Rows of the batch's distinct entities plus per-pair indices into them."""

    cells: torch.Tensor
    drugs: torch.Tensor
    cell_index: torch.Tensor
    drug_index: torch.Tensor
    y: torch.Tensor | None
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


class PairBatcher:
    """Yields :class:`Batch` objects for the observations of a dataset.

    Parameters
    ----------
    data
        The observations (IDs and targets).
    entities
        Per-entity tensors covering every cell line and drug of ``data``.
    batch_size
        Pairs per batch.
    y_shift, y_scale
        Targets are ``(y - y_shift) / y_scale``; ``y_shift`` is a number or one value per
        observation.
    """

    def __init__(
        self,
        data: Dataset,
        entities: EntityTensors,
        *,
        batch_size: int,
        y_shift: float | np.ndarray = 0.0,
        y_scale: float = 1.0,
    ) -> None:
        torch = import_torch()
        self.entities = entities
        self.batch_size = int(batch_size)
        cell_rows = entities.cell_ids.get_indexer(pd.Index(data.cell_lines))
        drug_rows = entities.drug_ids.get_indexer(pd.Index(data.perturbations))
        if (cell_rows < 0).any() or (drug_rows < 0).any():
            raise KeyError("some cell lines or drugs of the data have no feature rows")
        # indices and targets live where the entity tensors live (the shuffling order stays
        # on the CPU, seeded by a CPU generator, so batches are the same on every device)
        self.device = entities.cells.device
        self.cell_rows = torch.from_numpy(cell_rows).to(self.device)
        self.drug_rows = torch.from_numpy(drug_rows).to(self.device)
        y = (np.asarray(data.y, dtype=np.float64) - y_shift) / y_scale
        self.y = torch.from_numpy(y.astype(np.float32)).to(self.device)
        self.n = len(data)

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def batches(self, *, generator: torch.Generator | None = None, drop_last_single: bool = False) -> Iterator[Batch]:
        """Batches in order (``generator=None``) or shuffled with ``generator``."""
        torch = import_torch()
        order = torch.randperm(self.n, generator=generator) if generator is not None else torch.arange(self.n)
        for start in range(0, self.n, self.batch_size):
            idx = order[start : start + self.batch_size]
            if drop_last_single and len(idx) < 2:
                continue
            at = idx.to(self.device)
            uc, ci = torch.unique(self.cell_rows[at], return_inverse=True)
            ud, di = torch.unique(self.drug_rows[at], return_inverse=True)
            yield Batch(
                cells=self.entities.cells.index_select(0, uc),
                drugs=self.entities.drugs.index_select(0, ud),
                cell_index=ci,
                drug_index=di,
                y=self.y[at],
                rows=idx.numpy(),
            )


def pair_mse(network: nn.Module, *, batcher: PairBatcher, predict: Callable[[nn.Module, Batch], Any]) -> float:
    """Mean squared error of ``predict`` over the (scaled) targets of ``batcher``'s pairs."""
    se, n = 0.0, 0
    for batch in batcher.batches():
        se += float(((predict(network, batch) - batch.y) ** 2).sum())
        n += len(batch)
    return se / max(n, 1)


def carve_validation(data: Dataset, *, fraction: float = 0.1, random_state: int = 0) -> tuple[Dataset, Dataset]:
    """Split off a seeded ``fraction`` of the training cell lines as the inner validation part."""
    rng = np.random.default_rng(random_state)
    cells = np.unique(data.cell_lines)
    if len(cells) < 2:
        raise ValueError(f"cannot carve a validation part from {len(cells)} cell line(s); pass valid=")
    n_valid = max(1, round(fraction * len(cells)))
    valid_cells = rng.choice(cells, size=n_valid, replace=False)
    mask = np.isin(data.cell_lines, valid_cells)
    return data.subset(~mask), data.subset(mask)


def check_finite(values: np.ndarray, *, what: str, ids: pd.Index) -> None:
    """Raise ``ValueError`` naming the entities whose features contain NaN or inf."""
    bad = ~np.isfinite(values).reshape(len(values), -1).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{what} has non-finite values for {int(bad.sum())} entities ({examples(ids[bad])}); "
            "impute them before fitting"
        )


__all__ = ["Batch", "EntityTensors", "PairBatcher", "carve_validation", "check_finite", "pair_mse"]
