"""The model contract shared by every predictor (baselines, tree models, torch models).

A model is an sklearn estimator whose ``fit`` takes a :class:`~cellresponse.data.Dataset`
(not an X matrix): it looks up the feature views it needs by ID, and fits everything
learned from data (scalers, gene selection, PCA) on that training data only.

Saving never pickles: a model directory holds ``model.json`` (class, hyperparameters,
format and package versions, JSON state) and ``arrays.safetensors`` (numeric state).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from cellresponse._types import PathLike
from cellresponse._util import jsonable
from cellresponse.data import Dataset

MODEL_JSON = "model.json"
MODEL_ARRAYS = "arrays.safetensors"


class ResponseModel(BaseEstimator):
    """Base class: keyword-only hyperparameters in ``__init__``, learned state ends in ``_``.

    Subclasses implement ``_fit``, ``_predict`` and, for saving, ``_get_state`` /
    ``_set_state``. The public ``fit``/``predict`` validate inputs around them.
    """

    cell_line_views: ClassVar[tuple[str, ...]] = ()
    perturbation_views: ClassVar[tuple[str, ...]] = ()
    tasks: ClassVar[tuple[str, ...]] = ("response",)
    format_version: ClassVar[int] = 1
    registry_name: ClassVar[str] = ""
    #: True for the naive baselines that reports compare every model against.
    is_naive_baseline: ClassVar[bool] = False

    # ----------------------------------------------------------------- contract
    def required_views(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(cell-line views, perturbation views) this configuration reads."""
        return tuple(self.cell_line_views), tuple(self.perturbation_views)

    def fit(self, data: Dataset, *, valid: Dataset | None = None) -> Self:
        """Fit on ``data``; ``valid`` (inner validation part) may drive early stopping/tuning."""
        self._check_dataset(data, "data")
        if valid is not None:
            self._check_dataset(valid, "valid")
        self._fit(data, valid)
        self.n_train_ = len(data)
        return self

    def predict(self, data: Dataset) -> np.ndarray:
        """Predict targets for the observations of ``data``: ``(n,)`` or ``(n, n_targets)``."""
        check_is_fitted(self, "n_train_")
        self._check_dataset(data, "data")
        pred = np.asarray(self._predict(data), dtype=np.float32)
        if pred.shape[0] != len(data):
            raise RuntimeError(f"{type(self).__name__} returned {pred.shape[0]} rows for {len(data)}")
        return pred

    def _fit(self, data: Dataset, valid: Dataset | None) -> None:
        raise NotImplementedError

    def _predict(self, data: Dataset) -> np.ndarray:
        raise NotImplementedError

    def _check_dataset(self, data: Dataset, argname: str) -> None:
        if not isinstance(data, Dataset):
            raise TypeError(f"{argname} must be a cellresponse Dataset, got {type(data).__name__}")
        if data.task not in self.tasks:
            raise ValueError(f"{type(self).__name__} supports tasks {self.tasks}; {argname} is a {data.task!r} dataset")
        cell, pert = self.required_views()
        for name in cell:
            data.cell_view(name)
        for name in pert:
            data.perturbation_view(name)

    @classmethod
    def coerce_params(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """Hyperparameters given as plain values (TOML, JSON) in the types ``__init__`` takes.

        A list goes back to a tuple where the constructor's default is a tuple (JSON writes
        tuples as lists), so a loaded model has the parameters it was saved with. Subclasses
        convert more (a torch model's ``trainer`` mapping).
        """
        defaults = {n: p.default for n, p in inspect.signature(cls).parameters.items()}
        return {
            k: tuple(v) if isinstance(v, list) and isinstance(defaults.get(k), tuple) else v for k, v in params.items()
        }

    # ------------------------------------------------------------------ saving
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-serialisable state and named numeric arrays."""
        raise NotImplementedError(f"{type(self).__name__} does not implement saving")

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement loading")

    def save(self, path: PathLike) -> Path:
        """Write the fitted model to directory ``path`` (created if needed)."""
        from safetensors.numpy import save_file

        from cellresponse import __version__

        check_is_fitted(self, "n_train_")
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        meta, arrays = self._get_state()
        doc = {
            "model": self.registry_name or type(self).__name__,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "format_version": self.format_version,
            "cellresponse_version": __version__,
            "params": jsonable(self.get_params(deep=False), strict=True),
            "n_train": int(self.n_train_),
            "state": meta,
        }
        (out / MODEL_JSON).write_text(json.dumps(doc, indent=2))
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(out / MODEL_ARRAYS))
        return out

    @classmethod
    def load(cls, path: PathLike) -> Self:
        """Load a model saved by :meth:`save`; checks class and format version."""
        from safetensors.numpy import load_file

        from cellresponse.models.registry import get_model_class

        src = Path(path)
        json_path = src / MODEL_JSON
        if not json_path.is_file():
            raise FileNotFoundError(f"{src} is not a saved cellresponse model (no {MODEL_JSON})")
        try:
            doc = json.loads(json_path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{json_path} is not valid JSON: {err}") from None
        for key in ("model", "format_version", "params", "state"):
            if key not in doc:
                raise ValueError(f"{json_path} lacks the {key!r} field; not a cellresponse model file")
        model_cls = get_model_class(doc["model"]) if cls is ResponseModel else cls
        if model_cls.registry_name and doc["model"] != model_cls.registry_name:
            raise ValueError(f"{json_path} holds a {doc['model']!r} model, not {model_cls.registry_name!r}")
        if doc["format_version"] != model_cls.format_version:
            raise ValueError(
                f"{json_path} has format_version {doc['format_version']} (written by cellresponse "
                f"{doc.get('cellresponse_version')}); this version reads format {model_cls.format_version}"
            )
        model = model_cls(**model_cls.coerce_params(doc["params"]))
        arrays = load_file(str(src / MODEL_ARRAYS)) if (src / MODEL_ARRAYS).is_file() else {}
        model._set_state(doc["state"], arrays)
        model.n_train_ = int(doc.get("n_train", 0))
        return model


def load_model(path: PathLike) -> ResponseModel:
    """Load any saved model (class resolved through the registry)."""
    return ResponseModel.load(path)


__all__ = ["MODEL_ARRAYS", "MODEL_JSON", "NotFittedError", "ResponseModel", "load_model"]
