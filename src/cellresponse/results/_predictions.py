"""Test-set predictions of a benchmark, in one format for every task.

A results directory holds ``predictions/obs.csv.gz`` (one row per tested observation:
``row`` (position in the dataset), ``fold``, the entity keys and per-observation
annotations) and ``predictions/values.npz`` (``y_true`` and one float32 array per scored
model, ``(n,)`` for scalar targets or ``(n, n_targets)`` for signatures, plus per-fold
context such as a fold's training mean signature), indexed by ``predictions/index.json``.
Arrays are exact (no decimal rounding), so re-scoring a written directory reproduces
the scores of the run; the zip is written with fixed timestamps, so the same run writes
the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.errors import InputError, MissingInputError
from cellresponse.io import read_csv_checked, read_text

OBS_FILE = "predictions/obs.csv.gz"
VALUES_FILE = "predictions/values.npz"
INDEX_FILE = "predictions/index.json"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_OBS_DTYPES = {
    "cell_line": str,
    "drug": str,
    "compound": str,
    "gene": str,
    "perturbation": str,
    "tissue": str,
    "gene_set": str,
}


@dataclass
class Predictions:
    """Observations tested in a benchmark, their truth and every model's predictions.

    Attributes
    ----------
    obs
        One row per tested observation: ``row``, ``fold``, ``cell_line``, the
        perturbation column (``drug`` / ``compound`` / ``gene``), ``dose``/``time``
        where the task has them, and annotations (``tissue``, ``gene_set`` ...).
    y_true
        ``(n,)`` or ``(n, n_targets)``.
    values
        Scored name (model, ``model/member``, ``model|ablation``) -> array shaped like
        ``y_true``; NaN where a model has no prediction (a failed fold).
    target_names
        Names of the columns of a vector target.
    context
        ``"<fold>/<name>"`` -> array: what scoring a fold needs from its training part.
    """

    obs: pd.DataFrame
    y_true: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)
    target_names: tuple[str, ...] | None = None
    context: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.obs)

    @property
    def names(self) -> list[str]:
        return list(self.values)

    @property
    def folds(self) -> list[int]:
        return sorted(int(f) for f in pd.unique(self.obs["fold"]))

    def fold(self, k: int) -> Predictions:
        """The predictions of outer fold ``k`` (rows and that fold's context)."""
        mask = (self.obs["fold"] == k).to_numpy()
        prefix = f"{int(k)}/"
        return Predictions(
            obs=self.obs[mask].reset_index(drop=True),
            y_true=self.y_true[mask],
            values={n: v[mask] for n, v in self.values.items()},
            target_names=self.target_names,
            context={n: v for n, v in self.context.items() if n.startswith(prefix)},
        )

    def fold_context(self, k: int, name: str) -> np.ndarray | None:
        return self.context.get(f"{int(k)}/{name}")

    def frame(self) -> pd.DataFrame:
        """Scalar targets: ``obs`` plus ``y_true`` and one column per scored name."""
        if self.y_true.ndim != 1:
            raise ValueError("frame() is for scalar targets; use .y_true and .values for signatures")
        cols = {"y_true": self.y_true, **self.values}
        return pd.concat([self.obs, pd.DataFrame(cols, index=self.obs.index)], axis=1)

    @classmethod
    def concat(cls, parts: Sequence[Predictions]) -> Predictions:
        """Rows of several folds in order; names missing from a part are NaN there."""
        if not parts:
            raise ValueError("no predictions to concatenate")
        names = list(dict.fromkeys(n for p in parts for n in p.values))
        shape = parts[0].y_true.shape[1:]
        values = {}
        for name in names:
            values[name] = np.concatenate(
                [p.values.get(name, np.full((len(p), *shape), np.nan, np.float32)) for p in parts]
            ).astype(np.float32)
        return cls(
            obs=pd.concat([p.obs for p in parts], ignore_index=True),
            y_true=np.concatenate([p.y_true for p in parts]).astype(np.float32),
            values=values,
            target_names=parts[0].target_names,
            context={k: v for p in parts for k, v in p.context.items()},
        )


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An ``.npz`` archive with fixed member timestamps (NumPy's ``savez`` stamps the time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def predictions_files(preds: Predictions) -> dict[str, bytes]:
    """The three files of ``preds``, as bytes keyed by their path in a results directory."""
    arrays: dict[str, np.ndarray] = {"y_true": preds.y_true.astype(np.float32)}
    index: dict[str, Any] = {"values": {}, "context": {}, "target_names": list(preds.target_names or [])}
    for i, (name, arr) in enumerate(preds.values.items()):
        arrays[f"v{i}"] = np.asarray(arr, dtype=np.float32)
        index["values"][name] = f"v{i}"
    for i, (name, arr) in enumerate(preds.context.items()):
        arrays[f"c{i}"] = np.asarray(arr)
        index["context"][name] = f"c{i}"
    buf = io.BytesIO()
    # mtime 0: the same table writes the same gzip bytes
    preds.obs.to_csv(buf, index=False, float_format="%.9g", compression={"method": "gzip", "mtime": 0})
    return {
        OBS_FILE: buf.getvalue(),
        VALUES_FILE: _npz_bytes(arrays),
        INDEX_FILE: (json.dumps(index, indent=1) + "\n").encode(),
    }


def read_predictions(results_dir: Path) -> Predictions:
    """Read the predictions of a results directory (see the module docstring)."""
    d = Path(results_dir)
    missing = [f for f in (OBS_FILE, VALUES_FILE, INDEX_FILE) if not (d / f).is_file()]
    if missing:
        raise MissingInputError(f"{d} has no complete predictions: missing {missing}", source=d)
    try:
        index = json.loads(read_text(d / INDEX_FILE, what="predictions index"))
        values_of, context_of = dict(index["values"]), dict(index["context"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(
            f"{d / INDEX_FILE} is not a predictions index ({type(err).__name__}: {err})", source=d
        ) from None
    obs = read_csv_checked(d / OBS_FILE, what="predictions table", allow_empty=True, dtype=_OBS_DTYPES)
    try:
        # from bytes: numpy leaves the file open when a damaged archive fails to open
        with np.load(io.BytesIO((d / VALUES_FILE).read_bytes()), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise InputError(
            f"{d / VALUES_FILE} is unreadable or corrupt ({type(err).__name__}: {err})", source=d / VALUES_FILE
        ) from None
    try:
        values = {name: arrays[key] for name, key in values_of.items()}
        context = {name: arrays[key] for name, key in context_of.items()}
        y_true = arrays["y_true"]
    except (KeyError, TypeError) as err:
        raise InputError(f"{d}: {INDEX_FILE} names array {err} that {VALUES_FILE} lacks", source=d) from None
    bad = [n for n, v in {**values, "y_true": y_true}.items() if v.ndim == 0 or len(v) != len(obs)]
    if bad:
        raise InputError(f"{d}: arrays {bad} do not have one row per observation of {OBS_FILE} ({len(obs)})", source=d)
    names = tuple(index.get("target_names") or ()) or None
    return Predictions(obs=obs, y_true=y_true, values=values, target_names=names, context=context)


__all__ = ["INDEX_FILE", "OBS_FILE", "VALUES_FILE", "Predictions", "predictions_files", "read_predictions"]
