"""A set of results directories read as one: repeats over split seeds, or several datasets.

=================  ================================================================
file               content
=================  ================================================================
``runs.json``      ``format_version``, ``kind`` (``seeds`` or ``comparison``), one
                   entry per run (``label``, relative ``path``, ``seed``), the config
``runs.csv``       every run's across-fold figures: ``run, model, metric, value``
                   (``summary.csv`` rows with ``group_by == "all"``, plus the
                   ``ablation.csv`` drops as ``drop:<ablation>:<metric>``)
``spread.csv``     per ``model, metric``: ``n_runs, mean, sd, min, max`` over runs
``group_spread``   per ``model, metric, group_by``: over the groups (drugs), the mean
``.csv``           and median of each group's sd across runs
``ranks.csv``      Friedman / Nemenyi average ranks of the models (blocks: the runs'
                   groups or the runs themselves), with the critical difference
``report.html``    the tables and the critical-difference diagram
=================  ================================================================

Each run stays a complete results directory of its own (``<label>/``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import jsonable
from cellresponse.results._layout import Results, atomic_write_bytes, read_results, table_bytes

RUNS_FORMAT_VERSION = 1
RUN_COLUMNS = ["run", "model", "metric", "value"]
SPREAD_COLUMNS = ["model", "metric", "n_runs", "mean", "sd", "min", "max"]
GROUP_SPREAD_COLUMNS = ["model", "metric", "group_by", "n_groups", "mean_sd", "median_sd"]


def run_figures(res: Results, label: str) -> pd.DataFrame:
    """One run's across-fold figures in the ``runs.csv`` layout."""
    overall = res.summary[res.summary["group_by"] == "all"][["model", "metric", "value"]]
    parts = [overall]
    if len(res.ablation):
        drops = res.ablation.assign(metric="drop:" + res.ablation["ablation"] + ":" + res.ablation["metric"])
        parts.append(drops.rename(columns={"drop": "value"})[["model", "metric", "value"]])
    return pd.concat(parts, ignore_index=True).assign(run=label)[RUN_COLUMNS]


def spread(figures: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample sd, min and max of every (model, metric) over runs."""
    grouped = figures.groupby(["model", "metric"], sort=False)["value"]
    out = grouped.agg(n_runs="count", mean="mean", sd="std", min="min", max="max").reset_index()
    return out[SPREAD_COLUMNS]


def group_spread(results: list[Results], *, metric: str, group_by: str) -> pd.DataFrame:
    """Per model: over the groups scored in every run, the mean and median of each group's sd."""
    frames = []
    for i, res in enumerate(results):
        rows = res.summary[(res.summary["group_by"] == group_by) & (res.summary["metric"] == metric)]
        frames.append(rows.assign(run=i))
    if not frames:
        return pd.DataFrame(columns=GROUP_SPREAD_COLUMNS)
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot_table(index=["model", "group"], columns="run", values="value")
    wide = wide.dropna(axis=0, how="any")
    sd = wide.std(axis=1, ddof=1).rename("sd").reset_index()
    out = sd.groupby("model", sort=False)["sd"].agg(n_groups="count", mean_sd="mean", median_sd="median")
    return out.reset_index().assign(metric=metric, group_by=group_by)[GROUP_SPREAD_COLUMNS]


@dataclass
class RunSet:
    """A set of results directories read back (see the module docstring)."""

    path: Path
    config: dict[str, Any]
    figures: pd.DataFrame
    spread: pd.DataFrame
    group_spread: pd.DataFrame
    ranks: pd.DataFrame

    @property
    def labels(self) -> list[str]:
        return [str(r["label"]) for r in self.config["runs"]]

    def run(self, label: str) -> Results:
        """The results directory of one run."""
        entry = next((r for r in self.config["runs"] if r["label"] == label), None)
        if entry is None:
            raise KeyError(f"no run {label!r} in {self.path}; runs: {self.labels}")
        return read_results(self.path / entry["path"])


def write_run_set(
    out: PathLike, *, kind: str, runs: list[dict[str, Any]], tables: dict[str, pd.DataFrame], config: dict[str, Any]
) -> Path:
    """Write ``runs.json`` and the tables (``runs``, ``spread``, ``group_spread``, ``ranks``)."""
    d = Path(out)
    doc = {"format_version": RUNS_FORMAT_VERSION, "kind": kind, "runs": runs, "config": jsonable(config)}
    atomic_write_bytes(d / "runs.json", (json.dumps(doc, indent=2) + "\n").encode())
    for name, table in tables.items():
        atomic_write_bytes(d / f"{name}.csv", table_bytes(table))
    return d


def read_run_set(path: PathLike) -> RunSet:
    """Read a set of runs written by :func:`write_run_set`.

    Raises
    ------
    FileNotFoundError
        If ``path`` has no ``runs.json``.
    ValueError
        For another format version or a damaged file.
    """
    d = Path(path)
    manifest = d / "runs.json"
    if not manifest.is_file():
        raise FileNotFoundError(f"{d} is not a set of runs (no runs.json)")
    try:
        config = json.loads(manifest.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{manifest} is not valid JSON ({err})") from None
    if config.get("format_version") != RUNS_FORMAT_VERSION:
        raise ValueError(f"{manifest} has format_version {config.get('format_version')!r}; this version reads 1")

    def table(name: str, columns: list[str]) -> pd.DataFrame:
        p = d / f"{name}.csv"
        return (
            pd.read_csv(p, dtype={"model": str, "metric": str, "run": str})
            if p.is_file()
            else pd.DataFrame(columns=columns)
        )

    return RunSet(
        path=d,
        config=config,
        figures=table("runs", RUN_COLUMNS),
        spread=table("spread", SPREAD_COLUMNS),
        group_spread=table("group_spread", GROUP_SPREAD_COLUMNS),
        ranks=table("ranks", ["model", "rank"]),
    )


__all__ = [
    "GROUP_SPREAD_COLUMNS",
    "RUNS_FORMAT_VERSION",
    "RUN_COLUMNS",
    "SPREAD_COLUMNS",
    "RunSet",
    "group_spread",
    "read_run_set",
    "run_figures",
    "spread",
    "write_run_set",
]
