"""GDSC2 LN_IC50 accuracy of the VNN variants vs MLPs, LightGBM and the naive baselines.

Usage::

    CELLRESPONSE_DATA=../shared/data .venv/bin/python benchmarks/bench_vnn_accuracy.py \
        --out results/bench_vnn [--splits lpo,lco] [--folds 5] [--use-folds 0,1,2,3,4] \
        [--drugs 0] [--epochs 30] [--mlp-epochs 50] [--batch-size 5000] [--threads 2] [--device cpu] \
        [--jobs 1] [--cpu-threads 1] [--rlipp]

Genes: the GDSC2 omics genes (6,163-gene expression/mutation/CNV views) that map into
GO-BP; the VNNs build their hierarchy from GO-BP for those genes (``ontology="go"``,
DrugCell filters, cached under ``$CELLRESPONSE_CACHE``). Runs the lead's runner
(:func:`cellresponse.evaluate.run_benchmark`) once per split mode and prints the
leaderboards.

``--jobs N`` runs the benchmark as shards, one per (split mode, outer fold, model), in N
child processes of this script, then merges each mode's shards with
:func:`cellresponse.evaluate.merge_benchmarks` into ``<out>/<mode>`` (the same files and
scores as one run; the shards stay under ``<out>/shards``). Every shard also fits the
naive baselines, which are deterministic, so the merge checks they agree. ``--device
cuda`` trains the torch models (VNNs, MLPs) there; ``--cpu-threads`` sets LightGBM's
``n_jobs`` and the BLAS threads of the linear models.

Reduced protocols (for a shared 2-core machine) are explicit flags and recorded in
``config.json``: ``--drugs N`` keeps a seeded random subset of N drugs (all their pairs)
before splitting; ``--use-folds`` runs only the listed outer folds of the 5-fold split
(the folds themselves are those of the full split); ``--epochs`` / ``--mlp-epochs`` cap
the VNN / MLP epochs (early stopping still applies); ``--batch-size`` sets both families'
batch size (larger batches encode each distinct cell line once for more pairs, so an epoch
costs less).

``--rlipp`` also fits ``vnn_druggene`` on the first used fold's training part of the
last split mode, scores RLIPP (pooled over drugs, on the fold's test pairs) for the
terms of the upper levels and per drug for the ``--rlipp-drugs`` drugs with the most
test pairs, and writes ``rlipp.csv``, ``rlipp_by_drug.csv`` and ``rlipp_top.png``. The
same model gives the DrugGene paper's embedding PCA plots (``embedding_*.png``, with the
embeddings as CSV): the genotype (root-term) embedding of the test cell lines coloured by
tissue, by response to the most-tested drug and by ``--embedding-gene`` expression, and the
drug embedding coloured by mean training response and by putative target where gdsctools'
``DRUG_DECODE.csv`` names one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

from cellresponse.datasets import load_dataset
from cellresponse.evaluate import RunOptions, merge_benchmarks, run_benchmark
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


def run_rlipp(data, split, out: Path, params: dict, args: argparse.Namespace) -> None:
    """Fit ``vnn_druggene`` on the first fold, then its RLIPP tables and embedding plots."""
    from cellresponse.explain import rlipp
    from cellresponse.models import make_model
    from cellresponse.plotting import plot_rlipp_top

    fold = split.folds[0]
    valid = data[fold.valid] if len(fold.valid) else None
    test = data[fold.test]
    t0 = time.time()
    model_name, n_drugs = "vnn_druggene", args.rlipp_drugs
    model = make_model(model_name, **params[model_name]).fit(data[fold.train], valid=valid)
    terms = list(model.structure_.term_names[-args.rlipp_terms :])  # computation order: the top levels last
    table = rlipp(model, test, terms=terms)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "rlipp.csv", index=False)
    fig = plot_rlipp_top(table, n=20, title=f"RLIPP, {model_name}, {split.mode} fold {fold.fold} test pairs")
    fig.savefig(out / "rlipp_top.png", dpi=120, bbox_inches="tight")
    print(f"== RLIPP ({model_name}, {len(terms)} top terms, {time.time() - t0:.0f} s)")
    print(table.head(15).to_string(index=False))
    if n_drugs:
        counts = pd.Series(test.perturbations).value_counts()
        drugs = list(counts.index[:n_drugs])
        by_drug = rlipp(model, test, terms=terms, by_drug=True, drugs=drugs)
        by_drug.to_csv(out / "rlipp_by_drug.csv", index=False)
        print(f"== RLIPP per drug ({', '.join(map(str, drugs))})")
        print(by_drug.groupby("drug").head(3).to_string(index=False))
    embedding_plots(model, data[fold.train], test, out, gene=args.embedding_gene)


def drug_targets(drugs: pd.Index) -> pd.Series:
    """Putative targets from gdsctools' ``DRUG_DECODE.csv``, matched on normalized drug names.

    That file names only a few drugs, so most points stay grey ("where known").
    """
    from cellresponse._paths import data_root
    from cellresponse.data import normalize_name
    from cellresponse.io import read_gdsctools_drug_decode

    decode = read_gdsctools_drug_decode(data_root() / "gdsc_gdsctools" / "DRUG_DECODE.csv").dropna()
    by_name = dict(zip(decode["drug_name"].map(normalize_name), decode["target"], strict=True))
    return pd.Series([by_name.get(normalize_name(d)) for d in drugs], index=drugs, dtype=object)


def embedding_plots(model, train, test, out: Path, *, gene: str) -> None:
    """The DrugGene-paper PCA plots: genotype (root-term) and drug embeddings, coloured."""
    from cellresponse.explain import drug_embedding, genotype_embedding
    from cellresponse.plotting import plot_embedding_pca

    geno = genotype_embedding(model, test)
    drugs = drug_embedding(model, test)
    geno.to_csv(out / "genotype_embedding.csv")
    drugs.to_csv(out / "drug_embedding.csv")
    tissue = pd.Series(test.tissues, index=test.cell_lines).groupby(level=0).first()
    top_drug = pd.Series(test.perturbations).value_counts().index[0]
    on_top = test.perturbations == top_drug
    response = pd.Series(test.y[on_top], index=test.cell_lines[on_top]).groupby(level=0).mean()
    drug_mean = pd.Series(train.y, index=train.perturbations).groupby(level=0).mean()
    expression = test.cell_view("expression").to_frame()
    plots = {
        "genotype_by_tissue": (geno, tissue, "tissue"),
        "genotype_by_response": (geno, response, f"{test.target}, {top_drug}"),
        "drug_by_response": (drugs, drug_mean, f"mean training {train.target}"),
        "drug_by_target": (drugs, drug_targets(drugs.index), "putative target"),
    }
    if gene in expression.columns:
        plots["genotype_by_expression"] = (geno, expression[gene], f"{gene} expression")
    else:
        print(f"embedding plots: gene {gene!r} is not in the expression view; its plot is skipped")
    for name, (emb, color, label) in plots.items():
        fig = plot_embedding_pca(emb, color=color, color_label=label, title=f"{name.split('_')[0]} embedding PCA")
        fig.savefig(out / f"embedding_{name}.png", dpi=120, bbox_inches="tight")
    print(f"== embedding PCA plots: {', '.join(plots)}")


def model_params(args: argparse.Namespace, models: list[str]) -> dict[str, dict[str, object]]:
    params: dict[str, dict[str, object]] = {}
    for m in models:
        if m.startswith(("vnn_", "mlp_")):
            params[m] = {"trainer__num_threads": args.threads, "trainer__device": args.device}
            if args.batch_size is not None:
                params[m]["trainer__batch_size"] = args.batch_size
            cap = args.epochs if m.startswith("vnn_") else args.mlp_epochs
            if cap is not None:
                params[m]["trainer__epochs"] = cap
        elif m.startswith("lightgbm"):
            params[m] = {"n_jobs": args.cpu_threads}
    return params


def load(args: argparse.Namespace):
    data = load_dataset("gdsc2", target="ln_ic50")
    if args.drugs:
        drugs = np.unique(data.perturbations)
        keep = np.random.default_rng(0).choice(drugs, size=min(args.drugs, len(drugs)), replace=False)
        data = data.subset(np.isin(data.perturbations, keep))
    return data


def run_shards(args: argparse.Namespace, models: list[str], modes: list[str]) -> None:
    """Run one child process per (mode, fold, model), ``args.jobs`` at a time, then merge."""
    root = Path(args.out)
    folds = [int(f) for f in args.use_folds.split(",")] if args.use_folds else list(range(args.folds))
    # longest first: the VNNs, then the MLPs, then the rest
    rank = {m: (0 if m.startswith("vnn_") else 1 if m.startswith("mlp_") else 2) for m in models}
    jobs = [(mode, f, m) for m in sorted(models, key=rank.__getitem__) for mode in modes for f in folds]
    passthrough = ["--folds", str(args.folds), "--drugs", str(args.drugs), "--device", args.device]
    passthrough += ["--cpu-threads", str(args.cpu_threads)]
    capped = (("--epochs", args.epochs), ("--mlp-epochs", args.mlp_epochs), ("--batch-size", args.batch_size))
    for flag, value in (*capped, ("--threads", args.threads)):
        if value is not None:
            passthrough += [flag, str(value)]
    env = {
        **os.environ,
        **{v: str(args.cpu_threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    }

    def child(name: str, out: Path, cmd: list[str]) -> tuple[str, int, float]:
        out.mkdir(parents=True, exist_ok=True)
        t0 = time.time()
        with open(out / "log.txt", "w") as log:
            rc = subprocess.run([sys.executable, __file__, "--out", str(out), *cmd], stdout=log,
                                stderr=subprocess.STDOUT, env=env).returncode  # fmt: skip
        return name, rc, time.time() - t0

    commands = [
        (str(job), root / "shards" / job[0] / f"fold{job[1]}_{job[2]}",
         ["--splits", job[0], "--use-folds", str(job[1]), "--models", job[2], "--shard", *passthrough])
        for job in jobs
    ]  # fmt: skip
    if args.rlipp:  # refits vnn_druggene on the first fold of the last mode, after the shards
        commands.append(
            ("rlipp", root / "rlipp",
             ["--splits", modes[-1], "--use-folds", str(folds[0]), "--models", "vnn_druggene", "--rlipp",
              "--rlipp-only", "--rlipp-terms", str(args.rlipp_terms), "--rlipp-drugs", str(args.rlipp_drugs),
              "--embedding-gene", args.embedding_gene,
              *passthrough])
        )  # fmt: skip
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for fut in as_completed([pool.submit(child, *c) for c in commands]):
            name, rc, secs = fut.result()
            print(f"shard {name}: rc={rc} {secs:.0f} s (elapsed {time.time() - t0:.0f} s)", flush=True)
    for mode in modes:
        shards = sorted((root / "shards" / mode).glob("fold*_*"))
        done = [p / mode for p in shards if (p / mode / "config.json").exists()]
        result = merge_benchmarks(done, out=root / mode)
        print(f"== {mode}: merged {len(done)} shards")
        print(result.leaderboard().to_string())
    print(f"== total {time.time() - t0:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="results/bench_vnn")
    ap.add_argument("--splits", default="lpo,lco")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--use-folds", default=None, help="comma-separated outer folds to run (default all)")
    ap.add_argument("--drugs", type=int, default=0, help="seeded random subset of this many drugs (0 = all)")
    ap.add_argument("--epochs", type=int, default=None, help="VNN epoch cap (default: the model's)")
    ap.add_argument("--mlp-epochs", type=int, default=None, help="MLP epoch cap (default: the model's)")
    ap.add_argument("--batch-size", type=int, default=None, help="VNN and MLP batch size (default: the model's)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads of the VNNs and MLPs")
    ap.add_argument("--device", default="cpu", help="torch device of the VNNs and MLPs")
    ap.add_argument("--cpu-threads", type=int, default=1, help="LightGBM n_jobs and BLAS threads")
    ap.add_argument("--jobs", type=int, default=1, help="run shards in this many processes, then merge")
    ap.add_argument("--shard", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--rlipp", action="store_true")
    ap.add_argument("--rlipp-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rlipp-terms", type=int, default=300)
    ap.add_argument("--rlipp-drugs", type=int, default=5)
    ap.add_argument("--embedding-gene", default="EGFR", help="gene whose expression colours the genotype PCA")
    args = ap.parse_args()
    models = args.models.split(",")
    modes = args.splits.split(",")
    if args.jobs > 1:
        run_shards(args, models, modes)
        return
    data = load(args)
    print(data)
    params = model_params(args, models)
    for mode in modes:
        t0 = time.time()
        split = make_split(data, mode=mode, n_folds=args.folds, seed=0)
        if args.use_folds is not None:
            split = split.select_folds(int(f) for f in args.use_folds.split(","))
        out = Path(args.out) / mode
        if args.rlipp_only:
            run_rlipp(data, split, Path(args.out), params, args)
            continue
        result = run_benchmark(
            data,
            models=models,
            split=split,
            out=out,
            model_params=params,
            options=RunOptions(
                progress=False, config={"script": "benchmarks/bench_vnn_accuracy.py", "mode": mode, **vars(args)}
            ),
        )
        print(f"== {mode} ({time.time() - t0:.0f} s, load {os.getloadavg()})")
        print(result.leaderboard().to_string())
        print(result.timings.to_string())
        if args.rlipp and not args.shard and "vnn_druggene" in models and mode == modes[-1]:
            run_rlipp(data, split, out, params, args)


if __name__ == "__main__":
    main()
