"""MLP response models over chosen cell-line views plus the Morgan fingerprint branch.

``mlp_expression``, ``mlp_cnv`` and ``mlp_all`` (expression + mutation + CNV). Cell
features are standardised with mean/std fitted on the training cell lines only (binary
views are left as 0/1); missing values are imputed by the training mean when
``impute_missing`` is true, else they raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models._params import SEED, Interval, Real, TupleOf
from cellresponse.models._torch import import_torch
from cellresponse.models.registry import register_model
from cellresponse.models.train import Batch, EntityTensors, TorchModel, TrainerConfig, check_finite

#: Default trainer of the MLPs (Adam with the VNN's betas and eps).
MLP_TRAINER = TrainerConfig(
    epochs=50,
    batch_size=512,
    lr=1e-3,
    weight_decay=1e-5,
    betas=(0.9, 0.99),
    eps=1e-5,
    patience=5,
    valid_fraction=0.1,
)


class ViewScaler:
    """Per-feature mean/std of cell-line views fitted on the training cell lines.

    Parameters
    ----------
    views
        View names, in the order their columns are concatenated.
    genes
        Optional feature subset (same for every view); None keeps each view's features.
    """

    def __init__(self, views: Sequence[str], genes: Sequence[str] | None = None) -> None:
        self.views = tuple(views)
        self.genes = None if genes is None else tuple(genes)
        self.mean: dict[str, np.ndarray] = {}
        self.std: dict[str, np.ndarray] = {}
        self.scale: dict[str, bool] = {}
        self.features: dict[str, tuple[str, ...]] = {}

    def _raw(self, data: Dataset, view: str, ids: np.ndarray) -> np.ndarray:
        fv = data.cell_view(view)
        feats = self.features.get(view) or (self.genes if self.genes is not None else tuple(fv.feature_names))
        cols = fv.feature_names.get_indexer(pd.Index(feats))
        if (cols < 0).any():
            missing = np.asarray(feats)[cols < 0]
            raise ValueError(
                f"cell view {view!r} lacks {len(missing)} features the model was fitted on: "
                f"{', '.join(map(str, missing[:5]))}{', ...' if len(missing) > 5 else ''}"
            )
        return fv.lookup(ids)[:, cols]

    def fit(self, data: Dataset) -> ViewScaler:
        ids = np.unique(data.cell_lines)
        for view in self.views:
            fv = data.cell_view(view)
            self.features[view] = self.genes if self.genes is not None else tuple(fv.feature_names)
            x = self._raw(data, view, ids)
            binary = fv.kind == "binary"
            with np.errstate(invalid="ignore"):
                mean = np.nanmean(x, axis=0) if np.isfinite(x).any() else np.zeros(x.shape[1])
                std = np.nanstd(x, axis=0)
            mean = np.nan_to_num(mean, nan=0.0)
            std = np.where(np.isfinite(std) & (std > 1e-6), std, 1.0)
            self.scale[view] = not binary
            self.mean[view] = mean.astype(np.float32)
            self.std[view] = std.astype(np.float32)
        return self

    def transform(self, data: Dataset, ids: np.ndarray, *, impute: bool) -> list[np.ndarray]:
        """One ``(len(ids), n_features)`` array per view, scaled (and imputed)."""
        out = []
        for view in self.views:
            x = self._raw(data, view, ids)
            if not impute:
                check_finite(x, what=f"cell view {view!r}", ids=pd.Index(ids))
            x = np.where(np.isfinite(x), x, self.mean[view][None, :])
            if self.scale[view]:
                x = (x - self.mean[view]) / self.std[view]
            out.append(x.astype(np.float32))
        return out

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "views": list(self.views),
            "scale": self.scale,
            "features": {k: list(v) for k, v in self.features.items()},
        }
        arrays = {f"scaler.{v}.mean": self.mean[v] for v in self.views}
        arrays |= {f"scaler.{v}.std": self.std[v] for v in self.views}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ViewScaler:
        obj = cls(meta["views"])
        obj.scale = {k: bool(v) for k, v in meta["scale"].items()}
        obj.features = {k: tuple(v) for k, v in meta["features"].items()}
        for v in obj.views:
            obj.mean[v] = np.asarray(arrays[f"scaler.{v}.mean"])
            obj.std[v] = np.asarray(arrays[f"scaler.{v}.std"])
        return obj


def drug_tensor(data: Dataset, view: str, *, impute: bool) -> tuple[pd.Index, np.ndarray]:
    """Distinct drugs of ``data`` and their feature rows (NaN -> 0 or error)."""
    ids = np.unique(data.perturbations)
    x = data.perturbation_view(view).lookup(ids)
    if not impute:
        check_finite(x, what=f"drug view {view!r}", ids=pd.Index(ids))
    return pd.Index(ids), np.nan_to_num(x, nan=0.0).astype(np.float32)


class _MLPBase(TorchModel):
    """Two-branch MLP (cell views + ``morgan``) trained with MSE.

    Parameters
    ----------
    cell_hidden, drug_hidden, head_hidden, dropout
        Layer widths of the cell, drug and joint branches, and the dropout rate.
    impute_missing
        Impute missing features with the training mean (otherwise they raise).
    trainer
        How the network trains (:class:`~cellresponse.models.train.TrainerConfig`),
        default :data:`MLP_TRAINER`; change one setting with ``set_params(trainer__lr=...)``.
    random_state
        Seeds the initialisation, the batch order and the carved validation part.
    drug_offset, standardize_target
        Target handling, see :class:`~cellresponse.models.train.TorchModel`.
    """

    #: what ``--tune`` searches (epochs by early stopping on the inner validation part)
    search_space: ClassVar[dict[str, dict[str, Any]]] = {
        "dropout": {"float": [0.0, 0.5]},
        "trainer__lr": {"float": [1e-4, 3e-3], "log": True},
        "trainer__weight_decay": {"float": [1e-7, 1e-3], "log": True},
    }

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "cell_hidden": [TupleOf(int, low=1)],
        "drug_hidden": [TupleOf(int, low=1)],
        "head_hidden": [TupleOf(int, low=1, allow_empty=True)],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "impute_missing": ["boolean"],
        "trainer": [TrainerConfig],
        "random_state": SEED,
        "drug_offset": ["boolean"],
        "standardize_target": ["boolean"],
    }

    cell_line_views: ClassVar[tuple[str, ...]] = ("expression",)
    perturbation_views: ClassVar[tuple[str, ...]] = ("morgan",)

    def __init__(
        self,
        *,
        cell_hidden: tuple[int, ...] = (512, 128),
        drug_hidden: tuple[int, ...] = (256, 64),
        head_hidden: tuple[int, ...] = (128,),
        dropout: float = 0.1,
        impute_missing: bool = True,
        trainer: TrainerConfig = MLP_TRAINER,
        random_state: int = 0,
        drug_offset: bool = True,
        standardize_target: bool = True,
    ) -> None:
        self.cell_hidden = cell_hidden
        self.drug_hidden = drug_hidden
        self.head_hidden = head_hidden
        self.dropout = dropout
        self.impute_missing = impute_missing
        self.trainer = trainer
        self.random_state = random_state
        self.drug_offset = drug_offset
        self.standardize_target = standardize_target

    def _prepare(self, data: Dataset) -> None:
        self.scaler_ = ViewScaler(self.cell_line_views).fit(data)
        self.cell_dim_ = int(sum(len(f) for f in self.scaler_.features.values()))
        self.drug_dim_ = int(data.perturbation_view(self.perturbation_views[0]).n_features)

    def _entity_tensors(self, data: Dataset) -> EntityTensors:
        torch = import_torch()
        ids = np.unique(data.cell_lines)
        cells = np.concatenate(self.scaler_.transform(data, ids, impute=self.impute_missing), axis=1)
        drug_ids, drugs = drug_tensor(data, self.perturbation_views[0], impute=self.impute_missing)
        return EntityTensors(pd.Index(ids), torch.from_numpy(cells), drug_ids, torch.from_numpy(drugs))

    def _build_network(self) -> Any:
        from cellresponse.models.nn._mlp import PairMLP

        return PairMLP(
            self.cell_dim_,
            self.drug_dim_,
            cell_hidden=self.cell_hidden,
            drug_hidden=self.drug_hidden,
            head_hidden=self.head_hidden,
            dropout=self.dropout,
        )

    def _predict_batch(self, network: Any, batch: Batch) -> Any:
        return network(batch.cells, batch.drugs, batch.cell_index, batch.drug_index)

    def _loss(self, network: Any, batch: Batch) -> Any:
        torch = import_torch()
        return torch.nn.functional.mse_loss(self._predict_batch(network, batch), batch.y)

    def _network_meta(self) -> dict[str, Any]:
        return {"cell_dim": self.cell_dim_, "drug_dim": self.drug_dim_}

    def _restore_network_meta(self, meta: dict[str, Any]) -> None:
        self.cell_dim_ = int(meta["cell_dim"])
        self.drug_dim_ = int(meta["drug_dim"])

    def _prep_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return self.scaler_.state()

    def _set_prep_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.scaler_ = ViewScaler.from_state(meta, arrays)


@register_model("mlp_expression")
class MLPExpression(_MLPBase):
    """MLP on standardised expression + Morgan fingerprint."""

    cell_line_views: ClassVar[tuple[str, ...]] = ("expression",)


@register_model("mlp_cnv")
class MLPCNV(_MLPBase):
    """MLP on standardised copy number + Morgan fingerprint."""

    cell_line_views: ClassVar[tuple[str, ...]] = ("cnv",)


@register_model("mlp_all")
class MLPAll(_MLPBase):
    """MLP on expression + mutation + CNV + Morgan fingerprint."""

    cell_line_views: ClassVar[tuple[str, ...]] = ("expression", "mutation", "cnv")


__all__ = ["MLPCNV", "MLP_TRAINER", "MLPAll", "MLPExpression", "ViewScaler", "drug_tensor"]
