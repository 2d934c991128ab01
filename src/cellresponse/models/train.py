"""One small plain-PyTorch training loop and the :class:`TorchModel` adapter.

Batches are built by ID lookup: each entity (cell line, drug) has one row in a
per-entity tensor, and a batch holds the rows of its *distinct* entities plus, per
pair, the index of its cell line and drug. A pairs x features matrix is never built.

A torch model subclasses :class:`TorchModel` and implements four hooks:

- ``_prepare(data)``: fit preprocessing on the training data (scalers, gene lists,
  ontologies) and store it in ``*_`` attributes;
- ``_entity_tensors(data)``: per-entity feature tensors for the entities of ``data``;
- ``_build_network()``: the ``nn.Module``;
- ``_loss(network, batch)`` and ``_predict_batch(network, batch)``.

Everything else (seeding, threads, early stopping, progress, saving) lives here.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models._drug_offset import DrugOffset
from cellresponse.models.base import ResponseModel

if TYPE_CHECKING:
    import torch
    from torch import nn


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on extras
        raise ImportError("this model needs PyTorch; install it with `pip install 'cellresponse[torch]'`") from err
    return torch


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
        torch = _import_torch()
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
        torch = _import_torch()
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


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
_GLIBC_DEFAULT_THRESHOLD = 128 * 1024


def _glibc() -> Any:
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:  # pragma: no cover - unusual libc layout
        return None


@contextlib.contextmanager
def reuse_large_allocations() -> Iterator[None]:
    """Keep freed large blocks in the heap for reuse while training (glibc only).

    glibc serves blocks above ~32 MB by ``mmap`` and unmaps them on free, so every
    training step page-faults its large activation tensors in again: on the DrugCell
    ontology (~40 MB neuron tensors) allocating a tensor cost ~15 ms instead of ~1.5 ms,
    a quarter of a step. Inside this context large blocks come from the heap and up to
    64 MB of freed memory at its top is kept (on that benchmark: training 10.8k -> 16k
    pairs/s at 2 threads, peak RSS 935 -> 971 MB); on exit the defaults are restored and
    the heap trimmed. No effect on other platforms.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 26)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT_THRESHOLD)
        libc.malloc_trim(0)


@contextlib.contextmanager
def torch_settings(
    *, num_threads: int | None, deterministic: bool, seed: int | None, device: str = "cpu"
) -> Iterator[None]:
    """Set threads, deterministic algorithms and the seed inside; restore global state after.

    The global torch RNG is forked, so seeding here does not leak. On CPU every op the
    models use is deterministic already, so ``torch.use_deterministic_algorithms`` (whose
    first call imports ``torch._inductor``, ~4 s) is switched on only for other devices.
    """
    torch = _import_torch()
    old_threads = torch.get_num_threads()
    set_det = deterministic and not str(device).startswith("cpu")
    if set_det:
        old_det = torch.are_deterministic_algorithms_enabled()
        old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    with torch.random.fork_rng(devices=[]), reuse_large_allocations():
        if seed is not None:
            torch.manual_seed(int(seed))
        try:
            if num_threads is not None:
                torch.set_num_threads(int(num_threads))
            if set_det:
                torch.use_deterministic_algorithms(True, warn_only=True)
            yield
        finally:
            torch.set_num_threads(old_threads)
            if set_det:
                torch.use_deterministic_algorithms(old_det, warn_only=old_warn)


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


class TorchModel(ResponseModel):
    """Adapter from the :class:`ResponseModel` contract to a torch network.

    Subclasses define ``__init__`` with their hyperparameters, which must include the
    trainer settings read here: ``epochs``, ``batch_size``, ``lr``, ``weight_decay``,
    ``patience``, ``valid_fraction``, ``device``, ``num_threads``, ``progress``,
    ``deterministic``, ``random_state``, ``drug_offset`` (learn the deviation from each
    drug's training mean, :mod:`cellresponse.models._drug_offset`),
    ``standardize_target`` (train on the target -- or its deviation from the drug
    offset -- standardised with training mean/std; predictions are mapped back) and
    ``fast_dev_run`` (stop after one batch).
    """

    # format 2: the drug offset joined the saved state
    format_version: ClassVar[int] = 2

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    patience: int
    valid_fraction: float
    device: str
    num_threads: int | None
    progress: bool
    deterministic: bool
    random_state: int
    fast_dev_run: bool
    drug_offset: bool
    standardize_target: bool

    # ---------------------------------------------------------------- hooks
    def _prepare(self, data: Dataset) -> None:
        raise NotImplementedError

    def _entity_tensors(self, data: Dataset) -> EntityTensors:
        raise NotImplementedError

    def _build_network(self) -> nn.Module:
        raise NotImplementedError

    def _loss(self, network: nn.Module, batch: Batch) -> torch.Tensor:
        raise NotImplementedError

    def _predict_batch(self, network: nn.Module, batch: Batch) -> torch.Tensor:
        raise NotImplementedError

    def _network_meta(self) -> dict[str, Any]:
        """JSON state needed to rebuild the network in :meth:`_set_state`."""
        return {}

    def _prep_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {}

    def _set_prep_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        return None

    # ----------------------------------------------------------------- fit
    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        _import_torch()
        if valid is None:
            data, valid = carve_validation(data, fraction=self.valid_fraction, random_state=self.random_state)
        with torch_settings(
            num_threads=self.num_threads,
            deterministic=self.deterministic,
            seed=self.random_state,
            device=self.device,
        ):
            self._prepare(data)
            self.offset_ = DrugOffset.fit(data) if self.drug_offset else None
            y = np.asarray(data.y, dtype=np.float64) - self._offset(data)
            if self.standardize_target:
                self.y_shift_, self.y_scale_ = float(y.mean()), float(y.std()) or 1.0
            else:
                self.y_shift_, self.y_scale_ = 0.0, 1.0
            network = self._build_network().to(self.device)
            train_b, valid_b = (
                PairBatcher(
                    part,
                    self._to_device(self._entity_tensors(part)),
                    batch_size=self.batch_size,
                    y_shift=self.y_shift_ + self._offset(part),
                    y_scale=self.y_scale_,
                )
                for part in (data, valid)
            )
            self.history_ = train_loop(
                network,
                train_b,
                valid_b,
                loss=self._loss,
                predict=self._predict_batch,
                epochs=1 if self.fast_dev_run else self.epochs,
                lr=self.lr,
                weight_decay=self.weight_decay,
                patience=self.patience,
                progress=self.progress,
                seed=self.random_state,
                max_steps=1 if self.fast_dev_run else None,
                device=self.device,
            )
        self.network_ = network.to("cpu").eval()

    def _offset(self, data: Dataset) -> np.ndarray:
        """Each observation's drug offset (zeros without ``drug_offset``)."""
        if self.offset_ is None:
            return np.zeros(len(data))
        return self.offset_(data.perturbations)

    def _to_device(self, ent: EntityTensors) -> EntityTensors:
        if self.device == "cpu":
            return ent
        return EntityTensors(ent.cell_ids, ent.cells.to(self.device), ent.drug_ids, ent.drugs.to(self.device))

    def _predict(self, data: Dataset) -> np.ndarray:
        torch = _import_torch()
        with torch_settings(num_threads=self.num_threads, deterministic=False, seed=None):
            # in eval mode pairs are independent: large batches let each distinct entity be
            # encoded once for many pairs
            batcher = PairBatcher(
                data, self._to_device(self._entity_tensors(data)), batch_size=max(self.batch_size, 65536)
            )
            network = self.network_.to(self.device).eval()
            out = np.empty(len(data), dtype=np.float32)
            try:
                with torch.no_grad():
                    for batch in batcher.batches():
                        out[batch.rows] = self._predict_batch(network, batch).cpu().numpy()
            finally:
                self.network_ = network.to("cpu")
        return out * self.y_scale_ + self.y_shift_ + self._offset(data)

    # --------------------------------------------------------------- state
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self._prep_state()
        state = {f"net.{k}": v.detach().cpu().numpy() for k, v in self.network_.state_dict().items()}
        offset_meta, offset_arrays = self.offset_.state() if self.offset_ is not None else (None, {})
        return (
            {
                "network": self._network_meta(),
                "prep": meta,
                "history": self.history_,
                "y_shift": self.y_shift_,
                "y_scale": self.y_scale_,
                "offset": offset_meta,
            },
            {**arrays, **state, **offset_arrays},
        )

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        torch = _import_torch()
        for key in ("network", "prep"):
            if key not in meta:
                raise ValueError(f"saved {type(self).__name__} state lacks {key!r}; file from another version?")
        prep = {k: v for k, v in arrays.items() if not k.startswith(("net.", "offset_"))}
        self._set_prep_state(meta["prep"], prep)
        self._restore_network_meta(meta["network"])
        network = self._build_network()
        state = {
            k.removeprefix("net."): torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("net.")
        }
        try:
            network.load_state_dict(state)
        except RuntimeError as err:
            raise ValueError(
                f"saved weights do not fit the {type(self).__name__} network (written by another version?): "
                f"{str(err).splitlines()[0]}"
            ) from None
        self.network_ = network.eval()
        self.history_ = list(meta.get("history", []))
        self.y_shift_ = float(meta.get("y_shift", 0.0))
        self.y_scale_ = float(meta.get("y_scale", 1.0))
        self.offset_ = DrugOffset.from_state(meta["offset"], arrays) if meta.get("offset") is not None else None

    def _restore_network_meta(self, meta: dict[str, Any]) -> None:
        return None


def train_loop(
    network: nn.Module,
    train: PairBatcher,
    valid: PairBatcher,
    *,
    loss: Any,
    predict: Any,
    epochs: int,
    lr: float,
    weight_decay: float,
    patience: int,
    progress: bool = False,
    seed: int = 0,
    max_steps: int | None = None,
    device: str = "cpu",
) -> list[dict[str, float]]:
    """Adam with L2 weight decay, shuffled batches and early stopping on validation MSE.

    The best network (lowest validation MSE) is restored at the end. Returns one record
    per epoch: ``epoch``, ``train_loss``, ``valid_mse``.
    """
    torch = _import_torch()
    gen = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.Adam(network.parameters(), lr=lr, betas=(0.9, 0.99), eps=1e-5, weight_decay=weight_decay)
    best = (math.inf, copy.deepcopy(network.state_dict()))
    history: list[dict[str, float]] = []
    bad_epochs = 0
    steps = 0
    bar = _progress(progress)
    task = bar.add_task("training", total=epochs) if bar is not None else None
    with bar if bar is not None else contextlib.nullcontext():
        for epoch in range(epochs):
            network.train()
            total, count = 0.0, 0
            for batch in train.batches(generator=gen, drop_last_single=True):
                opt.zero_grad(set_to_none=True)
                value = loss(network, batch)
                if not torch.isfinite(value):
                    raise FloatingPointError(f"training loss became {value.item()} at epoch {epoch}; lower lr")
                value.backward()
                opt.step()
                total += float(value.detach()) * len(batch.rows)
                count += len(batch.rows)
                steps += 1
                if max_steps is not None and steps >= max_steps:
                    break
            network.eval()
            se, n = 0.0, 0
            with torch.no_grad():
                for batch in valid.batches():
                    pred = predict(network, batch)
                    se += float(((pred - batch.y) ** 2).sum())
                    n += len(batch.rows)
            valid_mse = se / max(n, 1)
            history.append({"epoch": epoch, "train_loss": total / max(count, 1), "valid_mse": valid_mse})
            if bar is not None and task is not None:
                bar.update(task, advance=1, description=f"valid MSE {valid_mse:.4f}")
            if valid_mse < best[0]:
                best = (valid_mse, copy.deepcopy(network.state_dict()))
                bad_epochs = 0
            else:
                bad_epochs += 1
            if bad_epochs > patience or (max_steps is not None and steps >= max_steps):
                break
    network.load_state_dict(best[1])
    return history


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True)


def check_finite(values: np.ndarray, *, what: str, ids: pd.Index) -> None:
    """Raise ``ValueError`` naming the entities whose features contain NaN or inf."""
    bad = ~np.isfinite(values).reshape(len(values), -1).all(axis=1)
    if bad.any():
        shown = ", ".join(map(str, ids[bad][:5]))
        raise ValueError(
            f"{what} has non-finite values for {int(bad.sum())} entities ({shown}{', ...' if bad.sum() > 5 else ''}); "
            "impute them before fitting"
        )


__all__ = [
    "Batch",
    "EntityTensors",
    "PairBatcher",
    "TorchModel",
    "carve_validation",
    "check_finite",
    "reuse_large_allocations",
    "torch_settings",
    "train_loop",
]
