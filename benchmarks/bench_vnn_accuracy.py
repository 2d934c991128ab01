"""GDSC2 LN_IC50 accuracy of the VNN variants vs MLPs, LightGBM and the naive baselines.

Usage::

    CELLRESPONSE_DATA=../shared/data .venv/bin/python benchmarks/bench_vnn_accuracy.py \
        --out results/bench_vnn [--splits lpo,lco] [--folds 5] [--use-folds 0,1,2,3,4] \
        [--drugs 0] [--epochs 30] [--mlp-epochs 50] [--threads 2] [--rlipp]

Genes: the GDSC2 omics genes (6,163-gene expression/mutation/CNV views) that map into
GO-BP; the VNNs build their hierarchy from GO-BP for those genes (``ontology="go"``,
DrugCell filters, cached under ``$CELLRESPONSE_CACHE``). Runs the lead's runner
(:func:`cellresponse.evaluate.run_benchmark`) once per split mode and prints the
leaderboards.

Reduced protocols (for a shared 2-core machine) are explicit flags and recorded in
``config.json``: ``--drugs N`` keeps a seeded random subset of N drugs (all their pairs)
before splitting; ``--use-folds`` runs only the listed outer folds of the 5-fold split
(the folds themselves are those of the full split); ``--epochs`` / ``--mlp-epochs`` cap
the VNN / MLP epochs (early stopping still applies).

``--rlipp`` also fits ``vnn_druggene`` on the first used fold's training part, scores
RLIPP (pooled over drugs, on the fold's test pairs) for the terms of the upper levels
and writes ``rlipp.csv`` and ``rlipp_top.png`` into the output folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

import numpy as np

from cellresponse.datasets import load_dataset
from cellresponse.evaluate import run_benchmark
from cellresponse.splits import make_split

MODELS = (
    "vnn_drugcell",
    "vnn_druggene",
    "mlp_expression",
    "mlp_cnv",
    "mlp_all",
    "lightgbm",
    "ridge_per_drug",
)


def run_rlipp(model_name: str, data, split, out: Path, params: dict, n_terms: int) -> None:
    from cellresponse.explain import rlipp
    from cellresponse.models import make_model
    from cellresponse.plotting._vnn import plot_rlipp_top  # not re-exported by cellresponse.plotting yet

    fold = split.folds[0]
    valid = data[fold.valid] if len(fold.valid) else None
    t0 = time.time()
    model = make_model(model_name, **params).fit(data[fold.train], valid=valid)
    terms = list(model.structure_.term_names[-n_terms:])  # computation order: the top levels last
    table = rlipp(model, data[fold.test], terms=terms)
    table.to_csv(out / "rlipp.csv", index=False)
    fig = plot_rlipp_top(table, n=20, title=f"RLIPP, {model_name}, fold {fold.fold} test pairs")
    fig.savefig(out / "rlipp_top.png", dpi=120, bbox_inches="tight")
    print(f"== RLIPP ({model_name}, {len(terms)} top terms, {time.time() - t0:.0f} s)")
    print(table.head(15).to_string(index=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="results/bench_vnn")
    ap.add_argument("--splits", default="lpo,lco")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--use-folds", default=None, help="comma-separated outer folds to run (default all)")
    ap.add_argument("--drugs", type=int, default=0, help="seeded random subset of this many drugs (0 = all)")
    ap.add_argument("--epochs", type=int, default=None, help="VNN epoch cap (default: the model's)")
    ap.add_argument("--mlp-epochs", type=int, default=None, help="MLP epoch cap (default: the model's)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--rlipp", action="store_true")
    ap.add_argument("--rlipp-terms", type=int, default=300)
    args = ap.parse_args()
    data = load_dataset("gdsc2", target="ln_ic50")
    if args.drugs:
        drugs = np.unique(data.perturbations)
        keep = np.random.default_rng(0).choice(drugs, size=min(args.drugs, len(drugs)), replace=False)
        data = data.subset(np.isin(data.perturbations, keep))
    print(data)
    models = args.models.split(",")
    params: dict[str, dict[str, object]] = {}
    for m in models:
        if m.startswith(("vnn_", "mlp_")):
            params[m] = {"num_threads": args.threads}
            cap = args.epochs if m.startswith("vnn_") else args.mlp_epochs
            if cap is not None:
                params[m]["epochs"] = cap
    for mode in args.splits.split(","):
        t0 = time.time()
        split = make_split(data, mode=mode, n_folds=args.folds, seed=0)
        if args.use_folds is not None:
            wanted = {int(f) for f in args.use_folds.split(",")}
            split = dataclasses.replace(split, folds=tuple(f for f in split.folds if f.fold in wanted))
        out = Path(args.out) / mode
        result = run_benchmark(
            data,
            models=models,
            split=split,
            out=out,
            model_params=params,
            config={"script": "benchmarks/bench_vnn_accuracy.py", "mode": mode, **vars(args)},
            progress=False,
        )
        print(f"== {mode} ({time.time() - t0:.0f} s, load {os.getloadavg()})")
        print(result.leaderboard().to_string())
        print(result.timings.to_string())
        if args.rlipp and "vnn_druggene" in models:
            run_rlipp("vnn_druggene", data, split, out, params["vnn_druggene"], args.rlipp_terms)


if __name__ == "__main__":
    main()
