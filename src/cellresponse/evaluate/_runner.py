"""The cross-validation runner: dataset x split x models x folds -> results directory.

Every run fits the naive baselines beside the requested models, scores all of them with
the same metrics (overall, within drug, within cell line, normalized against the
mean-effects baseline), compares each model with the best naive baseline by a paired
test over drugs, and writes what the report needs:

- ``results.csv``: long table ``model, fold, metric, group_by, group, value``. Each fold
  is scored on its own test part; fold ``all`` holds the mean over folds (and, for each
  drug and cell line, its score averaged over the folds it was tested in). Scores are
  never computed on predictions pooled across folds: a model that is constant within a
  fold (e.g. the drug mean) would otherwise get a spurious, usually negative,
  within-drug correlation from fold-to-fold shifts of the training mean.
- ``predictions.csv.gz``: one row per test observation, one column per model.
- ``stats.csv``: paired tests of every model against every naive baseline.
- ``timings.csv``: fit/predict seconds per model and fold.
- ``split.csv``: the split file (reusable with ``--split-file``).
- ``config.json``: resolved config, package version, split hash, dataset summary.
- ``extras/<model>.<table>.csv``: tables a model reports about itself through an
  optional ``benchmark_extras(test) -> {name: DataFrame}`` method (one row block per
  fold). The table ``member_predictions`` (one column per sub-model, rows aligned with
  ``test``) is not written but scored like a model under ``<model>/<member>``; those
  rows go to ``results.csv`` and stay out of the leaderboard and the naive-baseline tests.

Tasks can add metrics through :func:`register_task_scorer`: a fold scorer whose rows
are aggregated over folds like the generic ones, and a summary scorer that adds rows
(``fold == "all"``) and paired tests once all folds are scored.

A model that fails on a fold is logged and recorded in ``config.json`` under
``failures``; the other models' results are still written.
"""

from __future__ import annotations

import json
import logging
import platform
import resource
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cellresponse._types import PathLike
from cellresponse.data import Dataset
from cellresponse.evaluate._metrics import LOWER_IS_BETTER, paired_wilcoxon, score_scalar
from cellresponse.models.base import ResponseModel
from cellresponse.models.registry import get_model_class, make_model
from cellresponse.splits import Split, check_training_coverage

log = logging.getLogger("cellresponse")

NAIVE_BASELINES = ("global_mean", "drug_mean", "cell_line_mean", "mean_effects", "tissue_drug_mean")
NORMALIZER = "mean_effects"
RESULT_COLUMNS = ["model", "fold", "metric", "group_by", "group", "value"]
STATS_COLUMNS = ["model", "reference", "metric", "is_best_naive", "n", "median_diff", "statistic", "pvalue"]
MEMBER_PREDICTIONS = "member_predictions"


@dataclass(frozen=True)
class ScoreContext:
    """What a task scorer may read: the dataset, the scored models, the settings."""

    data: Dataset
    models: list[str]
    naive: list[str]
    kind: str
    min_group_size: int


FoldScorer = Callable[[pd.DataFrame, ScoreContext], pd.DataFrame]
SummaryScorer = Callable[[pd.DataFrame, ScoreContext], tuple[pd.DataFrame, pd.DataFrame]]


@dataclass(frozen=True)
class TaskScorer:
    """Extra scoring for one task, beside the generic metrics.

    ``fold(preds, ctx)`` gets one fold's predictions (columns ``row, fold, cell_line,
    <kind>, y_true`` and one per model in ``ctx.models``) and returns rows
    ``model, metric, group_by, group, value``; they are averaged over folds like the
    generic rows. ``summary(results, ctx)`` gets the full results table and returns
    ``(extra result rows, extra stats rows)`` in :data:`RESULT_COLUMNS` and
    :data:`STATS_COLUMNS`.
    """

    name: str
    fold: FoldScorer | None = None
    summary: SummaryScorer | None = None


_TASK_SCORERS: dict[str, dict[str, TaskScorer]] = {}


def register_task_scorer(task: str, scorer: TaskScorer) -> None:
    """Add ``scorer`` to every benchmark of ``task``; a second scorer of the same name raises."""
    here = _TASK_SCORERS.setdefault(task, {})
    if scorer.name in here:
        raise ValueError(f"a task scorer named {scorer.name!r} is already registered for task {task!r}")
    here[scorer.name] = scorer


def task_scorers(task: str) -> list[TaskScorer]:
    """Scorers registered for ``task`` (registration order)."""
    return list(_TASK_SCORERS.get(task, {}).values())


@dataclass
class BenchmarkResult:
    """In-memory outputs of :func:`run_benchmark` (also written to ``out``)."""

    results: pd.DataFrame
    predictions: pd.DataFrame
    stats: pd.DataFrame
    timings: pd.DataFrame
    config: dict[str, Any]
    out: Path | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)

    def leaderboard(self, metric: str | None = None) -> pd.DataFrame:
        return leaderboard(self.results, self.config, metric=metric)


def primary_metric(perturbation_kind: str) -> str:
    """The headline metric: mean within-perturbation Pearson (e.g. ``per_drug_pearson_mean``)."""
    return f"per_{perturbation_kind}_pearson_mean"


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _progress(enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=False,
    )


def resolve_models(models: Sequence[str], *, task: str, include_baselines: bool = True) -> list[str]:
    """Requested models, preceded by the naive baselines (once each, registry-checked)."""
    names = list(NAIVE_BASELINES) if include_baselines and task != "expression" else []
    for name in models:
        cls = get_model_class(name)  # raises KeyError listing the registry
        if task not in getattr(cls, "tasks", ("response",)):
            raise ValueError(f"model {name!r} does not support the {task!r} task (supports {cls.tasks})")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError("no models to run")
    return names


def run_benchmark(
    data: Dataset,
    *,
    models: Sequence[str],
    split: Split,
    out: PathLike | None = None,
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    include_baselines: bool = True,
    config: Mapping[str, Any] | None = None,
    min_group_size: int = 10,
    progress: bool = True,
) -> BenchmarkResult:
    """Fit and score every model on every fold of ``split``.

    Parameters
    ----------
    data
        A scalar-target dataset (response or dependency).
    models
        Registered model names; the naive baselines are added unless
        ``include_baselines=False``.
    split
        Outer folds with inner validation parts (see :func:`cellresponse.splits.make_split`).
    out
        Results directory (created); ``None`` keeps results in memory only.
    model_params
        Hyperparameters per model name.
    config
        The resolved run configuration, recorded in ``config.json``.
    min_group_size
        Groups (drugs, cell lines) with fewer test observations are not scored.
    progress
        Show a progress bar.
    """
    if data.is_vector_target:
        raise ValueError(
            f"dataset {data.name!r} has a vector target; use the expression benchmark "
            "(cellresponse benchmark --task expression)"
        )
    if split.dataset_fingerprint != data.fingerprint():
        raise ValueError("the split was made for a different dataset (fingerprints differ)")
    names = resolve_models(models, task=data.task, include_baselines=include_baselines)
    params = {k: dict(v) for k, v in (model_params or {}).items()}
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ValueError(f"model_params given for models not in the run: {unknown}")
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        split.to_csv(out_dir / "split.csv")

    coverage = check_training_coverage(data, split)
    # Entities the split holds out on purpose are unseen by design; only other gaps are news.
    by_design = {"cell_line": {"cell_line"}, "tissue": {"cell_line"}, "perturbation": {"perturbation"},
                 "both": {"cell_line", "perturbation"}}.get(split.mode, set())  # fmt: skip
    coverage = coverage[~coverage["entity"].isin(by_design)]
    if len(coverage):
        for (fold, entity), grp in coverage.groupby(["fold", "entity"]):
            log.info("fold %s: %d test %ss have no training rows (e.g. %s)", fold, len(grp), entity,
                     ", ".join(map(str, grp["id"].head(3))))  # fmt: skip

    pred_frames: list[pd.DataFrame] = []
    result_frames: list[pd.DataFrame] = []
    extras: dict[tuple[str, str], list[pd.DataFrame]] = {}
    timings: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    kind = data.perturbation_kind
    cfg: dict[str, Any] = _base_config(data, split, names, params, config, min_group_size)
    naive = list(cfg["naive_baselines"])

    with _progress(progress) as bar:
        task_id = bar.add_task(f"{data.name} {split.mode}", total=split.n_folds * len(names))
        for fold in split.folds:
            train, test = data[fold.train], data[fold.test]
            valid = data[fold.valid] if len(fold.valid) else None
            fold_preds = pd.DataFrame(
                {
                    "row": fold.test,
                    "fold": fold.fold,
                    "cell_line": test.cell_lines,
                    kind: test.perturbations,
                    "y_true": test.y,
                }
            )
            member_preds = pd.DataFrame(index=fold_preds.index)
            for name in names:
                bar.update(task_id, description=f"fold {fold.fold} {name}")
                try:
                    model: ResponseModel = make_model(name, **params.get(name, {}))
                    t0 = time.perf_counter()
                    model.fit(train, valid=valid)
                    t1 = time.perf_counter()
                    fold_preds[name] = model.predict(test)
                    t2 = time.perf_counter()
                    for key, table in _model_extras(model, test).items():
                        if key == MEMBER_PREDICTIONS:
                            for member in table.columns:
                                member_preds[f"{name}/{member}"] = table[member].to_numpy()
                        else:
                            extras.setdefault((name, key), []).append(table.assign(fold=fold.fold))
                except Exception as err:  # keep the other models' results
                    log.error("model %s failed on fold %d: %s", name, fold.fold, err)
                    failures.append({"model": name, "fold": fold.fold, "error": repr(err),
                                     "traceback": traceback.format_exc(limit=5)})  # fmt: skip
                    bar.advance(task_id)
                    continue
                timings.append({"model": name, "fold": fold.fold, "fit_s": t1 - t0,
                                "predict_s": t2 - t1, "n_train": len(train), "n_test": len(test),
                                "peak_rss_mb_so_far": _peak_rss_mb(),
                                "fallbacks": json.dumps(getattr(model, "fallback_counts_", {}))})  # fmt: skip
                bar.advance(task_id)
            pred_frames.append(fold_preds)
            scored = [n for n in names if n in fold_preds] + list(member_preds.columns)
            both = pd.concat([fold_preds, member_preds], axis=1)
            ctx = ScoreContext(data, scored, naive, kind, min_group_size)
            result_frames.extend(score_fold_predictions(both, fold.fold, ctx))
            if out_dir is not None:  # write partial results after every fold
                _write(out_dir, pred_frames, [_fold_rows(result_frames)], timings, failures, cfg, None)
                _write_extras(out_dir, extras)

    predictions = pd.concat(pred_frames, ignore_index=True)
    results, stats = summarize_folds(result_frames, names, ScoreContext(data, names, naive, kind, min_group_size))
    cfg["peak_rss_mb"] = _peak_rss_mb()
    cfg["failures"] = failures
    cfg["coverage_gaps"] = (
        coverage.groupby(["fold", "entity"]).size().rename("n").reset_index().to_dict("records")
        if len(coverage)
        else []
    )
    if out_dir is not None:
        _write(out_dir, pred_frames, [results], timings, failures, cfg, stats)
        _write_extras(out_dir, extras)
    return BenchmarkResult(results, predictions, stats, pd.DataFrame(timings), cfg, out_dir, failures)


def _base_config(
    data: Dataset,
    split: Split,
    names: list[str],
    params: dict[str, dict[str, Any]],
    config: Mapping[str, Any] | None,
    min_group_size: int,
) -> dict[str, Any]:
    from cellresponse import __version__

    return {
        "config": dict(config or {}),
        "cellresponse_version": __version__,
        "python": platform.python_version(),
        "dataset": data.summary(),
        "dataset_fingerprint": data.fingerprint(),
        "dataset_info": _jsonable(dict(data.info)),
        "split": split.describe(),
        "split_hash": split.hash,
        "full_split_hash": split.full_hash,
        "models": names,
        "naive_baselines": [n for n in names if getattr(get_model_class(n), "is_naive_baseline", False)],
        "model_params": params,
        "resolved_model_params": {
            n: _jsonable(make_model(n, **params.get(n, {})).get_params(deep=False)) for n in names
        },
        "min_group_size": min_group_size,
        "primary_metric": primary_metric(data.perturbation_kind),
        "perturbation_kind": data.perturbation_kind,
        "target": data.target,
        "task": data.task,
    }


def _model_extras(model: ResponseModel, test: Dataset) -> dict[str, pd.DataFrame]:
    hook = getattr(model, "benchmark_extras", None)
    if hook is None:
        return {}
    tables = dict(hook(test))
    members = tables.get(MEMBER_PREDICTIONS)
    if members is not None and len(members) != len(test):
        raise ValueError(f"{MEMBER_PREDICTIONS} has {len(members)} rows for {len(test)} test rows")
    return tables


def _write_extras(out: Path, extras: Mapping[tuple[str, str], list[pd.DataFrame]]) -> None:
    if not extras:
        return
    folder = out / "extras"
    folder.mkdir(exist_ok=True)
    for (model, key), frames in extras.items():
        pd.concat(frames, ignore_index=True).to_csv(folder / f"{model}.{key}.csv", index=False, float_format="%.6g")


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def score_fold_predictions(preds: pd.DataFrame, fold: int, ctx: ScoreContext) -> list[pd.DataFrame]:
    """Result rows of one fold: the generic metrics of ``ctx.models`` plus the task's fold scorers."""
    frames = [_score_fold(preds, ctx.models, ctx.kind, fold, ctx.min_group_size)]
    for scorer in task_scorers(ctx.data.task):
        if scorer.fold is not None:
            frames.append(scorer.fold(preds, ctx).assign(fold=str(fold))[RESULT_COLUMNS])
    return frames


def summarize_folds(
    result_frames: list[pd.DataFrame], names: list[str], ctx: ScoreContext
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fold means, paired tests against the naive baselines and the task's summary scorers."""
    results = _fold_rows(result_frames)
    stats = paired_tests(results, names, kind=ctx.kind)
    all_scored = list(dict.fromkeys([*names, *results["model"]]))
    ctx = ScoreContext(ctx.data, all_scored, ctx.naive, ctx.kind, ctx.min_group_size)
    for scorer in task_scorers(ctx.data.task):
        if scorer.summary is not None:
            more_rows, more_stats = scorer.summary(results, ctx)
            if len(more_rows):
                results = pd.concat([results, more_rows[RESULT_COLUMNS]], ignore_index=True)
            if len(more_stats):  # records: pandas warns when concatenating all-NA columns
                records = [*stats.to_dict("records"), *more_stats[STATS_COLUMNS].to_dict("records")]
                stats = pd.DataFrame(records, columns=STATS_COLUMNS)
    return results, stats


def _score_fold(preds: pd.DataFrame, names: list[str], kind: str, fold: int, min_group_size: int) -> pd.DataFrame:
    """All metrics of one fold's test predictions, including per-group rows."""
    frames = []
    baseline = preds[NORMALIZER].to_numpy() if NORMALIZER in preds else None
    for name in names:
        if name not in preds:
            continue
        scored = score_scalar(
            preds["y_true"].to_numpy(),
            preds[name].to_numpy(),
            perturbations=preds[kind].to_numpy(),
            cell_lines=preds["cell_line"].to_numpy(),
            baseline=baseline,
            perturbation_kind=kind,
            min_group_size=min_group_size,
        )
        frames.append(scored.assign(model=name, fold=str(fold)))
    return pd.concat(frames, ignore_index=True)[RESULT_COLUMNS] if frames else pd.DataFrame(columns=RESULT_COLUMNS)


def _fold_rows(fold_frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Per-fold overall rows plus the ``fold == "all"`` aggregates.

    Overall metrics are averaged over folds; per-group values are averaged over the folds
    a group was scored in, and their mean/median recomputed from those averages.
    """
    if not fold_frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    full = pd.concat(fold_frames, ignore_index=True)
    overall = full[full["group_by"] == "all"]
    groups = full[full["group_by"] != "all"]
    mean_overall = overall.groupby(["model", "metric"], sort=False)["value"].mean().reset_index()
    mean_overall = mean_overall.assign(fold="all", group_by="all", group="all")
    per_group = groups.groupby(["model", "metric", "group_by", "group"], sort=False)["value"].mean().reset_index()
    per_group = per_group.assign(fold="all")
    summary = (
        per_group.groupby(["model", "metric", "group_by"], sort=False)["value"].agg(["mean", "median"]).reset_index()
    )
    summary_rows = pd.concat(
        [
            summary.assign(
                metric=lambda d, s=stat: "per_" + d["group_by"] + "_" + d["metric"] + "_" + s, value=summary[stat]
            )
            for stat in ("mean", "median")
        ]
    ).assign(fold="all", group_by="all", group="all")[RESULT_COLUMNS]
    # Pooled-group summaries replace the fold-mean of per-fold summaries for these names.
    mean_overall = mean_overall[~mean_overall["metric"].isin(summary_rows["metric"])]
    return pd.concat(
        [overall[RESULT_COLUMNS], mean_overall[RESULT_COLUMNS], summary_rows, per_group[RESULT_COLUMNS]],
        ignore_index=True,
    )


def paired_tests(results: pd.DataFrame, names: list[str], *, kind: str) -> pd.DataFrame:
    """Paired Wilcoxon tests over perturbations of every model against every naive baseline.

    Uses the pooled per-perturbation Pearson and normalized Pearson. ``is_best_naive``
    marks the comparison against the naive baseline with the best primary metric.
    """
    pooled = results[results["fold"] == "all"]
    naive = [n for n in names if getattr(get_model_class(n), "is_naive_baseline", False)]
    best = best_naive(results, names, kind=kind)
    rows = []
    for metric in ("pearson", "normalized_pearson"):
        per_group = pooled[(pooled["group_by"] == kind) & (pooled["metric"] == metric)]
        tables = {m: g.set_index("group")["value"] for m, g in per_group.groupby("model")}
        for model in names:
            for ref in naive:
                if model == ref or model not in tables or ref not in tables:
                    continue
                test = paired_wilcoxon(tables[model], tables[ref])
                rows.append({"model": model, "reference": ref, "metric": f"per_{kind}_{metric}",
                             "is_best_naive": ref == best, **test})  # fmt: skip
    return pd.DataFrame(rows, columns=STATS_COLUMNS)


def best_naive(results: pd.DataFrame, names: Sequence[str], *, kind: str) -> str | None:
    """The naive baseline with the best pooled primary metric."""
    pooled = results[(results["fold"] == "all") & (results["group_by"] == "all")]
    naive = [n for n in names if getattr(get_model_class(n), "is_naive_baseline", False)]
    scores = pooled[(pooled["metric"] == primary_metric(kind)) & pooled["model"].isin(naive)]
    scores = scores.dropna(subset=["value"])
    if scores.empty:
        return None
    return str(scores.sort_values("value", ascending=False)["model"].iloc[0])


LEADERBOARD_METRICS = (
    "per_{k}_pearson_mean",
    "per_{k}_normalized_pearson_mean",
    "normalized_pearson",
    "per_{k}_spearman_mean",
    "per_cell_line_pearson_mean",
    "pearson",
    "spearman",
    "rmse",
    "r2",
)


def leaderboard(results: pd.DataFrame, config: Mapping[str, Any], *, metric: str | None = None) -> pd.DataFrame:
    """One row per model: pooled metrics, fold mean ± sd of the primary metric, gains over
    the best naive baseline. Sorted by ``metric`` (default: the primary metric)."""
    kind = config["perturbation_kind"]
    names = list(config["models"])
    metrics = [m.format(k=kind) for m in LEADERBOARD_METRICS]
    primary = metric or config["primary_metric"]
    overall = results[results["group_by"] == "all"]
    pooled = overall[overall["fold"] == "all"].pivot_table(index="model", columns="metric", values="value")
    pooled = pooled.reindex(index=names, columns=[m for m in metrics if m in pooled.columns])
    per_fold = overall[(overall["fold"] != "all") & (overall["metric"] == primary)]
    agg = per_fold.groupby("model")["value"].agg(["mean", "std"])
    board = pooled.copy()
    board[f"{primary} (fold mean)"] = agg["mean"].reindex(board.index)
    board[f"{primary} (fold sd)"] = agg["std"].reindex(board.index)
    best = best_naive(results, names, kind=kind)
    if best is not None:
        for m in [c for c in pooled.columns if c in metrics]:
            sign = -1.0 if m in LOWER_IS_BETTER else 1.0
            board[f"gain {m}"] = sign * (pooled[m] - pooled.loc[best, m])
    board.insert(0, "naive", [n in config.get("naive_baselines", []) for n in board.index])
    board = board.sort_values(primary, ascending=False) if primary in board else board
    board.attrs["best_naive"] = best
    return board


def _write(
    out: Path,
    pred_frames: list[pd.DataFrame],
    result_frames: list[pd.DataFrame],
    timings: list[dict[str, Any]],
    failures: list[dict[str, Any]],
    cfg: dict[str, Any],
    stats: pd.DataFrame | None,
) -> None:
    # 9 significant digits: float32 predictions round-trip exactly, so re-scoring a
    # written file (merge_benchmarks) gives the in-memory scores
    pd.concat(pred_frames, ignore_index=True).to_csv(out / "predictions.csv.gz", index=False, float_format="%.9g")
    pd.concat(result_frames, ignore_index=True).to_csv(out / "results.csv", index=False, float_format="%.6g")
    pd.DataFrame(timings).to_csv(out / "timings.csv", index=False, float_format="%.4g")
    if stats is not None:
        stats.to_csv(out / "stats.csv", index=False, float_format="%.6g")
    cfg = {**cfg, "failures": failures, "complete": stats is not None}
    (out / "config.json").write_text(json.dumps(_jsonable(cfg), indent=2))


def summary_table(board: pd.DataFrame, *, kind: str) -> pd.DataFrame:
    """The short leaderboard printed by the CLI: headline metrics and gains over the best naive baseline."""
    primary = f"per_{kind}_pearson_mean"
    cols = [primary, f"gain {primary}", f"per_{kind}_normalized_pearson_mean", "normalized_pearson", "pearson", "rmse"]
    out = board[[c for c in cols if c in board.columns]].copy()
    best = board.attrs.get("best_naive")
    if best is not None:
        out = out.rename(columns={f"gain {primary}": f"gain vs {best}"})
    return out


__all__ = [
    "MEMBER_PREDICTIONS",
    "NAIVE_BASELINES",
    "RESULT_COLUMNS",
    "STATS_COLUMNS",
    "BenchmarkResult",
    "ScoreContext",
    "TaskScorer",
    "best_naive",
    "leaderboard",
    "paired_tests",
    "primary_metric",
    "register_task_scorer",
    "resolve_models",
    "run_benchmark",
    "summary_table",
    "task_scorers",
]
