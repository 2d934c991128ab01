"""The model contract shared by every predictor (baselines, tree models, torch models).

A model is an sklearn estimator whose ``fit`` takes a :class:`~cellresponse.data.Dataset`
(not an X matrix): it looks up the feature views it needs by ID, and fits everything
learned from data (scalers, gene selection, PCA) on that training data only.

Saving never pickles: a model directory holds ``model.json`` (class, hyperparameters,
format and package versions, JSON state, the training domain, a manifest of every array
and a checksum) and ``arrays.safetensors`` (numeric state). Loading verifies all of it
(:mod:`cellresponse.models._manifest`); predicting checks that the data holds the
features the model was trained on.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from cellresponse._types import PathLike
from cellresponse._util import jsonable
from cellresponse.data import Dataset, FeatureView
from cellresponse.errors import InputError, MissingInputError, ModelFileError
from cellresponse.models._manifest import (
    MODEL_FILE_VERSION,
    array_manifest,
    document_checksum,
    load_arrays,
    verify_arrays,
    verify_document,
)

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
    #: What each ``__init__`` parameter accepts, in scikit-learn's convention (``Interval``,
    #: ``StrOptions``, ``"boolean"``, ``None``, types; :mod:`cellresponse.models._params`);
    #: checked before any fold runs by :func:`cellresponse.models.check_model_params`.
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    # ----------------------------------------------------------------- contract
    def required_views(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(cell-line views, perturbation views) this configuration reads."""
        return tuple(self.cell_line_views), tuple(self.perturbation_views)

    def fit(self, data: Dataset, *, valid: Dataset | None = None) -> Self:
        """Fit on ``data``; ``valid`` (inner validation part) may drive early stopping/tuning."""
        self.check_params()
        self._check_dataset(data, "data")
        if valid is not None:
            self._check_dataset(valid, "valid")
        self._fit(data, valid)
        self.n_train_ = len(data)
        self.domain_ = training_domain(data, self.required_views())
        return self

    def check_params(self) -> None:
        """Check the hyperparameters against ``_parameter_constraints``.

        Raises
        ------
        InputError
            Naming the model, the parameter and what it accepts.
        """
        from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

        name = self.registry_name or type(self).__name__
        try:
            validate_parameter_constraints(
                self._parameter_constraints, self.get_params(deep=False), caller_name=f"model {name!r}"
            )
        except InvalidParameterError as err:
            # "The 'x' parameter of model 'm' must be ..." -> "model 'm': the 'x' parameter must be ..."
            text = str(err).replace(f" parameter of model {name!r} ", " parameter ", 1)
            raise InputError(f"model {name!r}: {text[0].lower()}{text[1:]}", source=name) from None

    def predict(self, data: Dataset) -> np.ndarray:
        """Predict targets for the observations of ``data``: ``(n,)`` or ``(n, n_targets)``."""
        check_is_fitted(self, "n_train_")
        self._check_dataset(data, "data")
        data = self._align_features(data)
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

    def _align_features(self, data: Dataset) -> Dataset:
        """``data`` with each view the model reads holding the training features in the
        training order (a view with other columns, or the same in another order, is
        subset; missing features are an error naming the view)."""
        expected = (getattr(self, "domain_", None) or {}).get("features") or {}
        changes: dict[str, dict[str, FeatureView]] = {}
        for side, views in (("cell_line", data.cell_views), ("perturbation", data.perturbation_views)):
            for name, names in (expected.get(side) or {}).items():
                view = views.get(name)
                if view is None or list(view.feature_names) == names:
                    continue
                missing = pd.Index(names).difference(view.feature_names)
                if len(missing):
                    raise InputError(
                        f"the {name} view lacks {len(missing)} of the {len(names)} features "
                        f"{self.registry_name or type(self).__name__} was trained on (e.g. {list(missing[:5])})",
                        source=name,
                    )
                changes.setdefault(side, dict(views))[name] = view.subset(features=names)
        if not changes:
            return data
        return dataclasses.replace(
            data,
            cell_views=changes.get("cell_line", data.cell_views),
            perturbation_views=changes.get("perturbation", data.perturbation_views),
        )

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
        """Write the fitted model to directory ``path`` (created if needed).

        ``model.json`` records a manifest of every array (shape, dtype, checksum), the
        training domain and the feature names the model reads, and a checksum of itself
        (:mod:`cellresponse.models._manifest`); both files are written atomically.
        """
        from safetensors.numpy import save as save_bytes

        from cellresponse import __version__

        check_is_fitted(self, "n_train_")
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        meta, arrays = self._get_state()
        arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        doc = {
            "model": self.registry_name or type(self).__name__,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "format_version": self.format_version,
            "file_version": MODEL_FILE_VERSION,
            "cellresponse_version": __version__,
            "params": jsonable(self.get_params(deep=False), strict=True),
            "n_train": int(self.n_train_),
            "state": jsonable(meta, strict=True),
            "domain": jsonable(getattr(self, "domain_", None) or {}),
            "arrays": array_manifest(arrays),
        }
        doc["checksum"] = document_checksum(doc)
        _atomic_write(out / MODEL_ARRAYS, save_bytes(arrays))
        _atomic_write(out / MODEL_JSON, json.dumps(doc, indent=2).encode())
        return out

    @classmethod
    def load(cls, path: PathLike) -> Self:
        """Load a model saved by :meth:`save`, verifying it first.

        Raises
        ------
        MissingInputError
            If ``path`` holds no ``model.json``.
        ModelFileError
            If ``model.json`` is not valid, of another format, of another model class, or
            was edited; or ``arrays.safetensors`` is missing, damaged, of another model
            or holds other values than were saved (the message names the array).
        """
        from cellresponse.models.registry import get_model_class

        src = Path(path)
        json_path = src / MODEL_JSON
        if src.is_file():
            raise ModelFileError(f"{src} is a file; a saved model is a directory (with {MODEL_JSON})", source=src)
        if not json_path.is_file():
            raise MissingInputError(f"{src} is not a saved cellresponse model (no {MODEL_JSON})", source=src)
        try:
            doc = json.loads(json_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ModelFileError(f"{json_path} is not valid JSON: {err}", source=json_path) from None
        if not isinstance(doc, dict):
            raise ModelFileError(f"{json_path} is not a cellresponse model file", source=json_path)
        for key in ("model", "format_version", "params", "state"):
            if key not in doc:
                raise ModelFileError(
                    f"{json_path} lacks the {key!r} field; not a cellresponse model file", source=json_path
                )
        verify_document(doc, json_path)
        try:
            model_cls = get_model_class(doc["model"]) if cls is ResponseModel else cls
        except KeyError as err:
            raise ModelFileError(f"{json_path}: {err.args[0] if err.args else err}", source=json_path) from None
        if model_cls.registry_name and doc["model"] != model_cls.registry_name:
            raise ModelFileError(
                f"{json_path} holds a {doc['model']!r} model, not {model_cls.registry_name!r}", source=json_path
            )
        if doc["format_version"] != model_cls.format_version:
            raise ModelFileError(
                f"{json_path} has format_version {doc['format_version']} (written by cellresponse "
                f"{doc.get('cellresponse_version')}); this version reads format {model_cls.format_version}",
                source=json_path,
            )
        manifest = doc.get("arrays") or {}
        arrays_path = src / MODEL_ARRAYS
        if not arrays_path.is_file():
            raise ModelFileError(
                f"{src} lacks {MODEL_ARRAYS} (deleted?); the model holds {len(manifest)} arrays", source=arrays_path
            )
        arrays = load_arrays(arrays_path)
        verify_arrays(arrays, manifest, arrays_path)
        try:
            model = model_cls(**model_cls.coerce_params(doc["params"]))
            model._set_state(doc["state"], arrays)
        except (KeyError, ValueError, TypeError, IndexError) as err:
            raise ModelFileError(f"{src}: the saved state cannot be restored ({type(err).__name__}: {err})",
                                 source=src) from None  # fmt: skip
        model.n_train_ = int(doc.get("n_train", 0))
        model.domain_ = doc.get("domain") or {}
        return model


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def training_domain(data: Dataset, views: tuple[tuple[str, ...], tuple[str, ...]]) -> dict[str, Any]:
    """What a model was trained on: entity IDs, dose and time ranges, and the feature names
    of each view it reads (recorded on fit and saved; ``predict`` checks data against it)."""

    def span(col: str) -> list[float] | None:
        if col not in data.obs.columns or len(data) == 0:
            return None
        values = data.obs[col].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        return [float(values.min()), float(values.max())] if values.size else None

    cell_views, pert_views = views
    return {
        "cell_lines": sorted(map(str, pd.unique(data.cell_lines))),
        "perturbations": sorted(map(str, pd.unique(data.perturbations))),
        "dose": span("dose"),
        "time": span("time"),
        "features": {
            "cell_line": {v: [str(f) for f in data.cell_view(v).feature_names] for v in cell_views},
            "perturbation": {v: [str(f) for f in data.perturbation_view(v).feature_names] for v in pert_views},
        },
    }


def load_model(path: PathLike) -> ResponseModel:
    """Load any saved model (class resolved through the registry)."""
    return ResponseModel.load(path)


__all__ = ["MODEL_ARRAYS", "MODEL_JSON", "NotFittedError", "ResponseModel", "load_model", "training_domain"]
