"""Nested tuning against the defaults: per-drug Pearson of each model with ``--tune`` and
with its default hyperparameters on the same split, paired over drugs (two-sided
Wilcoxon signed-rank test over the drugs' per-drug Pearson, averaged over the outer
folds run). The search ran on each fold's inner validation part only; the test folds
scored here informed no choice.

    python benchmarks/bench_tuning.py --dataset gdsc2 --split lco --folds 5 --only-folds 0 \
        --models lightgbm,mlp_expression --trials 6 --param mlp_expression.trainer__epochs=15

Prints the wall time of each run, the chosen parameters per fold and the paired table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from cellresponse.metrics import paired_wilcoxon


def run(args: argparse.Namespace, out: Path, *, tune: bool) -> float:
    cmd = [sys.executable, "-m", "cellresponse.cli", "benchmark", "--dataset", args.dataset, "--split", args.split,
           "--folds", str(args.folds), "--models", args.models, "--no-baselines", "--no-progress",
           "--executor", args.executor, "--workers", str(args.workers), "--out", str(out), "--overwrite"]  # fmt: skip
    if args.only_folds:
        cmd += ["--only-folds", args.only_folds]
    for p in args.param:
        cmd += ["--param", p]
    if tune:
        cmd += ["--tune", "--tune-trials", str(args.trials)]
    t0 = time.perf_counter()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode not in (0, 1):
        raise SystemExit(f"run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def per_drug(out: Path, model: str) -> pd.Series:
    res = pd.read_csv(out / "results.csv")
    rows = res[(res["model"] == model) & (res["metric"] == "pearson") & (res["group_by"] == "drug")]
    return rows.groupby("group")["value"].mean()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="gdsc2")
    parser.add_argument("--split", default="lco")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only-folds", help="outer folds to run (e.g. 0,1), default all")
    parser.add_argument("--models", default="lightgbm,mlp_expression")
    parser.add_argument("--param", action="append", default=[])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--executor", default="processes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="results/bench_tuning")
    args = parser.parse_args()

    base = Path(args.out)
    walls = {kind: run(args, base / kind, tune=kind == "tuned") for kind in ("default", "tuned")}
    print(f"wall: defaults {walls['default']:.0f} s, tuned {walls['tuned']:.0f} s ({args.trials} trials per cell)")
    rows = []
    for model in args.models.split(","):
        tuned, default = per_drug(base / "tuned", model), per_drug(base / "default", model)
        test = paired_wilcoxon(tuned, default, alternative="two-sided")
        rows.append({"model": model, "drugs": test["n"], "tuned_mean": test["model_mean"],
                     "default_mean": test["reference_mean"], "median_diff": test["median_diff"],
                     "pvalue": test["pvalue"], "tuned_better": int((tuned - default).gt(0).sum())})  # fmt: skip
        trials = pd.read_csv(base / "tuned" / "extras" / f"{model}.tuning.csv")
        for _, row in trials[trials["chosen"]].iterrows():
            n = int((trials["fold"] == row["fold"]).sum())
            print(f"{model} fold {row['fold']}: chosen {json.loads(row['params'])} "
                  f"(inner valid score {row['valid_score']:.4f}, best of {n})")  # fmt: skip
    print("\nPer-drug Pearson, tuned vs defaults, paired over drugs (two-sided Wilcoxon):")
    print(pd.DataFrame(rows).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
