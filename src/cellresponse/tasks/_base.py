"""The task contract: what a prediction task declares so that one engine can run it.

A task (response, expression, dependency, ...) is a subclass of :class:`Task`
registered with :func:`cellresponse.tasks.register_task`. It declares its split modes,
default baselines and models, ablations, how to score one fold's predictions, how to
summarize the folds (fold means, per-group scores, paired tests), and the sections of
its report. :func:`cellresponse.evaluate.run_benchmark` is the only fold loop; it asks
the task for everything task-specific.

Scoring is a pure function of the written predictions (``predictions/``: keys,
annotations, truth, every model's predictions and the per-fold context the task saved),
so a results directory can be re-scored and merged without the dataset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models import get_model_class
from cellresponse.results import RESULT_COLUMNS, STATS_COLUMNS, SUMMARY_COLUMNS, Predictions, Results

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: scored names: "<model>/<member>" are ensemble members, "<model>|<ablation>" shuffled inputs
MEMBER_SEP = "/"
ABLATION_SEP = "|"
FOLD_ROW_COLUMNS = ["model", "metric", "group_by", "group", "value"]


def base_name(name: str) -> str:
    """The model behind a scored name (``leap/pca x ridge`` -> ``leap``)."""
    return name.split(ABLATION_SEP, 1)[0].split(MEMBER_SEP, 1)[0]


def is_top_level(name: str) -> bool:
    return MEMBER_SEP not in name and ABLATION_SEP not in name


@dataclass(frozen=True)
class ScoreContext:
    """What scoring reads besides the predictions: names and settings of the run."""

    task: str
    kind: str
    target: str
    models: tuple[str, ...]
    baselines: tuple[str, ...]
    min_group_size: int = 10
    settings: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ScoreContext:
        return cls(
            task=str(config["task"]),
            kind=str(config["perturbation_kind"]),
            target=str(config["target"]),
            models=tuple(config["models"]),
            baselines=tuple(config["baselines"]),
            min_group_size=int(config["min_group_size"]),
            settings=dict(config.get("task_settings", {})),
        )


@dataclass
class Table:
    """A table for a report section; ``highlight`` rows are drawn as baselines."""

    frame: pd.DataFrame
    digits: int = 3
    highlight: Sequence[str] = ()


@dataclass
class Section:
    """One report section: a title, text, figures and tables (rendered by :mod:`cellresponse.report`)."""

    title: str
    text: str = ""
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


class Task:
    """Base class of a prediction task. Subclasses set the class attributes and override
    the scoring hooks; the defaults here serve scalar targets grouped by perturbation."""

    name: ClassVar[str] = ""
    #: True when the target is a vector (an expression signature) per observation
    vector_target: ClassVar[bool] = False
    #: canonical split modes the task accepts (see :func:`cellresponse.splits.make_split`)
    split_modes: ClassVar[tuple[str, ...]] = ()
    default_split: ClassVar[str] = "cell_line"
    #: how ``cellresponse train`` holds out its inner validation part
    validation_mode: ClassVar[str] = "cell_line"
    #: baselines run beside every model (those whose views the dataset has)
    baselines: ClassVar[tuple[str, ...]] = ()
    default_models: ClassVar[tuple[str, ...]] = ()
    #: input shuffles scored by default (names in :data:`cellresponse.tasks.ABLATIONS`)
    default_ablations: ClassVar[tuple[str, ...]] = ()
    #: leaderboard columns; ``{k}`` is the perturbation kind
    leaderboard_metrics: ClassVar[tuple[str, ...]] = ()
    #: the few leaderboard columns the CLI prints after the primary metric and its gain
    summary_metrics: ClassVar[tuple[str, ...]] = ()
    lower_is_better: ClassVar[frozenset[str]] = frozenset({"rmse", "mae"})
    #: smallest group (drug, gene, compound, cell line) that gets a per-group score
    default_min_group_size: ClassVar[int] = 10

    # ---------------------------------------------------------------- setup
    def primary_metric(self, kind: str) -> str:
        """The headline metric of the leaderboard."""
        return f"per_{kind}_pearson_mean"

    def primary_groups(self, kind: str) -> tuple[str, str]:
        """``(metric, group_by)`` of the per-group scores behind the primary metric."""
        return "pearson", kind

    def check_dataset(self, data: Dataset) -> None:
        """Raise ``ValueError`` if ``data`` is not a dataset of this task."""
        if data.task != self.name:
            raise ValueError(
                f"dataset {data.name!r} is a {data.task!r} dataset, not a {self.name!r} one "
                f"(--task {data.task}, or pick a {self.name} dataset)"
            )
        if data.is_vector_target != self.vector_target:
            shape = "a vector" if self.vector_target else "a scalar"
            raise ValueError(f"the {self.name} task needs {shape} target; dataset {data.name!r} has y {data.y.shape}")

    def baseline_models(self, data: Dataset) -> list[str]:
        """The task's baselines that can run on ``data`` (its views present)."""
        out = []
        for name in self.baselines:
            cls = get_model_class(name)
            if all(v in data.cell_views for v in cls.cell_line_views) and all(
                v in data.perturbation_views for v in cls.perturbation_views
            ):
                out.append(name)
        return out

    def annotate(self, data: Dataset) -> pd.DataFrame:
        """Per-observation annotations written with the predictions (default: tissue, and
        the obs columns named in ``data.info["obs_annotations"]``, e.g. a cross-study
        dataset's ``study`` and ``seen_line``)."""
        out = pd.DataFrame({"tissue": data.tissues})
        for col in data.info.get("obs_annotations", ()):
            if col in data.obs.columns:
                out[col] = data.obs[col].to_numpy()
        return out

    def fold_context(self, train: Dataset) -> dict[str, np.ndarray]:
        """Arrays scoring a fold needs from its training part (saved with the predictions)."""
        return {}

    def cell_extras(self, name: str, model: Any, test: Dataset, *, last_fold: bool) -> dict[str, pd.DataFrame]:
        """Extra tables about one fitted model on one fold (``extras/<model>.<table>.csv``)."""
        return {}

    def settings(self) -> dict[str, Any]:
        """Task settings recorded in ``config.json`` and given back to scoring."""
        return {}

    # ---------------------------------------------------------------- scoring
    def score_fold(self, preds: Predictions, ctx: ScoreContext) -> pd.DataFrame:
        """Rows ``model, metric, group_by, group, value`` of one fold's predictions."""
        raise NotImplementedError

    def summarize(
        self, results: pd.DataFrame, preds: Predictions, ctx: ScoreContext
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(summary rows, paired tests)`` once every fold is scored (:func:`fold_summary`
        plus the task's tests)."""
        return fold_summary(results), pd.DataFrame(columns=STATS_COLUMNS)

    def best_baseline(self, summary: pd.DataFrame, ctx: ScoreContext) -> str | None:
        """The baseline of the run with the best primary metric."""
        primary = self.primary_metric(ctx.kind)
        rows = summary[
            (summary["group_by"] == "all") & (summary["metric"] == primary) & summary["model"].isin(ctx.baselines)
        ].dropna(subset=["value"])
        if rows.empty:
            return None
        ascending = primary in self.lower_is_better
        return str(rows.sort_values("value", ascending=ascending, kind="stable")["model"].iloc[0])

    # ---------------------------------------------------------------- report
    def report_note(self, ctx: ScoreContext, best_baseline: str | None) -> str:
        """How to read this task's report (one paragraph)."""
        return ""

    def report_sections(self, res: Results, ctx: ScoreContext) -> list[Section]:
        return []


def fold_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Across-fold rows of per-fold results.

    Overall metrics are averaged over folds; per-group values are averaged over the folds
    a group was scored in, and ``per_<group_by>_<metric>_{mean,median}`` recomputed from
    those averages (replacing the fold means of the per-fold summaries of the same name).
    """
    if results.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    overall = results[results["group_by"] == "all"]
    groups = results[results["group_by"] != "all"]
    mean_overall = overall.groupby(["model", "metric"], sort=False)["value"].mean().reset_index()
    mean_overall = mean_overall.assign(group_by="all", group="all")
    per_group = groups.groupby(["model", "metric", "group_by", "group"], sort=False)["value"].mean().reset_index()
    frames = [mean_overall]
    if len(per_group):
        stats = per_group.groupby(["model", "metric", "group_by"], sort=False)["value"].agg(["mean", "median"])
        stats = stats.reset_index()
        summary_rows = pd.concat(
            [
                stats.assign(metric="per_" + stats["group_by"] + "_" + stats["metric"] + "_" + s, value=stats[s])
                for s in ("mean", "median")
            ]
        ).assign(group_by="all", group="all")
        frames = [mean_overall[~mean_overall["metric"].isin(summary_rows["metric"])], summary_rows, per_group]
    return pd.concat([f[SUMMARY_COLUMNS] for f in frames], ignore_index=True)


def per_group_table(summary: pd.DataFrame, *, metric: str, group_by: str) -> pd.DataFrame:
    """Groups x scored names table of a per-group metric (fold-averaged)."""
    rows = summary[(summary["group_by"] == group_by) & (summary["metric"] == metric)]
    return rows.pivot_table(index="group", columns="model", values="value", sort=False)


def stats_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Paired-test rows in the one ``stats.csv`` column set (missing fields empty)."""
    defaults = {"subset": "", "alternative": "greater", "is_best_baseline": False}
    return pd.DataFrame([{**defaults, **r} for r in rows], columns=STATS_COLUMNS)


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=FOLD_ROW_COLUMNS)


__all__ = [
    "ABLATION_SEP",
    "FOLD_ROW_COLUMNS",
    "MEMBER_SEP",
    "RESULT_COLUMNS",
    "ScoreContext",
    "Section",
    "Table",
    "Task",
    "base_name",
    "empty_rows",
    "fold_summary",
    "is_top_level",
    "per_group_table",
    "stats_frame",
]
