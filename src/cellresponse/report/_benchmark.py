"""Build a self-contained HTML report from a benchmark results directory, for every task.

The report reads only the files the engine wrote (:func:`cellresponse.results.read_results`)
and computes no score: the leaderboard, the paired tests and every per-group value come
from the written tables; the task contributes its own sections (figures and tables
built from the same files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cellresponse._types import PathLike
from cellresponse.report._html import environment, table_html
from cellresponse.results import atomic_write_bytes, read_results
from cellresponse.tasks import ScoreContext, Section, Table, calibration_sections, get_task


def _render_sections(sections: list[Section]) -> list[dict[str, Any]]:
    from cellresponse.plotting import figure_to_base64_png as b64

    return [
        {
            "title": s.title,
            "text": s.text,
            "figures": [b64(f) for f in s.figures],
            "tables": [table_html(t.frame, highlight=t.highlight, digits=t.digits) for t in s.tables],
        }
        for s in sections
    ]


def _tuning_sections(tables: dict[str, Any]) -> list[Section]:
    """The parameters the nested search chose per model and fold, with their scores on the
    inner validation part (``extras/<model>.tuning.csv`` holds every trial)."""
    import pandas as pd

    rows = []
    for model, table in tables.items():
        for fold, trials in table.groupby("fold", sort=True):
            chosen = trials[trials["chosen"].astype(str).str.lower() == "true"]
            scores = pd.to_numeric(trials["valid_score"], errors="coerce")
            rows.append(
                {
                    "model": model,
                    "fold": int(fold),
                    "trials": len(trials),
                    "chosen parameters": chosen["params"].iloc[0] if len(chosen) else "(model defaults)",
                    "inner valid score": float(chosen["valid_score"].iloc[0]) if len(chosen) else float("nan"),
                    "median trial score": float(scores.median()),
                }
            )
    if not rows:
        return []
    text = (
        "Each model's search space was searched in every outer fold, fitting on the fold's training part and "
        "scoring on its inner validation part only (mean per-group Pearson); the test part was never seen. "
        "Every trial is in extras/<model>.tuning.csv."
    )
    return [Section("Hyperparameter search (nested, inner validation)", text, tables=[Table(pd.DataFrame(rows))])]


def build_report(results_dir: PathLike, *, title: str | None = None) -> Path:
    """Write ``report.html`` into ``results_dir`` and return its path.

    Raises
    ------
    FileNotFoundError
        If ``results_dir`` is not a results directory.
    ValueError
        If it holds another results format or a damaged table.
    """
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        return _build_report(results_dir, title=title)
    finally:  # a report that fails half-way must not leave its figures open (a long-lived process)
        for number in set(plt.get_fignums()) - before:
            plt.close(number)


def _build_report(results_dir: PathLike, *, title: str | None) -> Path:
    from cellresponse import plotting as plots
    from cellresponse.plotting import figure_to_base64_png as b64

    res = read_results(results_dir)
    cfg = res.config
    task = get_task(res.task)
    ctx = ScoreContext.from_config(cfg)
    kind, primary = ctx.kind, str(cfg["primary_metric"])
    best = cfg.get("best_baseline")
    board = res.leaderboard
    sections: list[Section] = []
    if len(res.stats):
        shown = res.stats[res.stats["is_best_baseline"].astype(bool) & (res.stats["subset"] == "")]
        label = primary if primary in set(shown["metric"]) else f"per_{kind}_pearson"
        label = label if label in set(shown["metric"]) else (shown["metric"].iloc[0] if len(shown) else label)
        view = shown[shown["metric"] == label].drop(columns=["is_best_baseline", "subset"]).set_index("model")
        if len(view):
            sections.append(
                Section(
                    f"Significance against {best}",
                    f"Paired Wilcoxon tests of {label} over {view['over'].iloc[0]}s ({view['alternative'].iloc[0]});"
                    " median_diff > 0 means the model is better. All tests are in stats.csv.",
                    figures=[plots.significance(res.stats, metric=label)],
                )
            )
    per_fold = res.results[res.results["group_by"] == "all"]
    order = [m for m in board.index]
    fold_metrics = [
        m for m in dict.fromkeys([primary, "normalized_pearson", "delta_pearson"]) if (per_fold["metric"] == m).any()
    ]
    fig_folds = b64(plots.fold_boxes(per_fold, metrics=fold_metrics, order=order)) if fold_metrics and order else None
    if res.complete:
        sections += task.report_sections(res, ctx)
        sections += calibration_sections(res, ctx)
    sections += _tuning_sections(res.extras("tuning"))
    timing_view = None
    if len(res.timings):
        timing_view = res.timings.groupby("model", sort=False)[["fit_s", "predict_s"]].agg(["mean", "sum"]).round(2)
        timing_view.columns = [f"{a} {b}" for a, b in timing_view.columns]
    provenance = {
        k: cfg.get(k)
        for k in (
            "task",
            "dataset",
            "dataset_fingerprint",
            "split",
            "seeds",
            "config",
            "cellresponse_version",
            "dataset_info",
        )
    }
    split = cfg["split"]
    html = (
        environment()
        .get_template("benchmark.html.j2")
        .render(
            title=title or f"{cfg['dataset']['name']} · {cfg['target']} · {split['mode']}",
            version=cfg.get("cellresponse_version"),
            task=res.task,
            dataset=cfg["dataset"],
            n_perturbations=cfg["dataset"].get(f"n_{kind}s"),
            kind=kind,
            target=cfg["target"],
            split={**split, "hash": cfg["split_hash"]},
            synthetic=bool(cfg.get("synthetic")),
            partial=None if res.complete else {"done": len(cfg.get("completed_folds", [])), "total": split["n_folds"]},
            note=task.report_note(ctx, best),
            primary=primary,
            best_baseline=best or "n/a",
            failures=cfg.get("failures", []),
            leaderboard_html=table_html(board, highlight=ctx.baselines) if len(board) else "",
            fig_folds=fig_folds,
            sections=_render_sections(sections),
            timing_html=table_html(timing_view, digits=2) if timing_view is not None else "",
            peak_rss=round(float(cfg.get("peak_rss_mb") or float("nan")), 1),
            provenance=json.dumps(provenance, indent=2, default=str)[:20000],
        )
    )
    path = res.path / "report.html"
    atomic_write_bytes(path, html.encode("utf-8"))
    return path


__all__ = ["build_report"]
