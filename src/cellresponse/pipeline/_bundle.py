"""Model bundles: a saved model plus everything needed to serve it without the dataset.

``cellresponse train --out DIR`` writes a bundle. The directory is still a plain saved
model (``model.json``, ``arrays.safetensors``: :func:`cellresponse.models.load_model`
reads it as before) with, beside it:

- ``bundle.json``: format version, task, target, the model's name and parameters, the
  features it expects (view names, feature counts and kinds, fingerprint settings, the
  target's gene names), provenance (dataset name and fingerprint, validation split hash,
  package version, seed, creation time), cross-validated scores of the model beside the
  task's naive baselines on the same folds (or why there are none), and optional
  ``calibration`` and ``explanations`` blocks that later stages fill when a bundle has them;
- ``reference/``: the features of every known entity (the views the model reads, one
  ``<side>.<view>.safetensors`` each with its IDs and feature names in
  ``reference/index.json``), the perturbation table (name, SMILES) and the cell-line
  annotations, so that known cell lines and drugs are addressed by ID.

Reading checks the format version and the files, and never unpickles anything.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import jsonable
from cellresponse.data import Dataset, FeatureView
from cellresponse.models import ResponseModel, load_model
from cellresponse.models.base import MODEL_JSON as MODEL_JSON_NAME

BUNDLE_JSON = "bundle.json"
BUNDLE_FORMAT = 1
REFERENCE_DIR = "reference"
INDEX_JSON = "index.json"
DEFAULT_FINGERPRINT = {"radius": 2, "n_bits": 2048}


@dataclass(frozen=True)
class TrainingRecord:
    """How a bundle's model was trained (written to ``bundle.json`` ``provenance``).

    Attributes
    ----------
    seed
        Seed of the model and of the validation holdout.
    valid_fraction
        Fraction of groups held out for early stopping (0: none).
    n_train, n_valid
        Observations the final model was fitted on / validated on.
    valid_split_hash
        Hash of the split that chose the validation groups (``None`` without one).
    params
        The resolved hyperparameters.
    """

    seed: int
    valid_fraction: float
    n_train: int
    n_valid: int
    valid_split_hash: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (``bundle.json`` is strict JSON)."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _required_views(model: ResponseModel, data: Dataset) -> tuple[list[str], list[str]]:
    cell, pert = model.required_views()
    cells = [v for v in cell if v in data.cell_views]
    perts = [v for v in pert if v in data.perturbation_views]
    # Expression models read basal profiles and fingerprints even when a baseline does not
    # declare them: keep them so a bundle of any expression model can answer a new SMILES.
    if data.task == "expression":
        cells += [v for v in ("basal",) if v in data.cell_views and v not in cells]
        perts += [v for v in ("morgan",) if v in data.perturbation_views and v not in perts]
    return cells, perts


def _fingerprint_settings(data: Dataset) -> dict[str, int]:
    settings = dict(DEFAULT_FINGERPRINT)
    info = data.info.get("morgan") if isinstance(data.info.get("morgan"), Mapping) else None
    if info:
        settings.update({k: int(v) for k, v in info.items() if k in settings})
    if "morgan" in data.perturbation_views:
        settings["n_bits"] = data.perturbation_view("morgan").n_features
    return settings


def _write_reference(out: Path, data: Dataset, cell: list[str], pert: list[str]) -> dict[str, Any]:
    from safetensors.numpy import save_file

    ref = out / REFERENCE_DIR
    ref.mkdir(parents=True, exist_ok=True)
    cells = pd.unique(data.cell_lines)
    perts = pd.unique(data.perturbations)
    index: dict[str, Any] = {"cell_line": {}, "perturbation": {}}
    for side, names, ids, getter in (
        ("cell_line", cell, cells, data.cell_view),
        ("perturbation", pert, perts, data.perturbation_view),
    ):
        for name in names:
            view = getter(name)
            keep = [i for i in ids if i in view]
            sub = view.subset(ids=keep)
            save_file({"values": np.ascontiguousarray(sub.values)}, str(ref / f"{side}.{name}.safetensors"))
            index[side][name] = {"ids": list(sub.ids), "features": list(sub.feature_names), "kind": sub.kind}
    (ref / INDEX_JSON).write_text(json.dumps(index))
    meta = data.perturbation_meta.reindex(pd.Index(perts, dtype=object))
    table = pd.DataFrame({"id": perts, "name": meta.get("name", pd.Series(perts, index=perts)).fillna("").to_numpy()})
    table["smiles"] = meta["smiles"].fillna("").to_numpy() if "smiles" in meta.columns else ""
    table.to_csv(ref / "perturbations.csv", index=False)
    cmeta = data.cell_meta.reindex(pd.Index(cells, dtype=object))
    cmeta.index.name = "cell_line"
    cmeta.to_csv(ref / "cell_meta.csv")
    views = {
        side: {
            n: {"n_features": len(v["features"]), "n_entities": len(v["ids"]), "kind": v["kind"]} for n, v in d.items()
        }
        for side, d in index.items()
    }
    return {"cell_views": views["cell_line"], "perturbation_views": views["perturbation"]}


def _ranges(data: Dataset) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in ("dose", "time"):
        if col in data.obs.columns:
            vals = np.sort(data.obs[col].unique())
            out[col] = {"min": float(vals[0]), "max": float(vals[-1]), "values": [float(v) for v in vals[:100]]}
    return out


def write_bundle(
    out: PathLike,
    *,
    model: ResponseModel,
    data: Dataset,
    record: TrainingRecord,
    scores: Mapping[str, Any] | None = None,
    extras: Mapping[str, Any] | None = None,
) -> Path:
    """Write the serving files of a fitted model saved in ``out`` (see the module docstring).

    Parameters
    ----------
    out
        The directory the model was saved to (``model.save(out)``).
    model
        The fitted model.
    data
        The whole dataset given to training (its entities become the known IDs).
    record
        How the model was trained.
    scores
        Cross-validated scores (:func:`cellresponse.pipeline.cv_scores`), or ``None``
        with ``extras["scores_note"]`` saying why there are none.
    extras
        Optional blocks stored verbatim: ``calibration``, ``explanations``, ``name``,
        ``description``, ``scores_note``.

    Returns
    -------
    Path
        ``out``.
    """
    from cellresponse import __version__

    path = Path(out)
    if not (path / MODEL_JSON_NAME).is_file():
        raise FileNotFoundError(f"{path} holds no saved model ({MODEL_JSON_NAME}); save the model first")
    extras = dict(extras or {})
    cell, pert = _required_views(model, data)
    features = _write_reference(path, data, cell, pert)
    features["fingerprint"] = _fingerprint_settings(data)
    features["target_names"] = list(data.target_names) if data.target_names is not None else None
    features["ranges"] = _ranges(data)
    doc = {
        "format_version": BUNDLE_FORMAT,
        "kind": "cellresponse-bundle",
        "name": str(extras.get("name") or path.name),
        "description": str(extras.get("description") or ""),
        "task": data.task,
        "target": data.target,
        "perturbation_kind": data.perturbation_kind,
        "model": {"name": model.registry_name or type(model).__name__, "params": jsonable(dict(record.params))},
        "features": features,
        "entities": {
            "cell_lines": int(pd.unique(data.cell_lines).size),
            "perturbations": int(pd.unique(data.perturbations).size),
        },
        "provenance": {
            "dataset": data.name,
            "dataset_fingerprint": data.fingerprint(),
            "n_observations": len(data),
            "n_train": record.n_train,
            "n_valid": record.n_valid,
            "valid_fraction": record.valid_fraction,
            "valid_split_hash": record.valid_split_hash,
            "seed": record.seed,
            "cellresponse_version": __version__,
            "python": platform.python_version(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "scores": jsonable(dict(scores)) if scores is not None else None,
        "scores_note": extras.get("scores_note"),
        "calibration": jsonable(extras.get("calibration")),
        "explanations": jsonable(extras.get("explanations")),
    }
    tmp = path / (BUNDLE_JSON + ".tmp")
    tmp.write_text(json.dumps(_finite(jsonable(doc)), indent=2, allow_nan=False))
    tmp.replace(path / BUNDLE_JSON)  # atomic: a reader never sees half a bundle.json
    return path


@dataclass(frozen=True, eq=False)
class BundleReference:
    """The known entities of a bundle: their feature views and annotations."""

    task: str
    target: str
    perturbation_kind: Any
    cell_views: Mapping[str, FeatureView]
    perturbation_views: Mapping[str, FeatureView]
    cell_meta: pd.DataFrame
    perturbation_meta: pd.DataFrame
    target_names: tuple[str, ...] | None = None


@dataclass(frozen=True, eq=False)
class Bundle:
    """A bundle read from disk: its ``bundle.json``, the model and the known entities.

    Use :func:`read_bundle`; the model and the reference features load on first use.
    """

    path: Path
    info: Mapping[str, Any]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return str(self.info["name"])

    @property
    def task(self) -> str:
        return str(self.info["task"])

    @property
    def model_name(self) -> str:
        return str(self.info["model"]["name"])

    @property
    def fingerprint(self) -> dict[str, int]:
        return dict(self.info["features"].get("fingerprint") or DEFAULT_FINGERPRINT)

    @property
    def target_names(self) -> list[str] | None:
        names = self.info["features"].get("target_names")
        return None if names is None else [str(n) for n in names]

    @property
    def calibration(self) -> Mapping[str, Any] | None:
        """The calibration block (intervals), when the bundle has one."""
        return self.info.get("calibration")

    @property
    def explanations(self) -> Mapping[str, Any] | None:
        """The explanations block (top features), when the bundle has one."""
        return self.info.get("explanations")

    def ranges(self) -> dict[str, Any]:
        """Training ranges of dose and time (expression bundles)."""
        return dict(self.info["features"].get("ranges") or {})

    def model(self) -> ResponseModel:
        """The fitted model (loaded once)."""
        if "model" not in self._cache:
            self._cache["model"] = load_model(self.path)
        return self._cache["model"]

    def reference(self) -> BundleReference:
        """The known entities' views and annotations (loaded once)."""
        if "reference" not in self._cache:
            self._cache["reference"] = _read_reference(self)
        return self._cache["reference"]

    def perturbations(self) -> pd.DataFrame:
        """Known perturbations: ``name`` and ``smiles`` (empty when unknown), indexed by ID."""
        if "perturbations" not in self._cache:
            table = pd.read_csv(
                self.path / REFERENCE_DIR / "perturbations.csv", dtype=str, keep_default_na=False
            ).set_index("id")
            self._cache["perturbations"] = table
        return self._cache["perturbations"]

    def cell_lines(self) -> list[str]:
        """Known cell-line IDs (those with every cell view the model reads)."""
        ref = self.reference()
        if ref.cell_views:
            ids = None
            for view in ref.cell_views.values():
                ids = set(view.ids) if ids is None else ids & set(view.ids)
            return sorted(ids or ())
        return sorted(ref.cell_meta.index)

    def summary(self) -> dict[str, Any]:
        """What a model listing shows: name, task, target, model, scores, provenance."""
        info = self.info
        return {
            "name": self.name,
            "description": info.get("description", ""),
            "task": self.task,
            "target": info["target"],
            "perturbation_kind": info["perturbation_kind"],
            "model": self.model_name,
            "entities": dict(info["entities"]),
            "features": {
                k: info["features"].get(k) for k in ("cell_views", "perturbation_views", "fingerprint", "ranges")
            },
            "n_genes": None if self.target_names is None else len(self.target_names),
            "scores": info.get("scores"),
            "scores_note": info.get("scores_note"),
            "provenance": dict(info["provenance"]),
            "has_calibration": info.get("calibration") is not None,
            "has_explanations": info.get("explanations") is not None,
        }


def _read_reference(bundle: Bundle) -> BundleReference:
    from safetensors.numpy import load_file

    ref = bundle.path / REFERENCE_DIR
    index = json.loads((ref / INDEX_JSON).read_text())
    views: dict[str, dict[str, FeatureView]] = {"cell_line": {}, "perturbation": {}}
    for side in views:
        for name, entry in index.get(side, {}).items():
            file = ref / f"{side}.{name}.safetensors"
            if not file.is_file():
                raise FileNotFoundError(f"bundle {bundle.path}: {file.name} is missing from {REFERENCE_DIR}/")
            values = load_file(str(file))["values"]
            views[side][name] = FeatureView(
                name, pd.Index(entry["ids"]), values, pd.Index(entry["features"]), entry["kind"]
            )
    cell_meta = pd.read_csv(ref / "cell_meta.csv", dtype=str, index_col=0, keep_default_na=False)
    names = bundle.target_names
    info = bundle.info
    return BundleReference(
        task=str(info["task"]),
        target=str(info["target"]),
        perturbation_kind=str(info["perturbation_kind"]),
        cell_views=views["cell_line"],
        perturbation_views=views["perturbation"],
        cell_meta=cell_meta.replace("", np.nan),
        perturbation_meta=bundle.perturbations().replace("", np.nan),
        target_names=tuple(names) if names else None,
    )


def is_bundle(path: PathLike) -> bool:
    """Whether ``path`` is a directory holding a ``bundle.json``."""
    return (Path(path) / BUNDLE_JSON).is_file()


def read_bundle(path: PathLike) -> Bundle:
    """Read a bundle written by ``cellresponse train`` (checks version and files).

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a directory with ``bundle.json``, ``model.json`` and
        ``reference/``.
    ValueError
        For another format version or an unreadable ``bundle.json``.
    """
    p = Path(path)
    if not p.is_dir():
        raise FileNotFoundError(f"model bundle {p} is not a directory")
    file = p / BUNDLE_JSON
    if not file.is_file():
        hint = (
            " (a model saved before bundles existed: re-run cellresponse train)"
            if (p / MODEL_JSON_NAME).is_file()
            else ""
        )
        raise FileNotFoundError(f"{p} is not a model bundle: no {BUNDLE_JSON}{hint}")
    try:
        info = json.loads(file.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{file} is not valid JSON: {err}") from None
    if not isinstance(info, dict) or info.get("kind") != "cellresponse-bundle":
        raise ValueError(f"{file} is not a cellresponse bundle description")
    if info.get("format_version") != BUNDLE_FORMAT:
        raise ValueError(f"{file} has bundle format {info.get('format_version')}; this version reads {BUNDLE_FORMAT}")
    for need in (MODEL_JSON_NAME, f"{REFERENCE_DIR}/{INDEX_JSON}", f"{REFERENCE_DIR}/perturbations.csv"):
        if not (p / need).is_file():
            raise FileNotFoundError(f"model bundle {p} lacks {need}")
    return Bundle(p.resolve(), info)


__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_JSON",
    "Bundle",
    "BundleReference",
    "TrainingRecord",
    "is_bundle",
    "read_bundle",
    "write_bundle",
]
