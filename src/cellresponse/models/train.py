"""The one torch training path: :class:`TrainerConfig`, :func:`train_network` and :class:`TorchModel`.

Every torch network of the package trains through :func:`train_network`: the response
models (VNN, MLPs), the dose/time expression model, the LEAP autoencoders and the LEAP
MLP head. A network is an ``nn.Module``; how it is trained is one frozen
:class:`TrainerConfig` (optimiser, epochs, batch size, early stopping, device, threads).
Estimators take it as their one ``trainer`` hyperparameter (:class:`TorchEstimator`), so
``set_params(trainer__lr=1e-4)`` and parameter grids reach every field. Threads and RNG
state are set and restored by :func:`~cellresponse.models._torch.torch_settings`.

The response models batch (cell line, drug) pairs by ID lookup
(:mod:`cellresponse.models._pairs`); such a model subclasses :class:`TorchModel` and
implements the hooks

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
import dataclasses
import functools
import inspect
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from cellresponse.data import Dataset
from cellresponse.models._drug_offset import DrugOffset
from cellresponse.models._pairs import Batch, EntityTensors, PairBatcher, carve_validation, check_finite, pair_mse
from cellresponse.models._torch import import_torch, reuse_large_allocations, torch_settings
from cellresponse.models.base import ResponseModel

if TYPE_CHECKING:
    import torch
    from torch import nn

OPTIMIZERS = ("adam", "adamw")


@dataclass(frozen=True)
class TrainerConfig:
    """How a torch network is trained: optimiser, schedule, early stopping and machine.

    Each torch model's default is a module-level instance holding that model's tuned
    values (e.g. :data:`cellresponse.models.vnn.VNN_TRAINER`); change one field with
    ``model.set_params(trainer__lr=1e-4)`` or :meth:`replace`.

    Parameters
    ----------
    epochs
        Passes over the training data (at most, with early stopping).
    batch_size
        Samples per optimiser step.
    lr
        Learning rate.
    weight_decay
        ``"adam"``: L2 penalty added to the gradient; ``"adamw"``: decoupled decay.
    optimizer
        ``"adam"`` or ``"adamw"``.
    betas, eps
        The optimiser's moment decay rates and denominator term.
    patience
        Epochs without improvement of the validation loss that training tolerates; the
        next one stops it (as scikit-learn's ``n_iter_no_change``). The best weights are
        restored at the end.
    min_delta
        An epoch improves when its validation loss is below the best minus ``min_delta``.
    valid_fraction
        Share of the training groups carved off as the inner validation part when ``fit``
        gets no ``valid=`` (models that carve one); 0 trains every epoch without
        validation and keeps the last weights.
    device
        Where the network trains (``"cpu"``, ``"cuda"``, ...).
    num_threads
        Torch intra-op threads during fit and predict (restored afterwards); ``None``
        keeps torch's setting.
    deterministic
        Deterministic algorithms on non-CPU devices (CPU ops here are deterministic).
    progress
        Show a progress bar with the validation loss per epoch.
    fast_dev_run
        Train one batch of one epoch (a smoke test).

    Examples
    --------
    >>> cfg = TrainerConfig(epochs=5, lr=1e-3)
    >>> cfg.replace(lr=3e-3).lr
    0.003
    >>> changed = TrainerConfig.coerce({"epochs": 2, "betas": [0.9, 0.99]}, base=cfg)
    >>> changed.epochs, changed.lr, changed.betas
    (2, 0.001, (0.9, 0.99))
    """

    epochs: int = 50
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    patience: int = 5
    min_delta: float = 0.0
    valid_fraction: float = 0.1
    device: str = "cpu"
    num_threads: int | None = None
    deterministic: bool = True
    progress: bool = False
    fast_dev_run: bool = False

    def __post_init__(self) -> None:
        self._check_types()
        # a TOML array arrives as a list; keep the config hashable and equal to the tuple form
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        checks = {
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "lr": self.lr > 0,
            "weight_decay": self.weight_decay >= 0,
            "betas": len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas),
            "eps": self.eps > 0,
            "patience": self.patience >= 0,
            "min_delta": self.min_delta >= 0,
            "valid_fraction": 0 <= self.valid_fraction < 1,
            "num_threads": self.num_threads is None or self.num_threads >= 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in bad)
            raise ValueError(
                f"invalid trainer settings: {shown} (epochs, batch_size, num_threads >= 1; lr, eps > 0; "
                "weight_decay, patience, min_delta >= 0; betas two values in [0, 1); valid_fraction in [0, 1))"
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"trainer optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")

    def _check_types(self) -> None:
        """Each setting of the type it needs (a TOML string where a number belongs is named)."""
        integers = ("epochs", "batch_size", "patience")
        reals = ("lr", "weight_decay", "eps", "min_delta", "valid_fraction")
        flags = ("deterministic", "progress", "fast_dev_run")

        def is_int(v: Any) -> bool:
            return isinstance(v, int | np.integer) and not isinstance(v, bool)

        bad = [n for n in integers if not is_int(getattr(self, n))]
        bad += [n for n in reals if not (is_int(getattr(self, n)) or isinstance(getattr(self, n), float | np.floating))]
        bad += [n for n in flags if not isinstance(getattr(self, n), bool | np.bool_)]
        bad += [n for n in ("optimizer", "device") if not isinstance(getattr(self, n), str)]
        if self.num_threads is not None and not is_int(self.num_threads):
            bad.append("num_threads")
        betas = self.betas
        if not isinstance(betas, tuple | list) or not all(
            is_int(b) or isinstance(b, float | np.floating) for b in betas
        ):
            bad.append("betas")
        if bad:
            shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in bad)
            raise ValueError(
                f"invalid trainer settings: {shown} (epochs, batch_size, patience, num_threads: integers; "
                "lr, weight_decay, eps, min_delta, valid_fraction: numbers; betas: two numbers; "
                "optimizer, device: strings; deterministic, progress, fast_dev_run: true/false)"
            )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def coerce(cls, value: TrainerConfig | Mapping[str, Any], *, base: TrainerConfig | None = None) -> TrainerConfig:
        """``value`` itself, or ``base`` with the settings a mapping (e.g. a TOML table) gives.

        A mapping names only the settings that differ from ``base`` (default: the
        dataclass defaults); a model passes its own default trainer, so
        ``{"lr": 1e-4}`` keeps the model's epochs, batch size and the rest.

        Raises
        ------
        ValueError
            If the mapping names a setting that does not exist.
        TypeError
            If ``value`` is neither a config nor a mapping.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return (base or cls()).replace(**value)
        raise TypeError(f"trainer must be a TrainerConfig or a mapping of its fields, got {type(value).__name__}")

    def replace(self, **changes: Any) -> TrainerConfig:
        """A copy with ``changes`` applied (validated like a new config)."""
        self._check_names(changes)
        return dataclasses.replace(self, **changes)

    @classmethod
    def _check_names(cls, names: Iterable[str]) -> None:
        unknown = sorted(set(names) - set(cls.field_names()))
        if unknown:
            raise ValueError(f"unknown trainer setting(s) {unknown}; valid: {', '.join(cls.field_names())}")

    def as_dict(self) -> dict[str, Any]:
        """Field name -> value."""
        return {name: getattr(self, name) for name in self.field_names()}

    def make_optimizer(self, params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
        """The configured optimiser over ``params``."""
        torch = import_torch()
        opt_cls = torch.optim.AdamW if self.optimizer == "adamw" else torch.optim.Adam
        return opt_cls(params, lr=self.lr, betas=self.betas, eps=self.eps, weight_decay=self.weight_decay)


#: Keywords some torch models took before the trainer config, and the settings they became.
_FORMER_TRAINER_NAMES = {"max_epochs": "epochs", "n_threads": "num_threads", "verbose": "progress"}


class TorchEstimator(ResponseModel):
    """Base of estimators that train a torch network: one ``trainer`` hyperparameter.

    Subclasses declare ``trainer: TrainerConfig = <their default>`` and ``random_state``
    in ``__init__``. The config's fields follow sklearn's nested-parameter convention:
    ``get_params()`` lists ``trainer__lr`` and so on, ``set_params(trainer__lr=1e-4)``
    replaces the frozen config, and parameter grids may name them. A mapping given for
    ``trainer`` (a TOML table) names the settings that differ from the class's default
    and is converted by :meth:`coerce_params`, which :func:`~cellresponse.models.make_model`
    and :meth:`set_params` call; saved models store the whole config as a mapping.
    """

    trainer: TrainerConfig
    random_state: int

    @classmethod
    def default_trainer(cls) -> TrainerConfig:
        """The default of this class's ``trainer`` hyperparameter."""
        default = inspect.signature(cls.__init__).parameters["trainer"].default
        return default if isinstance(default, TrainerConfig) else TrainerConfig()

    @classmethod
    def coerce_params(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` with a ``trainer`` mapping converted to a :class:`TrainerConfig`.

        The mapping gives the settings that differ from the class's default trainer, so
        ``trainer={"lr": 1e-4}`` (a TOML table) keeps the model's other trainer defaults.

        Raises
        ------
        TypeError
            If a trainer setting is given as a model hyperparameter (``epochs=3``).
        """
        out = super().coerce_params(params)
        trainer_names = set(TrainerConfig.field_names()) | set(_FORMER_TRAINER_NAMES)
        misplaced = sorted(set(out) & trainer_names - set(cls._get_param_names()))
        if misplaced:
            first = _FORMER_TRAINER_NAMES.get(misplaced[0], misplaced[0])
            raise TypeError(
                f"{', '.join(misplaced)}: trainer setting(s) of {cls.__name__}; pass them as "
                f"trainer__{first}=... or in a trainer mapping"
            )
        if "trainer" in out:
            out["trainer"] = TrainerConfig.coerce(out["trainer"], base=cls.default_trainer())
        return out

    def trainer_config(self) -> TrainerConfig:
        """The ``trainer`` hyperparameter as a :class:`TrainerConfig`."""
        return TrainerConfig.coerce(self.trainer, base=self.default_trainer())

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=deep)
        if deep:
            params.update({f"trainer__{k}": v for k, v in self.trainer_config().as_dict().items()})
        return params

    def set_params(self, **params: Any) -> Self:
        nested = {k.removeprefix("trainer__"): params.pop(k) for k in list(params) if k.startswith("trainer__")}
        super().set_params(**self.coerce_params(params))
        if nested:
            self.trainer = self.trainer_config().replace(**nested)
        return self

    def _torch_settings(self, *, seed: int | None, training: bool = True) -> contextlib.AbstractContextManager[None]:
        """Threads, seed and (in training) deterministic algorithms of this estimator's trainer."""
        cfg = self.trainer_config()
        return torch_settings(
            num_threads=cfg.num_threads, deterministic=cfg.deterministic and training, seed=seed, device=cfg.device
        )


def train_network(
    network: nn.Module,
    batches: Callable[[torch.Generator], Iterable[Any]],
    loss: Callable[[nn.Module, Any], torch.Tensor],
    *,
    config: TrainerConfig,
    seed: int,
    valid_loss: Callable[[nn.Module], float] | None = None,
) -> list[dict[str, float]]:
    """Train ``network`` in place: the one optimisation loop of the package.

    Parameters
    ----------
    network
        The module, already on ``config.device``.
    batches
        ``batches(generator)`` yields one epoch of training batches, shuffled with
        ``generator`` (a CPU generator seeded with ``seed``, so the order is the same on
        every device); ``len(batch)`` is its number of samples.
    loss
        ``loss(network, batch)``: the scalar training loss of a batch.
    config
        Optimiser, epochs, early stopping, progress and ``fast_dev_run``.
    seed
        Seed of the batch-order generator.
    valid_loss
        ``valid_loss(network)``: the validation loss (called in eval mode without
        gradients). With it, training stops after ``config.patience`` epochs without
        improvement and the best weights are restored; without it every epoch runs and
        the last weights are kept.

    Returns
    -------
    list of dict
        One record per epoch: ``epoch``, ``train_loss`` (mean over samples), ``seconds``
        and, with validation, ``valid_loss``.

    Raises
    ------
    FloatingPointError
        If the training loss becomes NaN or infinite.
    """
    torch = import_torch()
    gen = torch.Generator().manual_seed(int(seed))
    opt = config.make_optimizer(network.parameters())
    epochs, max_steps = (1, 1) if config.fast_dev_run else (config.epochs, None)
    best_loss = math.inf
    best_state = copy.deepcopy(network.state_dict()) if valid_loss is not None else None
    history: list[dict[str, float]] = []
    stale = steps = 0
    bar = _progress(config.progress)
    task = bar.add_task("training", total=epochs) if bar is not None else None
    with bar if bar is not None else contextlib.nullcontext():
        for epoch in range(epochs):
            start = time.perf_counter()
            network.train()
            total, count = 0.0, 0
            for batch in batches(gen):
                opt.zero_grad(set_to_none=True)
                value = loss(network, batch)
                if not torch.isfinite(value):
                    raise FloatingPointError(f"training loss became {value.item()} at epoch {epoch}; lower lr")
                value.backward()
                opt.step()
                total += float(value.detach()) * len(batch)
                count += len(batch)
                steps += 1
                if max_steps is not None and steps >= max_steps:
                    break
            record = {"epoch": epoch, "train_loss": total / max(count, 1)}
            if valid_loss is not None:
                network.eval()
                with torch.no_grad():
                    record["valid_loss"] = score = float(valid_loss(network))
                if score < best_loss - config.min_delta:
                    best_loss, best_state, stale = score, copy.deepcopy(network.state_dict()), 0
                else:
                    stale += 1
            record["seconds"] = time.perf_counter() - start
            history.append(record)
            if bar is not None and task is not None:
                shown = record.get("valid_loss", record["train_loss"])
                bar.update(task, advance=1, description=f"{'valid' if valid_loss else 'train'} loss {shown:.4f}")
            if stale > config.patience or (max_steps is not None and steps >= max_steps):
                break
    if best_state is not None:
        network.load_state_dict(best_state)
    network.eval()
    return history


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True)


class TorchModel(TorchEstimator):
    """Adapter from the :class:`ResponseModel` contract to a torch network on (cell line, drug) pairs.

    Subclasses define ``__init__`` with their hyperparameters, which must include
    ``trainer`` (a :class:`TrainerConfig`), ``random_state`` (seeds initialisation, batch
    order and the carved validation part), ``drug_offset`` (learn the deviation from each
    drug's training mean, :mod:`cellresponse.models._drug_offset`) and
    ``standardize_target`` (train on the target -- or its deviation from the drug
    offset -- standardised with training mean/std; predictions are mapped back).
    """

    # format 2: the drug offset joined the saved state; 3: the trainer settings are one
    # ``trainer`` mapping among the hyperparameters
    format_version: ClassVar[int] = 3

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
        import_torch()
        cfg = self.trainer_config()
        if valid is not None and len(valid) == 0:
            valid = None
        if valid is None and cfg.valid_fraction > 0:
            data, valid = carve_validation(data, fraction=cfg.valid_fraction, random_state=self.random_state)
        with self._torch_settings(seed=self.random_state):
            self._prepare(data)
            self.offset_ = DrugOffset.fit(data) if self.drug_offset else None
            y = np.asarray(data.y, dtype=np.float64) - self._offset(data)
            if self.standardize_target:
                self.y_shift_, self.y_scale_ = float(y.mean()), float(y.std()) or 1.0
            else:
                self.y_shift_, self.y_scale_ = 0.0, 1.0
            network = self._build_network().to(cfg.device)
            train_b = self._batcher(data, batch_size=cfg.batch_size)
            score = None
            if valid is not None:
                score = functools.partial(
                    pair_mse, batcher=self._batcher(valid, batch_size=cfg.batch_size), predict=self._predict_batch
                )
            self.history_ = train_network(
                network,
                # BatchNorm needs two pairs: a last batch of one is skipped
                lambda gen: train_b.batches(generator=gen, drop_last_single=True),
                self._loss,
                config=cfg,
                seed=self.random_state,
                valid_loss=score,
            )
        self.network_ = network.to("cpu").eval()

    def _batcher(self, data: Dataset, *, batch_size: int) -> PairBatcher:
        """Pairs of ``data`` with targets scaled as in training."""
        entities = self._to_device(self._entity_tensors(data))
        shift = self.y_shift_ + self._offset(data)
        return PairBatcher(data, entities, batch_size=batch_size, y_shift=shift, y_scale=self.y_scale_)

    def _offset(self, data: Dataset) -> np.ndarray:
        """Each observation's drug offset (zeros without ``drug_offset``)."""
        if self.offset_ is None:
            return np.zeros(len(data))
        return self.offset_(data.perturbations)

    def _to_device(self, ent: EntityTensors) -> EntityTensors:
        device = self.trainer_config().device
        if device == "cpu":
            return ent
        return EntityTensors(ent.cell_ids, ent.cells.to(device), ent.drug_ids, ent.drugs.to(device))

    def _predict(self, data: Dataset) -> np.ndarray:
        torch = import_torch()
        cfg = self.trainer_config()
        with self._torch_settings(seed=None, training=False):
            # in eval mode pairs are independent: large batches let each distinct entity be
            # encoded once for many pairs
            batcher = PairBatcher(
                data, self._to_device(self._entity_tensors(data)), batch_size=max(cfg.batch_size, 65536)
            )
            network = self.network_.to(cfg.device).eval()
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
        torch = import_torch()
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


__all__ = [
    "OPTIMIZERS",
    "Batch",
    "EntityTensors",
    "PairBatcher",
    "TorchEstimator",
    "TorchModel",
    "TrainerConfig",
    "carve_validation",
    "check_finite",
    "pair_mse",
    "reuse_large_allocations",
    "torch_settings",
    "train_network",
]
