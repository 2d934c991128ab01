"""``expr_dosetime``: the dose/time-aware expression model (torch, lazy import).

Data pipeline is vectorized: per fit/predict the compound fingerprints and basal profiles
are stored once as tables (entity x features) and each observation is two integer
indices plus (log dose, time); a batch is a gather of index tensors, with no per-sample
pandas work.

The training loop is a small local one (``_train``): the shared
``cellresponse.models.train`` loop did not exist when this was written; it should be
merged into it.
"""

from __future__ import annotations

import contextlib
import copy
import time as _time
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models.expression._baselines import (
    BASAL,
    MORGAN,
    ExpressionModel,
    log_dose,
    time_hours,
)
from cellresponse.models.registry import register_model


def _torch() -> Any:
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on extras
        raise ImportError(
            "expr_dosetime needs torch: pip install 'cellresponse[torch]' "
            "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
        ) from err
    return torch


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Temporarily set torch's intra-op thread count (None: leave it)."""
    torch = _torch()
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@register_model("expr_dosetime")
class ExprDoseTime(ExpressionModel):
    """Fingerprint MLP + basal-expression encoder + bilinear attention fusion conditioned
    on log dose and time (see :class:`cellresponse.models.nn._dosetime.DoseTimeNet`).

    Parameters
    ----------
    hidden, n_tokens, token_dim, dropout
        Network size (see ``DoseTimeNet``). The defaults (hidden 128, dropout 0.3,
        weight decay 1e-2) were chosen over (256, 0.1, 1e-4) by inner-validation loss
        on the two real LINCS subsets; L1000-sized data may want a wider network.
    lr, weight_decay
        AdamW settings.
    batch_size, max_epochs, patience
        Training loop; early stopping on the validation loss when ``valid`` is given
        (best weights restored).
    random_state
        Seeds weight init and batch order (global torch RNG state is restored after fit).
    fast_dev_run
        Run one batch of one epoch (smoke test).
    n_threads
        Torch intra-op threads during fit/predict (restored afterwards); None leaves
        torch's setting. On a shared 2-core machine 1 is often fastest.
    verbose
        Print one line per epoch.
    """

    cell_line_views: ClassVar[tuple[str, ...]] = (BASAL,)
    perturbation_views: ClassVar[tuple[str, ...]] = (MORGAN,)
    is_expression_baseline: ClassVar[bool] = False

    def __init__(
        self,
        *,
        hidden: int = 128,
        n_tokens: int = 8,
        token_dim: int = 32,
        dropout: float = 0.3,
        lr: float = 1e-3,
        weight_decay: float = 1e-2,
        batch_size: int = 256,
        max_epochs: int = 200,
        patience: int = 20,
        random_state: int = 0,
        fast_dev_run: bool = False,
        n_threads: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.hidden = hidden
        self.n_tokens = n_tokens
        self.token_dim = token_dim
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.random_state = random_state
        self.fast_dev_run = fast_dev_run
        self.n_threads = n_threads
        self.verbose = verbose

    # ------------------------------------------------------------ tensors
    def _tensors(self, data: Dataset) -> dict[str, Any]:
        """Entity tables + per-observation index/covariate tensors (no pairs x features)."""
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
        return {
            "fp": torch.from_numpy(np.ascontiguousarray(fp, dtype=np.float32)),
            "basal": torch.from_numpy(basal.astype(np.float32)),
            "cmp": torch.from_numpy(cmp_idx.astype(np.int64)),
            "cell": torch.from_numpy(cell_idx.astype(np.int64)),
            "dose": torch.from_numpy(((log_dose(data) - self.dose_mean_) / self.dose_std_).astype(np.float32)),
            "time": torch.from_numpy(((time_hours(data) - self.time_mean_) / self.time_std_).astype(np.float32)),
        }

    def _forward(self, t: dict[str, Any], idx: Any) -> Any:
        return self.network_(t["fp"][t["cmp"][idx]], t["basal"][t["cell"][idx]], t["dose"][idx], t["time"][idx])

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
        for name in ("hidden", "n_tokens", "token_dim", "batch_size", "max_epochs"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
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
        tr = self._tensors(data)
        y_tr = torch.from_numpy(self._scale_y(data.y))
        va = self._tensors(valid) if valid is not None and len(valid) else None
        y_va = torch.from_numpy(self._scale_y(valid.y)) if va is not None and valid is not None else None
        with torch.random.fork_rng(devices=[]), _threads(self.n_threads):
            torch.manual_seed(int(self.random_state))
            self.network_ = self._build(self.n_bits_, basal.shape[1], data.y.shape[1])
            gen = torch.Generator().manual_seed(int(self.random_state))
            self.history_ = self._train(tr, y_tr, va, y_va, gen)
        self.network_.eval()

    def _train(
        self, tr: dict[str, Any], y_tr: Any, va: dict[str, Any] | None, y_va: Any, gen: Any
    ) -> list[dict[str, float]]:
        torch = _torch()
        net = self.network_
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        n = len(y_tr)
        history: list[dict[str, float]] = []
        best, best_state, stale = np.inf, None, 0
        epochs = 1 if self.fast_dev_run else int(self.max_epochs)
        for epoch in range(epochs):
            net.train()
            start = _time.perf_counter()
            perm = torch.randperm(n, generator=gen)
            total = 0.0
            for b0 in range(0, n, self.batch_size):
                idx = perm[b0 : b0 + self.batch_size]
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.mse_loss(self._forward(tr, idx), y_tr[idx])
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
                if self.fast_dev_run:
                    break
            row = {"epoch": epoch, "train_loss": total / n, "seconds": _time.perf_counter() - start}
            if va is not None:
                net.eval()
                with torch.no_grad():
                    row["valid_loss"] = float(
                        torch.nn.functional.mse_loss(self._forward(va, torch.arange(len(y_va))), y_va)
                    )
                if row["valid_loss"] < best - 1e-6:
                    best, stale = row["valid_loss"], 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    stale += 1
            history.append(row)
            if self.verbose:
                print(f"epoch {epoch}: " + ", ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "epoch"))
            if va is not None and stale >= self.patience:
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        return history

    def _scale_y(self, y: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray((y - self.train_mean_) / self.y_scale_, dtype=np.float32)

    # ------------------------------------------------------------ predict
    def _predict(self, data: Dataset) -> np.ndarray:
        torch = _torch()
        t = self._tensors(data)
        self.network_.eval()
        out = []
        with torch.no_grad(), _threads(self.n_threads):
            for b0 in range(0, len(data), 4096):
                idx = torch.arange(b0, min(b0 + 4096, len(data)))
                out.append(self._forward(t, idx).numpy())
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
        self.network_.load_state_dict(state)
        self.network_.eval()


__all__ = ["ExprDoseTime"]
