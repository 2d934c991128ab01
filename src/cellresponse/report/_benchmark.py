"""Build a self-contained HTML report from a benchmark results directory.

The report reads only the files the runner wrote (results.csv, predictions.csv.gz,
stats.csv, timings.csv, config.json); it computes no new scores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cellresponse._types import PathLike


@dataclass
class ReportSection:
    """An extra report section: title, optional text, base64 PNG figures, HTML tables."""

    title: str
    text: str = ""
    figures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


SectionBuilder = Callable[[Path, dict[str, Any]], list[ReportSection]]
_SECTION_BUILDERS: dict[str, SectionBuilder] = {}


def register_report_section(name: str, builder: SectionBuilder) -> None:
    """Add sections to every benchmark report: ``builder(results_dir, loaded)`` returns them.

    ``loaded`` is :func:`load_results`'s dict; a builder returns ``[]`` when its files
    (e.g. ``extras/<model>.<table>.csv``) are absent. Registering a name twice raises.
    """
    if name in _SECTION_BUILDERS:
        raise ValueError(f"a report section builder named {name!r} is already registered")
    _SECTION_BUILDERS[name] = builder


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("cellresponse", "report/templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )


def _table_html(frame: pd.DataFrame, *, naive: Sequence[str] = (), digits: int = 3) -> Any:
    from markupsafe import Markup

    shown = frame.copy()
    html = shown.to_html(float_format=lambda v: f"{v:.{digits}f}", na_rep="–", border=0, escape=True)
    for name in naive:
        html = html.replace(f"<tr>\n      <th>{name}</th>", f'<tr class="naive">\n      <th>{name}</th>')
    return Markup(html)


def load_results(results_dir: PathLike) -> dict[str, Any]:
    """Read a results directory written by :func:`cellresponse.evaluate.run_benchmark`."""
    d = Path(results_dir)
    needed = ["results.csv", "predictions.csv.gz", "config.json"]
    missing = [n for n in needed if not (d / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{d} is not a complete results directory; missing {missing}")
    config = json.loads((d / "config.json").read_text())
    return {
        "results": pd.read_csv(d / "results.csv", dtype={"fold": str, "group": str}),
        "predictions": pd.read_csv(d / "predictions.csv.gz"),
        "stats": pd.read_csv(d / "stats.csv") if (d / "stats.csv").is_file() else pd.DataFrame(),
        "timings": pd.read_csv(d / "timings.csv") if (d / "timings.csv").is_file() else pd.DataFrame(),
        "config": config,
    }


def build_report(
    results_dir: PathLike,
    *,
    title: str | None = None,
    extra_sections: Sequence[ReportSection] = (),
) -> Path:
    """Write ``report.html`` into ``results_dir`` and return its path."""
    from cellresponse.evaluate import leaderboard
    from cellresponse.plotting import _benchmark as plots
    from cellresponse.plotting import figure_to_base64_png as b64

    d = Path(results_dir)
    loaded = load_results(d)
    results, preds, stats, timings, cfg = (loaded[k] for k in ("results", "predictions", "stats", "timings", "config"))
    kind = cfg["perturbation_kind"]
    primary = cfg["primary_metric"]
    naive = cfg.get("naive_baselines", [])
    board = leaderboard(results, cfg)
    best_naive = board.attrs.get("best_naive") or "n/a"
    ranked = [m for m in board.index if m in preds.columns]
    candidates = [m for m in ranked if m not in naive] or ranked
    best_model = candidates[0]

    overall = results[(results["group_by"] == "all") & (results["fold"] != "all")]
    per_group = results[(results["fold"] == "all") & (results["group_by"] == kind) & (results["metric"] == "pearson")]
    values = per_group[per_group["model"] == best_model].set_index("group")["value"]
    reference = (
        per_group[per_group["model"] == best_naive].set_index("group")["value"] if best_naive in ranked else None
    )
    scatter_models = [best_model] + ([best_naive] if best_naive in preds.columns and best_naive != best_model else [])
    if "drug_mean" in preds.columns and "drug_mean" not in scatter_models:
        scatter_models.append("drug_mean")

    stats_view = pd.DataFrame()
    if len(stats):
        stats_view = stats[stats["is_best_naive"].astype(bool)].drop(columns=["is_best_naive"]).set_index("model")
    timing_view = pd.DataFrame()
    if len(timings):
        timing_view = timings.groupby("model")[["fit_s", "predict_s"]].agg(["mean", "sum"]).round(2)
        timing_view.columns = [f"{a} {b}" for a, b in timing_view.columns]

    sections = list(extra_sections)
    for builder in _SECTION_BUILDERS.values():
        sections += builder(d, loaded)
    provenance = {k: cfg.get(k) for k in ("dataset", "dataset_fingerprint", "split", "config", "cellresponse_version")}
    provenance["dataset_info"] = cfg.get("dataset_info", {})
    env = _environment()
    html = env.get_template("benchmark.html.j2").render(
        title=title or f"{cfg['dataset']['name']} · {cfg['target']} · {cfg['split']['mode']}",
        version=cfg.get("cellresponse_version"),
        dataset=cfg["dataset"],
        n_perturbations=cfg["dataset"].get(f"n_{kind}s"),
        kind=kind,
        target=cfg["target"],
        split={**cfg["split"], "hash": cfg["split_hash"]},
        synthetic=bool(cfg.get("dataset_info", {}).get("synthetic")),
        primary=primary,
        best_naive=best_naive,
        failures=cfg.get("failures", []),
        leaderboard_html=_table_html(board, naive=naive),
        stats_html=_table_html(stats_view, digits=4) if len(stats_view) else "",
        fig_significance=b64(plots.significance(stats, metric=f"per_{kind}_pearson")) if len(stats_view) else None,
        fig_global=b64(plots.global_vs_within(board, primary=primary)),
        fig_scatter=b64(plots.predicted_vs_observed(preds, models=scatter_models, target=cfg["target"])),
        fig_waterfall=b64(
            plots.per_group_waterfall(
                values, reference=reference, model=best_model, reference_name=best_naive, group=kind
            )
        ),
        fig_folds=b64(plots.fold_boxes(overall, metrics=[primary, "normalized_pearson"], order=list(board.index))),
        extra_sections=sections,
        timing_html=_table_html(timing_view, digits=2) if len(timing_view) else "",
        peak_rss=round(float(cfg.get("peak_rss_mb", float("nan"))), 1),
        provenance=json.dumps(provenance, indent=2, default=str)[:20000],
    )
    path = d / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


__all__ = ["ReportSection", "build_report", "load_results", "register_report_section"]
