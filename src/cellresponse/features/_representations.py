"""Learned cell-line representations (PCA, autoencoders) with an on-disk cache.

A representation is an :class:`Encoder`: per-feature standardisation followed by a few
dense layers, held as NumPy arrays so that encoding (and saved models) never need torch.
PCA fits here in NumPy; the autoencoder kinds (``"ae"``, ``"dae"``) are trained by
:mod:`cellresponse.models.nn._autoencoder`, which registers its trainer with
:func:`register_representation_trainer` when imported (this layer never imports models).

Encoders are cached under ``$CELLRESPONSE_CACHE/representations`` (default
``~/.cache/cellresponse``) keyed by a hash of the view content, the config, the seed and
the set of training lines, so the same encoder is reused across tasks and folds.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cellresponse._util import cache_dir as shared_cache_dir
from cellresponse.data import FeatureView

RepresentationKind = Literal["raw", "pca", "ae", "dae"]
REPRESENTATION_KINDS = ("raw", "pca", "ae", "dae")
ENCODER_FORMAT_VERSION = 1

Layers = list[tuple[np.ndarray, np.ndarray]]
Trainer = Callable[[np.ndarray, "RepresentationConfig", int], tuple[Layers, dict[str, Any]]]
_TRAINERS: dict[str, Trainer] = {}


@dataclass(frozen=True)
class RepresentationConfig:
    """How to learn one representation of one view.

    Parameters
    ----------
    kind
        ``"raw"`` (standardised features), ``"pca"``, ``"ae"`` (autoencoder) or ``"dae"``
        (masked/denoising autoencoder: a random ``mask_fraction`` of inputs is zeroed).
    n_components
        Size of the code (ignored for ``"raw"``).
    n_top_features
        Keep the most variable features (on the training lines); ``None`` keeps all.
    hidden
        Hidden layer widths of the autoencoder encoder (the decoder mirrors them).
    epochs, batch_size, lr, weight_decay
        Autoencoder training settings (part of the cache key); the registered trainer
        applies them to its torch trainer config (the models' one training loop).
    mask_fraction, noise_std
        Corruption of the ``"dae"`` input.
    """

    kind: RepresentationKind = "pca"
    n_components: int = 64
    n_top_features: int | None = 2000
    hidden: tuple[int, ...] = (256,)
    epochs: int = 40
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-5
    mask_fraction: float = 0.25
    noise_std: float = 0.1

    def __post_init__(self) -> None:
        if self.kind not in REPRESENTATION_KINDS:
            raise ValueError(f"kind must be one of {REPRESENTATION_KINDS}, got {self.kind!r}")
        if self.n_components < 1:
            raise ValueError(f"n_components must be >= 1, got {self.n_components}")
        if self.n_top_features is not None and self.n_top_features < 1:
            raise ValueError(f"n_top_features must be >= 1 or None, got {self.n_top_features}")
        if not 0 <= self.mask_fraction < 1:
            raise ValueError(f"mask_fraction must be in [0, 1), got {self.mask_fraction}")

    @property
    def stochastic(self) -> bool:
        """Whether the seed changes the result (autoencoders) or not (raw, PCA)."""
        return self.kind in ("ae", "dae")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        return out


@dataclass(frozen=True, eq=False)
class Encoder:
    """A fitted representation: standardise -> dense layers (ReLU between them).

    ``transform`` maps a ``(n, len(feature_names))`` matrix to codes; missing values are
    imputed with the training mean (0 after standardisation).
    """

    name: str
    feature_names: pd.Index
    center: np.ndarray
    scale: np.ndarray
    layers: Layers
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_components(self) -> int:
        return int(self.layers[-1][0].shape[1]) if self.layers else len(self.feature_names)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Codes for rows of ``values`` (columns in ``feature_names`` order)."""
        x = np.asarray(values, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(f"encoder {self.name!r} expects {len(self.feature_names)} features, got shape {x.shape}")
        x = (x - self.center) / self.scale
        x = np.where(np.isfinite(x), x, 0.0).astype(np.float32)
        for i, (w, b) in enumerate(self.layers):
            x = x @ w + b
            if i < len(self.layers) - 1:
                np.maximum(x, 0.0, out=x)
        return x

    def transform_view(self, view: FeatureView, ids: Iterable[str]) -> np.ndarray:
        """Codes for the rows of ``view`` named by ``ids`` (KeyError lists unknown IDs)."""
        rows = view.subset(ids=list(ids), features=list(self.feature_names))
        return self.transform(rows.values)

    # ---------------------------------------------------------------- saving
    def to_arrays(self, prefix: str = "") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON metadata and named arrays (for safetensors), under ``prefix``."""
        arrays = {f"{prefix}center": self.center, f"{prefix}scale": self.scale}
        for i, (w, b) in enumerate(self.layers):
            arrays[f"{prefix}W{i}"] = w
            arrays[f"{prefix}b{i}"] = b
        meta = {
            "name": self.name,
            "feature_names": list(map(str, self.feature_names)),
            "n_layers": len(self.layers),
            "info": self.info,
            "format_version": ENCODER_FORMAT_VERSION,
        }
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str = "") -> Encoder:
        if meta.get("format_version") != ENCODER_FORMAT_VERSION:
            raise ValueError(
                f"encoder {meta.get('name')!r} has format_version {meta.get('format_version')}; "
                f"this version reads {ENCODER_FORMAT_VERSION}"
            )
        layers = [
            (np.asarray(arrays[f"{prefix}W{i}"]), np.asarray(arrays[f"{prefix}b{i}"]))
            for i in range(int(meta["n_layers"]))
        ]
        return cls(
            meta["name"],
            pd.Index(meta["feature_names"]),
            np.asarray(arrays[f"{prefix}center"]),
            np.asarray(arrays[f"{prefix}scale"]),
            layers,
            dict(meta.get("info", {})),
        )


def register_representation_trainer(kind: str, trainer: Trainer) -> None:
    """Register ``trainer(x_standardised, config, seed) -> (layers, info)`` for ``kind``."""
    _TRAINERS[kind] = trainer


def cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Representation cache folder: ``path``, ``$CELLRESPONSE_CACHE`` or ``~/.cache/cellresponse``,
    plus ``/representations``."""
    return shared_cache_dir("representations", path)


def _view_digest(view: FeatureView) -> str:
    h = hashlib.sha256()
    h.update(view.name.encode())
    h.update("\x1f".join(view.ids).encode())
    h.update("\x1f".join(view.feature_names).encode())
    h.update(np.ascontiguousarray(view.values).tobytes())
    return h.hexdigest()


def representation_key(view: FeatureView, *, config: RepresentationConfig, seed: int, lines: Iterable[str]) -> str:
    """Cache key: hash of view content + config + seed + sorted training-line set."""
    h = hashlib.sha256()
    h.update(_view_digest(view).encode())
    h.update(json.dumps(config.to_dict(), sort_keys=True).encode())
    h.update(str(int(seed) if config.stochastic else 0).encode())
    h.update("\x1f".join(sorted(set(map(str, lines)))).encode())
    return h.hexdigest()[:24]


def _pca_layers(x: np.ndarray, n_components: int) -> tuple[Layers, dict[str, Any]]:
    k = min(n_components, x.shape[0] - 1, x.shape[1])
    if k < 1:
        raise ValueError(f"PCA needs at least 2 training lines and 1 feature; got shape {x.shape}")
    _, s, vt = np.linalg.svd(x.astype(np.float64), full_matrices=False)
    components = np.ascontiguousarray(vt[:k].T, dtype=np.float32)  # C order, as saved and loaded
    var = s**2
    explained = float(var[:k].sum() / var.sum()) if var.sum() > 0 else 0.0
    return [(components, np.zeros(k, np.float32))], {"explained_variance": explained}


def fit_encoder(
    view: FeatureView,
    *,
    lines: Iterable[str],
    config: RepresentationConfig | None = None,
    seed: int = 0,
    use_cache: bool = True,
    cache_path: str | os.PathLike[str] | None = None,
) -> Encoder:
    """Fit (or load from the cache) a representation of ``view`` on the rows ``lines``.

    Parameters
    ----------
    view
        Cell-line view (rows = cell lines).
    lines
        Cell lines to learn from (normally every line except the test lines).
    config
        What to learn; default PCA with 64 components on the 2,000 most variable features.
    seed
        Seed of the autoencoder initialisation and batches (ignored for raw/PCA).
    use_cache, cache_path
        Read/write the encoder under :func:`cache_dir` (``cache_path`` overrides it).

    Returns
    -------
    Encoder
        ``info`` records the cache key, the number of training lines and whether it was
        loaded from the cache.

    Raises
    ------
    KeyError
        If a line of ``lines`` has no row in ``view``.
    ValueError
        If fewer than 2 lines are given.
    """
    config = config or RepresentationConfig()
    line_list = sorted(set(map(str, lines)))
    if len(line_list) < 2:
        raise ValueError(f"fit_encoder: need at least 2 training lines, got {len(line_list)}")
    key = representation_key(view, config=config, seed=seed, lines=line_list)
    folder = cache_dir(cache_path) / key
    if use_cache and (folder / "encoder.json").is_file():
        from safetensors.numpy import load_file

        meta = json.loads((folder / "encoder.json").read_text())
        enc = Encoder.from_arrays(meta, load_file(str(folder / "encoder.safetensors")))
        enc.info["from_cache"] = True
        return enc
    x = view.lookup(line_list).astype(np.float64)
    center = np.nanmean(x, axis=0)
    center = np.where(np.isfinite(center), center, 0.0)
    x = np.where(np.isfinite(x), x, center)
    std = x.std(axis=0)
    keep = np.flatnonzero(std > 1e-8)
    if config.n_top_features is not None and len(keep) > config.n_top_features:
        keep = keep[np.argsort(-std[keep], kind="stable")[: config.n_top_features]]
        keep.sort()
    if len(keep) == 0:
        raise ValueError(f"view {view.name!r} has no feature that varies across the training lines")
    center, scale = center[keep], std[keep]
    z = ((x[:, keep] - center) / scale).astype(np.float32)
    if config.kind == "raw":
        layers: Layers = []
        info: dict[str, Any] = {}
    elif config.kind == "pca":
        layers, info = _pca_layers(z, config.n_components)
    else:
        if config.kind not in _TRAINERS:
            raise RuntimeError(
                f"no trainer registered for representation kind {config.kind!r}; import "
                "cellresponse.models.nn._autoencoder first (needs the [torch] extra: "
                "pip install 'cellresponse[torch]')"
            )
        layers, info = _TRAINERS[config.kind](z, config, int(seed))
    info = {
        **info,
        "key": key,
        "kind": config.kind,
        "seed": int(seed) if config.stochastic else None,
        "n_lines": len(line_list),
        "n_features": len(keep),
        "view": view.name,
        "from_cache": False,
    }
    enc = Encoder(
        f"{view.name}:{config.kind}",
        view.feature_names[keep],
        center.astype(np.float32),
        scale.astype(np.float32),
        [(w.astype(np.float32), b.astype(np.float32)) for w, b in layers],
        info,
    )
    if use_cache:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        meta, arrays = enc.to_arrays()
        tmp = folder / f"encoder.{os.getpid()}.tmp"
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp))
        tmp.replace(folder / "encoder.safetensors")
        (folder / "encoder.json").write_text(json.dumps(meta))
    return enc


__all__ = [
    "REPRESENTATION_KINDS",
    "Encoder",
    "RepresentationConfig",
    "RepresentationKind",
    "cache_dir",
    "fit_encoder",
    "register_representation_trainer",
    "representation_key",
]
