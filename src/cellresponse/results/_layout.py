"""The results directory: one versioned layout for every task, one writer, one reader.

=========================  ===================================================================
file                       content
=========================  ===================================================================
``config.json``            ``format_version``, package version, resolved run config, dataset
                           fingerprint and summary, split description and hash, resolved
                           per-model parameters and seeds, failures, ``complete``
``results.csv``            per-fold scores: ``model, fold (int), metric, group_by, group, value``
``summary.csv``            across-fold scores: ``model, metric, group_by, group, value``
                           (fold means; per-group scores averaged over the folds a group was
                           tested in, and their mean/median)
``stats.csv``              paired tests (one column set for every task, :data:`STATS_COLUMNS`)
``leaderboard.csv``        one row per model: headline metrics, gains over the best baseline
``ablation.csv``           each model intact vs with an input shuffled (tasks with ablations)
``timings.csv``            fit/predict seconds, sizes and memory per (model, fold)
``split.csv``              the split file (reusable with ``--split-file``)
``predictions/``           test predictions of every model (:mod:`.predictions`)
``extras/``                ``<model>.<table>.csv`` tables a model or task reports about itself
``report.html``            written by :func:`cellresponse.report.build_report` from these files
=========================  ===================================================================

Per-fold rows and across-fold rows live in different files, so no consumer can mistake a
fold mean for a fold. Every file is written atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import jsonable
from cellresponse.errors import InputError, MissingInputError
from cellresponse.io import read_csv_checked, read_text
from cellresponse.results._predictions import Predictions, predictions_files, read_predictions

FORMAT_VERSION = 1
RESULT_COLUMNS = ["model", "fold", "metric", "group_by", "group", "value"]
SUMMARY_COLUMNS = ["model", "metric", "group_by", "group", "value"]
STATS_COLUMNS = [
    "model",
    "reference",
    "metric",
    "over",
    "subset",
    "alternative",
    "is_best_baseline",
    "n",
    "model_mean",
    "reference_mean",
    "median_diff",
    "statistic",
    "pvalue",
]
TIMING_COLUMNS = ["model", "fold", "fit_s", "predict_s", "n_train", "n_test", "peak_rss_mb", "fallbacks"]
ABLATION_COLUMNS = ["model", "ablation", "metric", "intact", "ablated", "drop"]
TABLES: dict[str, tuple[str, list[str] | None]] = {
    "results": ("results.csv", RESULT_COLUMNS),
    "summary": ("summary.csv", SUMMARY_COLUMNS),
    "stats": ("stats.csv", STATS_COLUMNS),
    "leaderboard": ("leaderboard.csv", None),
    "ablation": ("ablation.csv", ABLATION_COLUMNS),
    "timings": ("timings.csv", TIMING_COLUMNS),
}
#: Every file and folder of a results directory (what ``--overwrite`` may remove); ``cells``
#: is the store of completed cells of a run still going or interrupted.
LAYOUT_ENTRIES: tuple[str, ...] = (
    *(filename for filename, _ in TABLES.values()),
    "config.json",
    "split.csv",
    "predictions",
    "extras",
    "report.html",
    "cells",
)
#: Columns that must be numbers (empty = missing) in each table; the leaderboard's are all
#: but ``baseline``.
_NUMERIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "results": ("value",),
    "summary": ("value",),
    "stats": ("n", "model_mean", "reference_mean", "median_diff", "statistic", "pvalue"),
    "ablation": ("intact", "ablated", "drop"),
    "timings": ("fold", "fit_s", "predict_s", "n_train", "n_test", "peak_rss_mb"),
}
_STR_COLUMNS = {"model": str, "group": str, "group_by": str, "metric": str, "reference": str, "subset": str}


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def table_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=index, float_format="%.10g", lineterminator="\n")
    return buf.getvalue().encode()


class ResultsWriter:
    """Writes the files of one results directory (created if needed); every write is atomic."""

    def __init__(self, out: PathLike) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)

    def start(self, assignment: pd.DataFrame, *, config: Mapping[str, Any], keep: tuple[str, ...] = ()) -> None:
        """Begin a run: remove results of an earlier run (all of :data:`LAYOUT_ENTRIES` but
        ``keep``), then write the split file and a first ``config.json`` (``complete``
        false), so the directory never mixes two runs and always says it is partial until
        the run ends."""
        for name in LAYOUT_ENTRIES:
            path = self.out / name
            if name in keep or not path.exists():
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        self.split(assignment)
        self.config(config)

    def table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write one of :data:`TABLES` (its column set checked)."""
        filename, columns = TABLES[name]
        if columns is not None and list(frame.columns) != columns:
            raise ValueError(f"{filename} must have columns {columns}, got {list(frame.columns)}")
        path = self.out / filename
        atomic_write_bytes(path, table_bytes(frame, index=name == "leaderboard"))
        return path

    def config(self, config: Mapping[str, Any]) -> Path:
        doc = {"format_version": FORMAT_VERSION, **jsonable(dict(config))}
        path = self.out / "config.json"
        atomic_write_bytes(path, (json.dumps(doc, indent=2) + "\n").encode())
        return path

    def predictions(self, preds: Predictions) -> None:
        for rel, data in predictions_files(preds).items():
            atomic_write_bytes(self.out / rel, data)

    def split(self, assignment: pd.DataFrame) -> Path:
        path = self.out / "split.csv"
        atomic_write_bytes(path, table_bytes(assignment))
        return path

    def extras(self, tables: Mapping[tuple[str, str], pd.DataFrame]) -> None:
        for (model, key), frame in tables.items():
            safe = model.replace("/", "__")
            atomic_write_bytes(self.out / "extras" / f"{safe}.{key}.csv", table_bytes(frame))


@dataclass
class Results:
    """A results directory read back (see the module docstring for each table)."""

    path: Path
    config: dict[str, Any]
    results: pd.DataFrame
    summary: pd.DataFrame
    stats: pd.DataFrame
    leaderboard: pd.DataFrame
    ablation: pd.DataFrame
    timings: pd.DataFrame
    split: pd.DataFrame | None
    _predictions: Predictions | None = field(default=None, repr=False)

    @property
    def predictions(self) -> Predictions:
        """Test predictions (read on first use)."""
        if self._predictions is None:
            self._predictions = read_predictions(self.path)
        return self._predictions

    @property
    def task(self) -> str:
        return str(self.config["task"])

    @property
    def kind(self) -> str:
        return str(self.config["perturbation_kind"])

    @property
    def complete(self) -> bool:
        return bool(self.config.get("complete", False))

    def extras(self, key: str) -> dict[str, pd.DataFrame]:
        """``{model: table}`` of every ``extras/<model>.<key>.csv``."""
        out = {}
        for path in sorted((self.path / "extras").glob(f"*.{key}.csv")):
            model = path.name[: -len(f".{key}.csv")].replace("__", "/")
            out[model] = _read_csv(path, index=False)
        return out


def _read_csv(path: Path, *, index: bool) -> pd.DataFrame:
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path} is empty; the run that wrote it did not finish (rerun it)", source=path)
    frame = read_csv_checked(
        path,
        what="results table",
        allow_empty=True,
        index_col=0 if index else None,
        dtype=_STR_COLUMNS,
        keep_default_na=True,
    )
    for col in ("group", "subset"):
        if col in frame.columns:
            frame[col] = frame[col].fillna("")
    return frame


def _read_table(d: Path, name: str) -> pd.DataFrame:
    filename, columns = TABLES[name]
    path = d / filename
    if not path.is_file():
        return pd.DataFrame(columns=columns or [])
    frame = _read_csv(path, index=name == "leaderboard")
    if columns is not None and list(frame.columns) != columns:
        raise InputError(
            f"{path} has columns {list(frame.columns)}; results format {FORMAT_VERSION} has {columns}", source=path
        )
    numeric = _NUMERIC_COLUMNS.get(name)
    if name == "leaderboard":
        numeric = tuple(c for c in frame.columns if c != "baseline")
    for col in numeric or ():
        if col in frame.columns and not pd.api.types.is_numeric_dtype(frame[col]):
            values = pd.to_numeric(frame[col], errors="coerce")
            bad = values.isna() & frame[col].notna() & (frame[col].astype(str).str.strip() != "")
            if bad.any():
                row = int(bad.to_numpy().argmax())
                raise InputError(
                    f"{path}: column {col!r} must hold numbers; data row {row + 1} has {frame[col].iloc[row]!r}",
                    source=path,
                    row=row + 1,
                )
            frame[col] = values
    if name == "results" and len(frame):
        folds = pd.to_numeric(frame["fold"], errors="coerce")
        bad = folds.isna() | (folds % 1 != 0)
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 1
            raise InputError(f"{path}: data row {row} has fold {frame['fold'].iloc[row - 1]!r}; expected an integer",
                             source=path, row=row)  # fmt: skip
        frame["fold"] = folds.astype(int)
    return frame


def read_config(results_dir: PathLike) -> dict[str, Any]:
    """``config.json`` of a results directory, its format version checked.

    Raises
    ------
    FileNotFoundError
        If the directory has no ``config.json``.
    ValueError
        If the file is not JSON or holds another results format (names the version).
    """
    d = Path(results_dir)
    path = d / "config.json"
    if not path.is_file():
        raise MissingInputError(f"{d} is not a cellresponse results directory (no config.json)", source=d)
    try:
        config = json.loads(read_text(path, what="results config"))
    except json.JSONDecodeError as err:
        raise InputError(f"{path} is not valid JSON ({err}); the directory is damaged", source=path) from None
    version = config.get("format_version") if isinstance(config, dict) else None
    if version is None:
        raise InputError(
            f"{d} has no results format_version: it was written by cellresponse "
            f"{config.get('cellresponse_version', '< 0.2') if isinstance(config, dict) else '?'} before results "
            f"format {FORMAT_VERSION}; this version reads format {FORMAT_VERSION} only (rerun the benchmark)"
        )
    if version != FORMAT_VERSION:
        raise InputError(
            f"{d} has results format_version {version!r} (written by cellresponse "
            f"{config.get('cellresponse_version')}); this version reads format {FORMAT_VERSION} only"
        )
    return config


def read_results(results_dir: PathLike) -> Results:
    """Read a results directory written by :func:`cellresponse.evaluate.run_benchmark`.

    Predictions are read on first use of :attr:`Results.predictions`.

    Raises
    ------
    FileNotFoundError
        If ``results_dir`` is not a results directory.
    ValueError
        For another results format, a damaged file, tables of the wrong shape, or a
        ``results.csv`` whose row count is not the one ``config.json`` recorded.
    """
    d = Path(results_dir)
    config = read_config(d)
    tables = {name: _read_table(d, name) for name in TABLES}
    expected = config.get("n_result_rows")
    if expected is not None and len(tables["results"]) != int(expected):
        raise InputError(
            f"{d / 'results.csv'} has {len(tables['results'])} rows but config.json records {expected} "
            "(truncated or edited after the run?); rerun the benchmark or restore the file",
            source=d / "results.csv",
        )
    split = _read_csv(d / "split.csv", index=False) if (d / "split.csv").is_file() else None
    return Results(path=d, config=config, split=split, **tables)


__all__ = [
    "ABLATION_COLUMNS",
    "FORMAT_VERSION",
    "LAYOUT_ENTRIES",
    "RESULT_COLUMNS",
    "STATS_COLUMNS",
    "SUMMARY_COLUMNS",
    "TABLES",
    "TIMING_COLUMNS",
    "Results",
    "ResultsWriter",
    "atomic_write_bytes",
    "read_config",
    "read_results",
    "table_bytes",
]
