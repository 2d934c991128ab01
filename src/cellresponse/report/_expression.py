"""HTML report for an expression benchmark directory (written by
:func:`cellresponse.evaluate.run_expression_benchmark`). Reads only its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike

SUMMARY_METRICS = (
    "pearson",
    "spearman",
    "delta_pearson",
    "rmse",
    "precision_up@50",
    "precision_down@50",
)


def load_expression_results(results_dir: PathLike) -> dict[str, Any]:
    """Read results.csv, tests.csv, ablation.csv, config.json and predictions/."""
    d = Path(results_dir)
    needed = ["results.csv", "config.json", "predictions/obs.csv", "predictions/y_true.npy"]
    missing = [n for n in needed if not (d / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{d} is not a complete expression results directory; missing {missing}")
    pred_dir = d / "predictions"
    preds = {p.stem: np.load(p, allow_pickle=False) for p in sorted(pred_dir.glob("*.npy")) if p.stem != "y_true"}
    return {
        "results": pd.read_csv(d / "results.csv", dtype={"group": str}),
        "tests": pd.read_csv(d / "tests.csv") if (d / "tests.csv").is_file() else pd.DataFrame(),
        "ablation": pd.read_csv(d / "ablation.csv") if (d / "ablation.csv").is_file() else pd.DataFrame(),
        "config": json.loads((d / "config.json").read_text()),
        "obs": pd.read_csv(pred_dir / "obs.csv", dtype={"cell_line": str, "perturbation": str}),
        "y_true": np.load(pred_dir / "y_true.npy", allow_pickle=False),
        "predictions": preds,
        "curves": (
            pd.read_csv(pred_dir / "dose_curves.csv", dtype={"compound": str, "gene": str})
            if (pred_dir / "dose_curves.csv").is_file()
            else pd.DataFrame()
        ),
        "genes": json.loads((pred_dir / "genes.json").read_text()) if (pred_dir / "genes.json").is_file() else [],
    }


def summary_table(results: pd.DataFrame) -> pd.DataFrame:
    """Models x overall metrics (mean over folds), intact runs only, best first."""
    sub = results[(results["group_by"] == "all") & ~results["model"].str.contains("|", regex=False)]
    table = sub.pivot_table(index="model", columns="metric", values="value", aggfunc="mean")
    cols = [c for c in (*SUMMARY_METRICS, "fit_seconds") if c in table.columns]
    table = table[cols]
    return table.sort_values("pearson", ascending=False) if "pearson" in table.columns else table


def _html(frame: pd.DataFrame, *, naive: list[str] | None = None, digits: int = 3) -> Any:
    from markupsafe import Markup

    html = frame.to_html(float_format=lambda v: f"{v:.{digits}f}", na_rep="–", border=0, escape=True)
    for name in naive or []:
        html = html.replace(f"<tr>\n      <th>{name}</th>", f'<tr class="naive">\n      <th>{name}</th>')
    return Markup(html)


def _verdict(table: pd.DataFrame, ablation: pd.DataFrame, baselines: list[str]) -> str:
    if "pearson" not in table.columns or table.empty:
        return "No overall scores."
    best = str(table["pearson"].astype(float).idxmax())
    score = float(table["pearson"].astype(float)[best])
    text = f"Best model by mean per-signature Pearson: {best} ({score:.3f})."
    models = [m for m in table.index if m not in baselines]
    if models:
        top = max(models, key=lambda m: table.loc[m, "pearson"])
        bl = max(
            [m for m in table.index if m in baselines] or [top],
            key=lambda m: table.loc[m, "pearson"],
        )
        verdict = "beats" if table.loc[top, "pearson"] > table.loc[bl, "pearson"] else "does NOT beat"
        text += (
            f" The best non-baseline model, {top}, {verdict} the best baseline {bl} ({table.loc[bl, 'pearson']:.3f})."
        )
        if len(ablation):
            drop = ablation[
                (ablation["model"] == top)
                & (ablation["metric"] == "pearson")
                & (ablation["condition"] == "shuffle_drug")
            ]
            if len(drop):
                change = -float(drop["drop"].iloc[0])
                text += f" Shuffling its drug input changes its Pearson by {change:+.3f}."
    return text


def build_expression_report(results_dir: PathLike, *, title: str | None = None, n_dose_genes: int = 3) -> Path:
    """Write ``report.html`` into ``results_dir`` and return its path."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from cellresponse.plotting import figure_to_base64_png as b64
    from cellresponse.plotting._expression import (
        plot_dose_response,
        plot_model_comparison,
        plot_signature_heatmap,
    )

    d = Path(results_dir)
    data = load_expression_results(d)
    cfg, results = data["config"], data["results"]
    baselines = list(cfg.get("baselines", []))
    table = summary_table(results)
    naive = [m for m in table.index if m in baselines]
    non_base = [m for m in table.index if m not in baselines]
    show = non_base[0] if non_base else (table.index[0] if len(table) else None)
    genes = data["genes"] or [f"g{i}" for i in range(data["y_true"].shape[1])]
    obs, y_true = data["obs"], data["y_true"]
    fig_heat, fig_doses = None, []
    if show is not None and show in data["predictions"]:
        pred = data["predictions"][show]
        labels = [
            f"{c} @ {dose:g}"
            for c, dose in zip(
                obs["perturbation"],
                obs.get("dose", pd.Series(np.nan, index=obs.index)),
                strict=True,
            )
        ]
        fig_heat = b64(plot_signature_heatmap(y_true, pred, gene_names=genes, row_labels=labels))
        curves = data["curves"]
        if len(curves) and "model" in curves.columns:
            curves = curves[curves["model"] == show]
        if "dose" in obs.columns and len(curves):
            compounds = list(pd.unique(curves["compound"]))
            for gene in list(pd.unique(curves["gene"]))[:n_dose_genes]:
                fig = plot_dose_response(obs, y_true, gene=gene, gene_names=genes, compounds=compounds, curves=curves)
                fig_doses.append(b64(fig))
    ablation = data["ablation"]
    abl_view = pd.DataFrame()
    if len(ablation):
        abl_view = ablation[ablation["metric"].isin(["pearson", "delta_pearson"])].pivot_table(
            index="model", columns=["metric", "condition"], values="drop"
        )
        abl_view.columns = [f"{m} drop ({c})" for m, c in abl_view.columns]
    tests = data["tests"]
    tests_view = tests.set_index("model") if len(tests) else pd.DataFrame()
    cfg_ds = cfg.get("dataset", {})
    env = Environment(
        loader=PackageLoader("cellresponse", "report/templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    html = env.get_template("expression.html.j2").render(
        title=title or f"Expression benchmark · {cfg_ds.get('name')} · {cfg.get('split', {}).get('mode')}",
        version=cfg.get("cellresponse_version"),
        dataset=cfg_ds,
        n_compounds=cfg_ds.get("n_compounds"),
        split=cfg.get("split", {}),
        seed=cfg.get("seed"),
        synthetic=bool(cfg_ds.get("synthetic")),
        verdict=_verdict(table, ablation, baselines),
        best_baseline=(tests["reference"].iloc[0] if len(tests) else "n/a"),
        table_html=_html(table, naive=naive),
        ablation_html=_html(abl_view) if len(abl_view) else "",
        fig_comparison=b64(plot_model_comparison(results)) if len(table) else None,
        tests_html=_html(tests_view, digits=4) if len(tests_view) else "",
        heatmap_model=show,
        fig_heatmap=fig_heat,
        fig_doses=fig_doses,
        provenance=json.dumps(cfg, indent=2, default=str)[:20000],
    )
    path = d / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


__all__ = ["build_expression_report", "load_expression_results", "summary_table"]
