"""A saved model verifies itself: a manifest of its arrays and a checksum of its JSON.

``model.json`` (model file format 2) holds, besides the class, parameters and state:

- ``arrays``: for every array in ``arrays.safetensors`` its shape, dtype, SHA-256 of its
  bytes and its count of non-finite values;
- ``domain``: what the model was trained on (cell lines, perturbations, dose and time
  ranges) and the feature names it reads from each view;
- ``checksum``: SHA-256 of the rest of the document.

:func:`verify_document` and :func:`verify_arrays` check all of it on load, so a
truncated, rewritten, swapped or hand-edited model is refused with a message that names
the file, the array and what was expected, instead of predicting wrong numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cellresponse.errors import ModelFileError

#: Version of the model directory layout (manifest, domain, checksum); files without one
#: were written before models verified themselves and are refused.
MODEL_FILE_VERSION = 2
RETRAIN = "retrain it with `cellresponse train` (or ResponseModel.save) of this version"


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def _nonfinite(arr: np.ndarray) -> int:
    if arr.dtype.kind in "fc":
        return int(arr.size - np.count_nonzero(np.isfinite(arr)))
    return 0


def array_manifest(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """Name -> ``{"shape", "dtype", "sha256", "nonfinite"}`` of every array."""
    return {
        name: {
            "shape": [int(n) for n in arr.shape],
            "dtype": str(arr.dtype),
            "sha256": _sha256(arr),
            "nonfinite": _nonfinite(arr),
        }
        for name, arr in sorted(arrays.items())
    }


def document_checksum(doc: Mapping[str, Any]) -> str:
    """SHA-256 of ``doc`` without its ``checksum`` field (keys sorted, compact JSON)."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def verify_document(doc: Mapping[str, Any], path: Path) -> None:
    """Check the file format version and the checksum of ``model.json``.

    Raises
    ------
    ModelFileError
        For a file of another format or one changed after saving.
    """
    version = doc.get("file_version")
    if version != MODEL_FILE_VERSION:
        written = doc.get("cellresponse_version", "an older version")
        raise ModelFileError(
            f"{path} has model file format {version if version is not None else 1} (written by cellresponse "
            f"{written}); this version reads format {MODEL_FILE_VERSION} only, whose files verify their own "
            f"arrays: {RETRAIN}",
            source=path,
        )
    if doc.get("checksum") != document_checksum(doc):
        raise ModelFileError(
            f"{path} was changed after it was saved (its checksum does not match its content); "
            f"restore the original file or {RETRAIN}",
            source=path,
        )


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a safetensors file; a damaged file is a :class:`ModelFileError`."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise ModelFileError(
            f"{path} is not a readable array file (truncated or not written by cellresponse?): {err}", source=path
        ) from None


def verify_arrays(arrays: Mapping[str, np.ndarray], manifest: Mapping[str, Any], path: Path) -> None:
    """Check ``arrays`` against the manifest: names, shapes, dtypes, finiteness, checksums.

    Raises
    ------
    ModelFileError
        Naming the first array that differs and what was expected.
    """
    missing = sorted(set(manifest) - set(arrays))
    extra = sorted(set(arrays) - set(manifest))
    if missing or extra:
        parts = ([f"lacks arrays {missing[:5]}"] if missing else []) + (
            [f"holds arrays the model does not have {extra[:5]}"] if extra else []
        )
        raise ModelFileError(
            f"{path} {' and '.join(parts)}: it belongs to another model or was replaced; {RETRAIN}", source=path
        )
    for name in sorted(manifest):
        want, arr = manifest[name], arrays[name]
        where = f"{path}: array {name!r}"
        if list(arr.shape) != list(want["shape"]):
            raise ModelFileError(
                f"{where} has shape {list(arr.shape)}, expected {want['shape']} (truncated or of another model)",
                source=path,
                key=name,
            )
        if str(arr.dtype) != want["dtype"]:
            raise ModelFileError(f"{where} has dtype {arr.dtype}, expected {want['dtype']}", source=path, key=name)
        bad = _nonfinite(arr)
        if bad != int(want.get("nonfinite", 0)):
            raise ModelFileError(
                f"{where} holds {bad} NaN/inf value(s), the saved model had {want.get('nonfinite', 0)}",
                source=path,
                key=name,
            )
        if _sha256(arr) != want["sha256"]:
            raise ModelFileError(
                f"{where} differs from the saved one (checksum mismatch): the file was changed after saving",
                source=path,
                key=name,
            )


__all__ = [
    "MODEL_FILE_VERSION",
    "array_manifest",
    "document_checksum",
    "load_arrays",
    "verify_arrays",
    "verify_document",
]
