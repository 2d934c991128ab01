"""Library function behind ``cellresponse biomarkers``: drug x feature associations with
tables, a volcano plot, box plots of the top associations and an HTML report."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.biomarkers import (
    MSI_FEATURE,
    PANCAN,
    AssociationInputs,
    AssociationResult,
    AssociationSettings,
    associations,
    dataset_inputs,
    gdsctools_inputs,
)
from cellresponse.io import read_gdsctools_drug_decode
from cellresponse.pipeline._analysis import _save_figures, write_run_json

ASSOCIATIONS_FILE = "associations.csv.gz"
POINTS_FILE = "points.csv"


@dataclass
class BiomarkerConfig:
    """Settings of one ``cellresponse biomarkers`` run (TOML keys = field names).

    Input: gdsctools' files (``ic50``: ``COSMIC_ID`` x ``Drug_<id>_IC50``; ``features``:
    ``COSMIC_ID``, ``TISSUE_FACTOR``, ``MSI_FACTOR`` and binary features; ``drug_decode``:
    ``DRUG_ID,DRUG_NAME`` for labels), or a registered ``dataset`` with one of its cell
    ``view`` s (tissue from the dataset's annotations). The analysis fields are those of
    :class:`cellresponse.biomarkers.AssociationSettings`; ``fdr`` is the level of the
    summaries and plots, ``n_boxplots`` the number of top associations drawn,
    ``highlight`` a list of ``DRUG:FEATURE`` pairs whose rank and FDR the report lists.
    """

    ic50: str | None = None
    features: str | None = None
    drug_decode: str | None = None
    dataset: str | None = None
    target: str | None = None
    view: str | None = None
    msi_feature: str = MSI_FEATURE
    min_group: int = 3
    min_msi: int = 2
    min_measurements: int = 6
    tissue_covariate: bool = True
    msi_covariate: bool = True
    per_tissue: bool = False
    tissues: list[str] | None = None
    fdr: float = 0.05
    n_boxplots: int = 6
    highlight: list[str] | None = None
    out: str = "results/biomarkers"

    def settings(self) -> AssociationSettings:
        """The analysis settings (validated)."""
        return AssociationSettings(
            min_group=self.min_group,
            min_msi=self.min_msi,
            min_measurements=self.min_measurements,
            tissue_covariate=self.tissue_covariate,
            msi_covariate=self.msi_covariate,
            per_tissue=self.per_tissue,
            tissues=None if self.tissues is None else tuple(self.tissues),
        )

    def resolved(self) -> BiomarkerConfig:
        """A checked copy.

        Raises
        ------
        ValueError
            Unless exactly one input is given (``ic50`` with ``features``, or ``dataset``
            with ``view``), or for an FDR level outside (0, 1).
        """
        files = self.ic50 is not None or self.features is not None
        if files == (self.dataset is not None):
            raise ValueError("give --ic50 and --features (gdsctools files), or --dataset and --view")
        if files and (self.ic50 is None or self.features is None):
            raise ValueError("--ic50 and --features go together (gdsctools' IC50 matrix and genomic features)")
        if self.dataset is not None and self.view is None:
            raise ValueError(f"--dataset {self.dataset} needs --view: the cell-line view whose features are tested")
        if not 0 < self.fdr < 1:
            raise ValueError(f"fdr must be in (0, 1), got {self.fdr}")
        self.settings()
        for pair in self.highlight or []:
            _split_pair(pair)
        return dataclasses.replace(self)

    def load(self) -> tuple[AssociationInputs, dict[str, str]]:
        """The aligned inputs and drug labels (ID -> name) the config names."""
        if self.dataset is not None:
            from cellresponse.datasets import load_dataset

            data = load_dataset(self.dataset, target=self.target, cell_views=[str(self.view)], require_all_views=False)
            data = data.restrict_to_views(cell=[str(self.view)])
            return dataset_inputs(data, view=str(self.view), msi_feature=self.msi_feature), {}
        inputs = gdsctools_inputs(str(self.ic50), str(self.features), msi_feature=self.msi_feature)
        names: dict[str, str] = {}
        if self.drug_decode is not None:
            decode = read_gdsctools_drug_decode(self.drug_decode)
            names = {str(k): str(v) for k, v in decode["drug_name"].items()}
        return inputs, names


def _split_pair(pair: str) -> tuple[str, str]:
    drug, sep, feature = pair.partition(":")
    if not sep or not drug or not feature:
        raise ValueError(f"highlight {pair!r}: expected DRUG:FEATURE, e.g. 1047:TP53_mut")
    return drug, feature


def association_points(inputs: AssociationInputs, top: pd.DataFrame) -> pd.DataFrame:
    """The lines behind each association of ``top``: ``drug, feature, scope, cell_line,
    tissue, value, response`` (lines of the association's scope with a response)."""
    frames = []
    tissue = inputs.tissue
    for row in top.itertuples():
        y = inputs.responses[str(row.drug)]
        keep = y.notna()
        if row.scope != PANCAN and tissue is not None:
            keep &= tissue == row.scope
        lines = y.index[keep.to_numpy()]
        frames.append(
            pd.DataFrame(
                {
                    "drug": str(row.drug),
                    "feature": str(row.feature),
                    "scope": str(row.scope),
                    "cell_line": lines,
                    "tissue": tissue.reindex(lines).to_numpy() if tissue is not None else "",
                    "value": inputs.features.loc[lines, str(row.feature)].to_numpy(),
                    "response": y[lines].to_numpy(),
                }
            )
        )
    columns = ["drug", "feature", "scope", "cell_line", "tissue", "value", "response"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def highlight_table(
    result: AssociationResult, pairs: list[str], *, inputs: AssociationInputs, names: dict[str, str]
) -> pd.DataFrame:
    """Rank and FDR of each ``DRUG:FEATURE`` pair in every scope it was tested in, or one
    row saying why it was not tested."""
    rows: list[dict[str, Any]] = []
    t = result.table
    skipped = result.skipped
    for pair in pairs:
        drug, feature = _split_pair(pair)
        hit = t[(t["drug"] == drug) & (t["feature"] == feature)]
        if hit.empty:
            if drug not in inputs.responses.columns:
                reason = "drug not in the inputs"
            elif feature not in inputs.features.columns:
                reason = "feature not in the inputs"
            else:
                whole = skipped[(skipped["drug"] == drug) & (skipped["feature"] == "*")]
                part = skipped[(skipped["feature"] == feature) & (skipped["drug"] == "*")]
                reason = "not tested: " + ", ".join(sorted(set(whole["reason"]) or set(part["reason"])))
            rows.append({"drug": drug, "drug_name": names.get(drug, ""), "feature": feature, "scope": reason})
            continue
        for r in hit.itertuples():
            rows.append(
                {
                    "drug": drug,
                    "drug_name": names.get(drug, ""),
                    "feature": feature,
                    "scope": r.scope,
                    "n_pos": r.n_pos,
                    "n": r.n,
                    "delta_mean": r.delta_mean,
                    "effect": r.effect,
                    "pvalue": r.pvalue,
                    "fdr": r.fdr,
                    "rank": r.rank,
                    "tests_of_drug": int(((t["drug"] == drug) & (t["scope"] == r.scope)).sum()),
                }
            )
    return pd.DataFrame(rows)


def _named(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    if not names:
        return table
    out = table.copy()
    out.insert(out.columns.get_loc("drug") + 1, "drug_name", out["drug"].map(names).fillna(""))
    return out


def run_biomarkers(cfg: BiomarkerConfig) -> AssociationResult:
    """Run one association analysis and write its outputs to ``cfg.out``.

    Writes ``associations.csv.gz`` (:data:`cellresponse.biomarkers.ASSOCIATION_COLUMNS`),
    ``skipped.csv``, ``covariates.csv``, ``points.csv`` (the lines behind the box
    plots), ``highlight.csv`` (with ``highlight``), ``plots/`` (volcano, box plots; PNG
    and SVG), ``report.html`` and ``run.json``.

    Raises
    ------
    ValueError, KeyError, FileNotFoundError
        For an invalid config, unreadable inputs, or inputs that share no cell line.
    """
    from cellresponse.plotting import association_boxplot, association_volcano
    from cellresponse.report import render_analysis_report

    cfg = cfg.resolved()
    inputs, names = cfg.load()
    result = associations(inputs, settings=cfg.settings())
    out = Path(cfg.out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    table = result.table
    table.to_csv(out / ASSOCIATIONS_FILE, index=False, float_format="%.6g")
    result.skipped.to_csv(out / "skipped.csv", index=False)
    result.covariates.to_csv(out / "covariates.csv", index=False)
    pancan = table[table["scope"] == PANCAN]
    top = pancan.head(cfg.n_boxplots)
    points = association_points(inputs, top)
    points.to_csv(out / POINTS_FILE, index=False, float_format="%.6g")
    figures: dict[str, Any] = {}
    if len(pancan):
        figures["Pan-cancer volcano"] = association_volcano(pancan, fdr=cfg.fdr, drug_names=names)
    tissues = table[table["scope"] != PANCAN]
    if len(tissues):
        figures["Per-tissue volcano (all tissues)"] = association_volcano(
            tissues,
            fdr=cfg.fdr,
            drug_names=names,
            title=f"Per tissue: {int((tissues['fdr'] < cfg.fdr).sum())} at FDR < {cfg.fdr:g}",
        )
    for k, row in enumerate(top.itertuples()):
        part = points[(points["drug"] == row.drug) & (points["feature"] == row.feature)]
        label = names.get(str(row.drug), str(row.drug))
        caption = f"{k + 1}. {label} x {row.feature}"
        figures[caption] = association_boxplot(
            part,
            title=f"{label} x {row.feature}: effect {row.effect:.2f}, FDR {row.fdr:.2g}",
            response=str(inputs.info.get("source", {}).get("target", "ln_ic50")),
            feature_type=str(row.feature_type),
        )
    stems = {c: out / "plots" / ("volcano" if i == 0 else f"{i:02d}") for i, c in enumerate(figures)}
    embedded = _save_figures(figures, stems, formats=("png", "svg"))
    summary = result.summary(fdr=cfg.fdr)
    tables = {"Top pan-cancer associations": _named(pancan.head(30), names)}
    highlights = None
    if cfg.highlight:
        highlights = highlight_table(result, list(cfg.highlight), inputs=inputs, names=names)
        highlights.to_csv(out / "highlight.csv", index=False)
        tables = {"Highlighted pairs": highlights, **tables}
    if len(tissues):
        tables["Top per-tissue associations"] = _named(tissues.nsmallest(30, "pvalue"), names)
    if len(result.skipped):
        tables["Tests not run"] = result.skipped.groupby(["scope", "reason"], sort=False)["n_tests"].sum().reset_index()
    html = render_analysis_report(
        "biomarkers",
        title="Drug x feature associations",
        summary=summary,
        figures=embedded,
        tables=tables,
        notes=_notes(result, summary),
        run_info={"inputs": str(inputs.info.get("source", {}))},
    )
    (out / "report.html").write_text(html)
    write_run_json(
        out,
        command="biomarkers",
        config=cfg,
        inputs=[cfg.ic50, cfg.features, cfg.drug_decode],
        extra={"summary": summary},
    )
    return result


def _notes(result: AssociationResult, summary: dict[str, Any]) -> list[str]:
    notes = []
    info = result.info
    if info.get("lines_without_features"):
        notes.append(
            f"{info['lines_without_features']} cell line(s) with responses have no features and were left out "
            f"(e.g. {', '.join(info['lines_without_features_examples'])})"
        )
    for what, n in summary["covariates_dropped"].items():
        notes.append(f"covariate dropped for {n} drug(s): {what}")
    for scope, drugs in summary["drugs_skipped"].items():
        notes.append(f"{scope}: {len(drugs)} drug(s) not tested (too few measured lines)")
    if summary["skipped_tests"]:
        counts = ", ".join(f"{k}: {v}" for k, v in summary["skipped_tests"].items())
        notes.append(f"tests not run: {counts} (see skipped.csv)")
    if not np.isfinite(result.table["pvalue"]).all():
        notes.append("some p-values are not finite (a response constant within the drug's lines)")
    return notes


__all__ = [
    "ASSOCIATIONS_FILE",
    "POINTS_FILE",
    "BiomarkerConfig",
    "association_points",
    "highlight_table",
    "run_biomarkers",
]
