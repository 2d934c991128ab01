"""Report section of ``--explain`` runs: each model's top features per drug, read from
``extras/<model>.attributions.csv`` (written per fold; averaged over folds here)."""

from __future__ import annotations

import pandas as pd

from cellresponse.results import Results
from cellresponse.tasks._base import ScoreContext, Section, Table, per_group_table

#: drugs drawn per report (the best-predicted ones of the best explained model)
DRUGS_SHOWN = 3
#: features listed per drug in the table
FEATURES_LISTED = 5


def attribution_sections(res: Results, ctx: ScoreContext) -> list[Section]:
    """One section: recurrent top features per model, per-drug top features of the
    best-predicted drugs (figures), and the views' permutation importance."""
    from cellresponse.explain import aggregate_folds, method_agreement
    from cellresponse.plotting import agreement_boxes, attribution_bars

    extras = res.extras("attributions")
    if not extras:
        return []
    table = aggregate_folds(pd.concat(extras.values(), ignore_index=True))
    kind = ctx.kind
    features = table[table["feature"] != "*"]
    top1 = features[features["rank"] == 1]
    recurrent = (
        top1.assign(name=top1["view"] + ":" + top1["feature"])
        .groupby(["model", "method"])["name"]
        .agg(lambda s: ", ".join(f"{k} ({v})" for k, v in s.value_counts().head(5).items()))
        .rename(f"most frequent top feature (number of {kind}s)")
        .to_frame()
    )
    recurrent[f"{kind}s explained"] = features.groupby(["model", "method"])["drug"].nunique()
    views = table[table["method"] == "view_permutation"]
    view_table = (
        views.pivot_table(index="model", columns="view", values="importance", aggfunc="mean")
        if len(views)
        else pd.DataFrame()
    )
    scores = per_group_table(res.summary, metric="pearson", group_by=kind)
    explained = [m for m in scores.columns if m in set(features["model"])]
    figures, listed = [], []
    if explained:
        best = max(explained, key=lambda m: scores[m].mean())
        drugs = [str(d) for d in scores[best].dropna().sort_values(ascending=False).index[:DRUGS_SHOWN]]
        for drug in drugs:
            part = features[features["drug"].astype(str) == drug]
            if len(part):
                figures.append(attribution_bars(part, drug=drug, top=12, title=f"{drug}: top features (test folds)"))
                head = part[part["rank"] <= FEATURES_LISTED]
                listed.append(
                    head.assign(entry=head["view"] + ":" + head["feature"])
                    .groupby(["model", "method"])["entry"]
                    .agg(", ".join)
                    .rename(drug)
                )
    tables = [Table(recurrent)]
    if listed:
        tables.append(Table(pd.concat(listed, axis=1)))
    if len(view_table):
        tables.append(Table(view_table))
    # every feature-level ranking against every other (models and methods), per drug
    pooled = features.assign(method=features["model"] + ":" + features["method"], model="all")
    agreement = method_agreement(pooled, top=10)
    if len(agreement):
        figures.append(agreement_boxes(agreement, value="top_overlap", title="Overlap of the top 10 features"))
        tables.append(Table(agreement.groupby("pair")[["n_shared", "spearman", "top_overlap"]].median()))
    text = (
        f"Top features of each model per {kind}, fitted on the training folds and computed on the test folds, "
        "averaged over folds: standardized coefficients of linear models, mean absolute TreeSHAP contributions "
        "of LightGBM, and for other models the drop in the held-out per-"
        f"{kind} Pearson when one feature is permuted across the test lines (screened candidates). The last two "
        "tables: the drop when a whole view is permuted, and the agreement between rankings (median over "
        f"{kind}s of the Spearman correlation over the features both list and of the overlap of their top 10). "
        f"Figures: the best-predicted {kind}s of the best explained model (red: a higher value raises the "
        "predicted response) and the overlap of the rankings."
    )
    return [Section("What drives the predictions", text, figures=figures, tables=tables)]


__all__ = ["attribution_sections"]
