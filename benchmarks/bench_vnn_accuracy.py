"""GDSC2 LN_IC50 accuracy of the VNN variants vs MLPs, LightGBM and the naive baselines.

Usage::

    CELLRESPONSE_DATA=../shared/data .venv/bin/python benchmarks/bench_vnn_accuracy.py \
        --out results/bench_vnn [--splits lpo,lco] [--folds 5] [--epochs 30] [--threads 2]

Genes: the GDSC2 omics genes (6,163-gene expression/mutation/CNV views) that map into
GO-BP; the VNNs build their hierarchy from GO-BP for those genes (``ontology="go"``,
DrugCell filters, cached under ``$CELLRESPONSE_CACHE``). Runs the lead's runner
(:func:`cellresponse.evaluate.run_benchmark`) once per split mode and prints the
leaderboards.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cellresponse.datasets import load_dataset
from cellresponse.evaluate import run_benchmark
from cellresponse.splits import make_split

MODELS = ("vnn_drugcell", "vnn_druggene", "mlp_expression", "mlp_cnv", "mlp_all", "lightgbm")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="results/bench_vnn")
    ap.add_argument("--splits", default="lpo,lco")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    data = load_dataset("gdsc2", target="ln_ic50")
    print(data)
    torch_params = {"epochs": args.epochs, "num_threads": args.threads}
    models = args.models.split(",")
    params = {m: dict(torch_params) for m in models if m.startswith(("vnn_", "mlp_"))}
    for mode in args.splits.split(","):
        t0 = time.time()
        split = make_split(data, mode=mode, n_folds=args.folds, seed=0)
        result = run_benchmark(
            data,
            models=models,
            split=split,
            out=Path(args.out) / mode,
            model_params=params,
            config={"script": "benchmarks/bench_vnn_accuracy.py", "mode": mode, **vars(args)},
        )
        print(f"== {mode} ({time.time() - t0:.0f} s)")
        print(result.leaderboard().to_string())


if __name__ == "__main__":
    main()
