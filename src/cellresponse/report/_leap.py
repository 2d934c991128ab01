"""Report sections for ensembles with members (LEAP): who carries it, and what it gains.

Reads only what the runner wrote: ``extras/<model>.combiner.csv`` (member, representation,
predictor, weight, inner-validation Pearson per fold), the member rows of ``results.csv``
(``<model>/<member>``), the ``gene_set`` rows of a dependency run, and ``stats.csv``.
Registered with :func:`cellresponse.report._benchmark.register_report_section`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from cellresponse.report._benchmark import ReportSection, _table_html, register_report_section


def _headline(cfg: dict[str, Any], results: pd.DataFrame) -> str:
    """Per-group AUROC for a dependency run (if scored), else the primary metric."""
    kind = cfg["perturbation_kind"]
    auroc = f"per_{kind}_auroc_mean"
    return auroc if (results["metric"] == auroc).any() else str(cfg["primary_metric"])


def leap_sections(results_dir: Path, loaded: dict[str, Any]) -> list[ReportSection]:
    """Members table + combiner-weight heatmap per ensemble, and the gene-set breakdown."""
    from cellresponse.plotting import figure_to_base64_png as b64
    from cellresponse.plotting._leap import plot_combiner_weights

    results, stats, cfg = loaded["results"], loaded["stats"], loaded["config"]
    sections: list[ReportSection] = []
    headline = _headline(cfg, results)
    pooled = results[(results["fold"] == "all") & (results["group_by"] == "all")]
    for path in sorted((Path(results_dir) / "extras").glob("*.combiner.csv")):
        model = path.name[: -len(".combiner.csv")]
        table = pd.read_csv(path)
        members = table[table["member"] != "ensemble"]
        per_member = members.groupby("member", sort=False).agg(
            representation=("representation", "first"),
            predictor=("predictor", "first"),
            weight=("weight", "mean"),
            valid_pearson=("valid_pearson", "mean"),
        )
        scores = pooled[pooled["metric"] == headline].set_index("model")["value"]
        per_member[f"test {headline}"] = [scores.get(f"{model}/{m}", float("nan")) for m in per_member.index]
        ens = table[table["member"] == "ensemble"]["valid_pearson"].mean()
        per_member = per_member.sort_values("weight", ascending=False)
        by_kind = (
            members.assign(kind=members["representation"].astype(str) + " × " + members["predictor"].astype(str))
            .groupby("kind")["weight"]
            .sum()
            .div(max(members["fold"].nunique(), 1))
            .sort_values(ascending=False)
        )
        carriers = ", ".join(f"{k} ({v:.2f})" for k, v in by_kind.head(3).items())
        best_member = per_member[f"test {headline}"].idxmax() if per_member[f"test {headline}"].notna().any() else None
        text = (
            f"{model}: {len(per_member)} members. Mean combiner weight per fold, summed over seeds: "
            f"{carriers}. Inner-validation Pearson of the combined members {ens:.3f} "
            f"(best member {per_member['valid_pearson'].max():.3f})."
        )
        if best_member is not None:
            gain = scores.get(model, float("nan")) - per_member.loc[best_member, f"test {headline}"]
            text += f" Test {headline}: ensemble {scores.get(model, float('nan')):.3f}, best member "
            text += f"{best_member} {per_member.loc[best_member, f'test {headline}']:.3f} (gain {gain:+.3f})."
        tables = [_table_html(per_member)]
        if len(stats):
            gains = stats[(stats["model"] == model) & stats["metric"].astype(str).str.contains("auroc|pearson")]
            if len(gains):
                tables.append(_table_html(gains.set_index(["metric", "reference"]).drop(columns=["model"]), digits=4))
        fig = plot_combiner_weights(table[table["member"] != "ensemble"][["fold", "member", "weight"]],
                                    title=f"{model}: combiner weights")  # fmt: skip
        sections.append(ReportSection(title=f"Ensemble members: {model}", text=text, figures=[b64(fig)], tables=tables))
    by_set = results[(results["fold"] == "all") & (results["group_by"] == "gene_set")]
    if len(by_set):
        models = list(cfg["models"])
        shown = by_set[by_set["metric"].str.endswith("_mean")]
        wide = shown.pivot_table(index="model", columns=["metric", "group"], values="value")
        order = [m for m in models if m in wide.index] + [m for m in wide.index if m not in models]
        sections.append(
            ReportSection(
                title="Scores by gene set",
                text=(
                    "Mean per-gene scores over the genes of each set (selectively essential, "
                    "common-essential, all), from the fold-averaged per-gene scores; "
                    "rows named model/member are ensemble members."
                ),
                tables=[_table_html(wide.reindex(order), naive=cfg.get("naive_baselines", []))],
            )
        )
    return sections


register_report_section("leap", leap_sections)

__all__ = ["leap_sections"]
