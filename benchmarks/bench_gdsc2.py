"""Full GDSC2 LN_IC50, leave-cell-line-out, 5 folds: naive baselines + elastic net +
LightGBM + per-drug linear models. Prints load time, per-model fit/predict seconds,
peak RSS per model (each model re-run alone in a child process with --only) and in
total, and the accuracy table with paired tests against the tissue x drug mean.

    python benchmarks/bench_gdsc2.py --out results/bench_gdsc2 [--per-model-rss]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from _measure import peak_rss_mib

MODELS = ["elastic_net", "lightgbm", "ridge_per_drug", "elastic_net_per_drug"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="results/bench_gdsc2")
    parser.add_argument("--split", default="lco")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--only", help="run one model alone (child process mode)")
    parser.add_argument("--per-model-rss", action="store_true", help="also run each model alone for its peak RSS")
    args = parser.parse_args()

    from cellresponse.datasets import load_dataset
    from cellresponse.evaluate import RunOptions, run_benchmark
    from cellresponse.report import build_report
    from cellresponse.splits import make_split

    t0 = time.perf_counter()
    ds = load_dataset("gdsc2", target="ln_ic50")
    load_s = time.perf_counter() - t0
    split = make_split(ds, mode=args.split, n_folds=args.folds, seed=0)
    if args.only:
        t1 = time.perf_counter()
        run_benchmark(ds, models=[args.only], split=split,
                      options=RunOptions(include_baselines=False, progress=False))  # fmt: skip
        print(
            json.dumps(
                {
                    "model": args.only,
                    "wall_s": time.perf_counter() - t1,
                    "peak_rss_mb": peak_rss_mib(include_children=False),
                }
            )
        )
        return

    models = args.models.split(",")
    print(f"GDSC2 load (all views + Morgan + descriptors): {load_s:.1f} s; {ds}")
    t1 = time.perf_counter()
    res = run_benchmark(ds, models=models, split=split, out=args.out,
                        options=RunOptions(config={"benchmark": "bench_gdsc2.py"}))  # fmt: skip
    total_s = time.perf_counter() - t1
    build_report(args.out)
    timing = res.timings.groupby("model")[["fit_s", "predict_s"]].sum()
    timing["total_s"] = timing.sum(axis=1)
    peak = peak_rss_mib(include_children=False)
    print(f"\nTotal benchmark wall time: {total_s:.0f} s (+ load {load_s:.0f} s); peak RSS {peak:.0f} MB")
    print(timing.round(1).to_string())
    board = res.leaderboard()
    cols = ["per_drug_pearson_mean", "per_drug_normalized_pearson_mean", "normalized_pearson", "pearson", "rmse"]
    print("\n" + board[[c for c in cols if c in board]].round(4).to_string())
    stats = res.stats
    vs_tissue = stats[(stats.reference == "tissue_drug_mean") & (stats.metric == "per_drug_pearson")]
    print("\nPaired Wilcoxon over drugs vs tissue_drug_mean (per-drug Pearson, one-sided):")
    print(vs_tissue[["model", "n", "median_diff", "pvalue"]].to_string(index=False))
    if args.per_model_rss:
        rows = []
        for m in ["mean_effects", *models]:
            out = (
                subprocess.run(
                    [sys.executable, __file__, "--only", m, "--split", args.split, "--folds", str(args.folds)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            rows.append(json.loads(out))
        print("\nEach model alone (includes ~load of the dataset):")
        print(pd.DataFrame(rows).round(1).to_string(index=False))
    Path(args.out, "bench_summary.json").write_text(
        json.dumps(
            {"load_s": load_s, "total_s": total_s, "peak_rss_mb": peak_rss_mib(include_children=False)}, indent=2
        )
    )


if __name__ == "__main__":
    main()
