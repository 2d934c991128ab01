"""``expr_dosetime``: the dose/time-aware expression model (torch, lazy import).

Data pipeline is vectorized: per fit/predict the compound fingerprints and basal profiles
are stored once as tables (entity x features) and each observation is two integer
indices plus (log dose, time); a batch is a gather of index tensors, with no per-sample
pandas work. The network trains through the package's one loop,
:func:`cellresponse.models.train.train_network`, configured by the ``trainer``
hyperparameter (default :data:`DOSETIME_TRAINER`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models._params import POSITIVE_INT, SEED, Interval, Real
from cellresponse.models._torch import TORCH_INSTALL_HINT
from cellresponse.models.expression._baselines import (
    BASAL,
    MORGAN,
    ExpressionModel,
    log_dose,
    time_hours,
)
from cellresponse.models.registry import register_model
from cellresponse.models.train import TorchEstimator, TrainerConfig, train_network

#: Default trainer of ``expr_dosetime``: AdamW; with a validation part, training stops at
#: the 20th epoch in a row whose validation loss is not 1e-6 below the best (patience 19
#: tolerates 19 such epochs), and the best weights are restored.
DOSETIME_TRAINER = TrainerConfig(
    epochs=200,
    batch_size=256,
    lr=1e-3,
    weight_decay=1e-2,
    optimizer="adamw",
    patience=19,
    min_delta=1e-6,
    valid_fraction=0.0,
)


def _torch() -> Any:
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on extras
        raise ImportError(f"expr_dosetime needs torch: {TORCH_INSTALL_HINT}") from err
    return torch


@register_model("expr_dosetime")
class ExprDoseTime(TorchEstimator, ExpressionModel):
    """Fingerprint MLP + basal-expression encoder + bilinear attention fusion conditioned
    on log dose and time (see :class:`cellresponse.models.nn._dosetime.DoseTimeNet`).

    Parameters
    ----------
    hidden, n_tokens, token_dim, dropout
        Network size (see ``DoseTimeNet``). The defaults (hidden 128, dropout 0.3,
        weight decay 1e-2) were chosen over (256, 0.1, 1e-4) by inner-validation loss
        on the two real LINCS subsets; L1000-sized data may want a wider network.
    trainer
        How the network trains (:class:`~cellresponse.models.train.TrainerConfig`),
        default :data:`DOSETIME_TRAINER`. Early stopping (best weights restored) needs
        ``valid`` in ``fit``; without it every epoch runs. The model carves no validation
        part, so ``trainer.valid_fraction`` must stay 0.
    random_state
        Seeds weight init and batch order (global torch RNG state is restored after fit).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden": [POSITIVE_INT],
        "n_tokens": [POSITIVE_INT],
        "token_dim": [POSITIVE_INT],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "trainer": [TrainerConfig],
        "random_state": SEED,
    }

    cell_line_views: ClassVar[tuple[str, ...]] = (BASAL,)
    perturbation_views: ClassVar[tuple[str, ...]] = (MORGAN,)
    is_expression_baseline: ClassVar[bool] = False
    # format 2: the trainer settings are one ``trainer`` mapping among the hyperparameters
    format_version: ClassVar[int] = 2

    def __init__(
        self,
        *,
        hidden: int = 128,
        n_tokens: int = 8,
        token_dim: int = 32,
        dropout: float = 0.3,
        trainer: TrainerConfig = DOSETIME_TRAINER,
        random_state: int = 0,
    ) -> None:
        self.hidden = hidden
        self.n_tokens = n_tokens
        self.token_dim = token_dim
        self.dropout = dropout
        self.trainer = trainer
        self.random_state = random_state

    # ------------------------------------------------------------ tensors
    def _tensors(self, data: Dataset, *, device: str = "cpu") -> dict[str, Any]:
        """Entity tables + per-observation index/covariate tensors (no pairs x features) on ``device``."""
        torch = _torch()
        cmp_ids, cmp_idx = np.unique(data.perturbations, return_inverse=True)
        cell_ids, cell_idx = np.unique(data.cell_lines, return_inverse=True)
        fp = data.perturbation_view(MORGAN).lookup(cmp_ids)
        if fp.shape[1] != self.n_bits_:
            raise ValueError(f"morgan view has {fp.shape[1]} bits; the model was fit with {self.n_bits_}")
        basal = data.cell_view(BASAL).lookup(cell_ids).astype(np.float64)
        if basal.shape[1] != len(self.basal_mean_):
            raise ValueError(
                f"basal view has {basal.shape[1]} features; the model was fit with {len(self.basal_mean_)}"
            )
        basal = (basal - self.basal_mean_) / self.basal_std_
        tables = {
            "fp": torch.from_numpy(np.ascontiguousarray(fp, dtype=np.float32)),
            "basal": torch.from_numpy(basal.astype(np.float32)),
            "cmp": torch.from_numpy(cmp_idx.astype(np.int64)),
            "cell": torch.from_numpy(cell_idx.astype(np.int64)),
            "dose": torch.from_numpy(((log_dose(data) - self.dose_mean_) / self.dose_std_).astype(np.float32)),
            "time": torch.from_numpy(((time_hours(data) - self.time_mean_) / self.time_std_).astype(np.float32)),
        }
        return {k: v.to(device) for k, v in tables.items()}

    @staticmethod
    def _forward(network: Any, t: dict[str, Any], idx: Any) -> Any:
        idx = idx.to(t["cmp"].device)
        return network(t["fp"][t["cmp"][idx]], t["basal"][t["cell"][idx]], t["dose"][idx], t["time"][idx])

    def _build(self, n_bits: int, n_basal: int, n_genes: int) -> Any:
        from cellresponse.models.nn._dosetime import DoseTimeNet

        return DoseTimeNet(
            n_bits,
            n_basal,
            n_genes,
            hidden=self.hidden,
            n_tokens=self.n_tokens,
            token_dim=self.token_dim,
            dropout=self.dropout,
        )

    # ---------------------------------------------------------------- fit
    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        torch = _torch()
        cfg = self.trainer_config()
        for name in ("hidden", "n_tokens", "token_dim"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if valid is not None and len(valid) == 0:
            valid = None
        if valid is None and cfg.valid_fraction > 0:
            raise ValueError(
                f"expr_dosetime carves no validation part (trainer valid_fraction={cfg.valid_fraction}); "
                "pass valid= to fit for early stopping, or set trainer__valid_fraction=0"
            )
        self._store_common(data)
        basal = data.cell_view(BASAL).lookup(pd.unique(data.cell_lines)).astype(np.float64)
        self.basal_mean_ = basal.mean(0)
        self.basal_std_ = np.where(basal.std(0) > 1e-6, basal.std(0), 1.0)
        ld, tm = log_dose(data), time_hours(data)
        self.dose_mean_, self.dose_std_ = float(ld.mean()), float(ld.std()) or 1.0
        self.time_mean_, self.time_std_ = float(tm.mean()), float(tm.std()) or 1.0
        self.n_bits_ = int(data.perturbation_view(MORGAN).n_features)
        # The network predicts the deviation from the training mean signature (scaled), so
        # an uninformed network falls back to the mean rather than to zero.
        self.y_scale_ = float((data.y - self.train_mean_).std()) or 1.0
        tr = self._tensors(data, device=cfg.device)
        y_tr = torch.from_numpy(self._scale_y(data.y)).to(cfg.device)
        if valid is not None:
            va = self._tensors(valid, device=cfg.device)
            y_va = torch.from_numpy(self._scale_y(valid.y)).to(cfg.device)

        def batches(gen: Any) -> Any:
            perm = torch.randperm(len(data), generator=gen)
            return (perm[b0 : b0 + cfg.batch_size] for b0 in range(0, len(data), cfg.batch_size))

        def loss(network: Any, idx: Any) -> Any:
            return torch.nn.functional.mse_loss(self._forward(network, tr, idx), y_tr[idx.to(y_tr.device)])

        def valid_mse(network: Any) -> float:
            return float(torch.nn.functional.mse_loss(self._forward(network, va, torch.arange(len(y_va))), y_va))

        with self._torch_settings(seed=self.random_state):
            network = self._build(self.n_bits_, basal.shape[1], data.y.shape[1]).to(cfg.device)
            self.history_ = train_network(
                network,
                batches,
                loss,
                config=cfg,
                seed=self.random_state,
                valid_loss=valid_mse if valid is not None else None,
            )
        self.network_ = network.to("cpu").eval()

    def _scale_y(self, y: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray((y - self.train_mean_) / self.y_scale_, dtype=np.float32)

    # ------------------------------------------------------------ predict
    def _predict(self, data: Dataset) -> np.ndarray:
        torch = _torch()
        device = self.trainer_config().device
        out = []
        with self._torch_settings(seed=None, training=False), torch.no_grad():
            t = self._tensors(data, device=device)
            network = self.network_.to(device).eval()
            try:
                for b0 in range(0, len(data), 4096):
                    idx = torch.arange(b0, min(b0 + 4096, len(data)))
                    out.append(self._forward(network, t, idx).cpu().numpy())
            finally:
                self.network_ = network.to("cpu")
        pred = np.vstack(out) if out else np.zeros((0, len(self.train_mean_)), np.float32)
        return pred.astype(np.float64) * self.y_scale_ + self.train_mean_

    # ------------------------------------------------------------- saving
    def _get_extra(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "n_bits": self.n_bits_,
            "n_genes": len(self.train_mean_),
            "scalars": {
                k: float(getattr(self, k)) for k in ("dose_mean_", "dose_std_", "time_mean_", "time_std_", "y_scale_")
            },
            "history": self.history_,
        }
        arrays = {"basal_mean": self.basal_mean_, "basal_std": self.basal_std_}
        arrays.update({f"net.{k}": v.detach().cpu().numpy() for k, v in self.network_.state_dict().items()})
        return meta, arrays

    def _set_extra(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        torch = _torch()
        self.n_bits_ = int(meta["n_bits"])
        for k, v in meta["scalars"].items():
            setattr(self, k, float(v))
        self.history_ = list(meta.get("history", []))
        self.basal_mean_ = np.asarray(arrays["basal_mean"], np.float64)
        self.basal_std_ = np.asarray(arrays["basal_std"], np.float64)
        self.network_ = self._build(self.n_bits_, len(self.basal_mean_), int(meta["n_genes"]))
        state = {k[4:]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("net.")}
        try:
            self.network_.load_state_dict(state)
        except RuntimeError as err:
            raise ValueError(
                f"saved weights do not fit the ExprDoseTime network (written by another version?): "
                f"{str(err).splitlines()[0]}"
            ) from None
        self.network_.eval()


__all__ = ["DOSETIME_TRAINER", "ExprDoseTime"]
