"""GDSC2 ln IC50 accuracy of the new response models (``multitask_ridge``, ``stack``) against
``ridge_per_drug``, the MLPs and the naive baselines, 5 folds, one split mode at a time.

Each model runs as its own shard (a child process: the task's baselines + that model,
``cellresponse.evaluate.run_benchmark``), so a shard's ``timings.csv`` gives the model's
fit seconds per fold and its ``config.json`` the process's peak RSS (dataset included;
the ``baselines`` shard, which fits only the baselines, gives the dataset's share). The
shards are merged and re-scored as one run (``merge_benchmarks``), and the report prints
per-drug Pearson, per-drug normalized Pearson and pooled normalized Pearson, paired
one-sided Wilcoxon tests over drugs against ``--reference`` models and the best naive
baseline, fit seconds per fold and peak RSS::

    python benchmarks/bench_accuracy.py run --split lco --models ridge_per_drug,multitask_ridge,stack \\
        --out results/accuracy
    python benchmarks/bench_accuracy.py report --split lco --out results/accuracy --reference ridge_per_drug

A finished shard is not run again (delete its folder to rerun it); an interrupted one resumes
from its finished (model, fold) cells. ``--param MODEL.KEY=VALUE``
(TOML values) passes hyperparameters, e.g. ``--param mlp_expression.trainer__epochs=12``
(the README's MLP figures used that 12-epoch cap).
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

from _measure import peak_rss_mib

BASELINES_ONLY = "baselines"


def _params(items: list[str]) -> dict[str, dict[str, object]]:
    from cellresponse.config import parse_param_overrides

    return parse_param_overrides(items) if items else {}


def shard(args: argparse.Namespace) -> None:
    """One model (or only the baselines) on the listed folds, written to ``args.out``."""
    from cellresponse.datasets import load_dataset
    from cellresponse.evaluate import RunOptions, run_benchmark
    from cellresponse.splits import make_split

    # every shard on the same rows: those whose cell line and drug have every view (the
    # drugs with a SMILES), so the members that read structure and those that do not compare
    data = load_dataset("gdsc2", target=args.target, require_all_views=True)
    split = make_split(data, mode=args.split, n_folds=5, seed=args.seed)
    if args.folds:
        split = split.select_folds([int(f) for f in args.folds.split(",")])
    models = [] if args.model == BASELINES_ONLY else [args.model]
    params = {k: v for k, v in _params(args.param).items() if k in models}
    start = time.perf_counter()
    options = RunOptions(
        progress=False, config={"benchmark": "bench_accuracy.py", "shard": args.model}, existing="resume"
    )
    run_benchmark(data, models=models, split=split, out=args.out, model_params=params, seed=args.seed, options=options)
    print(json.dumps({"model": args.model, "wall_s": time.perf_counter() - start, "peak_rss_mib": peak_rss_mib()}))


def _shard_dir(out: Path, split: str, model: str) -> Path:
    return out / split / "shards" / model


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    for model in [BASELINES_ONLY, *args.models.split(",")]:
        path = _shard_dir(out, args.split, model)
        config = path / "config.json"
        if config.is_file() and json.loads(config.read_text()).get("complete"):
            print(f"{model}: done ({path})", flush=True)
            continue
        cmd = [sys.executable, __file__, "shard", "--split", args.split, "--model", model, "--out", str(path),
               "--seed", str(args.seed), "--target", args.target]  # fmt: skip
        for item in args.param:
            cmd += ["--param", item]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        status = "ok" if done.returncode == 0 else f"failed ({done.returncode}): {done.stderr[-2000:]}"
        print(f"{model}: {status}; {time.perf_counter() - start:.0f} s; load {os.getloadavg()[0]:.1f}", flush=True)


def _tests(stats: pd.DataFrame, model: str, refs: list[str]) -> pd.DataFrame:
    keep = stats[(stats.model == model) & stats.reference.isin(refs) & stats.metric.str.startswith("per_drug_")]
    out = keep[["model", "reference", "metric", "n", "model_mean", "reference_mean", "median_diff", "pvalue"]].round(5)
    return out.assign(pvalue=keep["pvalue"].map(lambda p: f"{p:.2g}"))  # small p-values stay readable


def report(args: argparse.Namespace) -> None:
    from cellresponse.evaluate import merge_benchmarks
    from cellresponse.results import read_results

    base = Path(args.out) / args.split
    shards = sorted(p for p in (base / "shards").iterdir() if (p / "config.json").is_file())
    merged = base / "merged"
    res = merge_benchmarks(shards, out=merged, existing="overwrite")  # the merge is re-derived each time
    board = res.leaderboard()
    cols = ["per_drug_pearson_mean", "per_drug_normalized_pearson_mean", "normalized_pearson", "pearson", "rmse"]
    print(f"# GDSC2 {args.target}, split {args.split}: {len(shards)} shards merged into {merged}")
    print(board[[c for c in cols if c in board.columns]].round(4).to_string())
    best = res.config.get("best_baseline")
    fitted = [m for m in res.config["models"] if m not in res.config["baselines"]]
    refs = [r for r in [*args.reference.split(","), best] if r]
    print(f"\nPaired one-sided Wilcoxon over drugs (alternative: model > reference); best baseline: {best}")
    for model in fitted:
        table = _tests(res.stats, model, [r for r in refs if r != model])
        if len(table):
            print(table.to_string(index=False))
    rows = []
    for path in shards:
        shard_res = read_results(path)
        timing = shard_res.timings
        model = path.name
        own = timing[timing.model == model] if model != BASELINES_ONLY else timing
        rows.append({"shard": model, "fit_s_per_fold": round(float(own.groupby("fold").fit_s.sum().mean()), 1),
                     "predict_s_per_fold": round(float(own.groupby("fold").predict_s.sum().mean()), 1),
                     "peak_rss_mb": round(float(shard_res.config.get("peak_rss_mb", float("nan")))),
                     "folds": len(own.fold.unique())})  # fmt: skip
    print("\nCost per shard (fit/predict seconds per fold of the shard's model; peak RSS of its process):")
    print(pd.DataFrame(rows).to_string(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("run", "shard", "report"):
        p = sub.add_parser(name)
        p.add_argument("--split", default="lco")
        p.add_argument("--out", default="results/accuracy")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--target", default="ln_ic50")
        p.add_argument("--param", action="append", default=[])
    sub.choices["run"].add_argument("--models", default="ridge_per_drug,multitask_ridge,stack")
    sub.choices["shard"].add_argument("--model", required=True)
    sub.choices["shard"].add_argument("--folds", default="")
    sub.choices["report"].add_argument("--reference", default="ridge_per_drug")
    args = parser.parse_args()
    {"run": run, "shard": shard, "report": report}[args.cmd](args)


if __name__ == "__main__":
    main()
