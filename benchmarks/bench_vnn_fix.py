"""``vnn_druggene`` on GDSC2 ln IC50 leave-cell-line-out (5 folds): the GO hierarchy against
the seeded random hierarchy of the same construction (``ontology="random"``), embedding
dimensionality, and RLIPP stability across two seeds.

    python benchmarks/bench_vnn_fix.py select --out results/vnn_fix
    python benchmarks/bench_vnn_fix.py run --out results/vnn_fix [--variants go,random] [--folds 0,1,2,3,4]
    python benchmarks/bench_vnn_fix.py rlipp --out results/vnn_fix
    python benchmarks/bench_vnn_fix.py report --out results/vnn_fix

``select`` decides the prediction head on inner validation only: on fold 0 it fits the
GO model with each candidate head (``HEADS``) on the training part (the inner validation
part for early stopping) and scores the inner validation part (mean per-drug Pearson, and
the embedding shares); the head with the higher per-drug Pearson is written to
``<out>/select.json`` and used by ``run`` and ``rlipp`` for both hierarchies. The test
part is not read. ``run`` fits one (variant, fold) per child process through the benchmark engine
(``run_benchmark``: the naive baselines + ``vnn_druggene``) into ``<out>/<variant>/f<k>``;
a finished shard is skipped. Each shard's ``extras/vnn_druggene.embedding.csv`` holds the
share of variance on the first principal components of the root neurons, of the
genotype embedding the prediction head reads and of the drug embedding, over the fold's
test cell lines and drugs (a one-dimensional embedding has pc1 ~ 1). ``report`` merges
each variant's folds, prints per-drug Pearson, the paired one-sided Wilcoxon test over
drugs of GO against random (fold-averaged per-drug r), the embedding shares and the fit
seconds per fold. ``rlipp`` fits the GO model with seeds 0 and 1 on fold 0 (training
part, inner validation for early stopping), scores pooled RLIPP on a seeded subsample of
the fold's test pairs for the ``--terms`` terms nearest the root (by level), and prints the
Spearman correlation of the two seeds' scores and the overlap of their top-20 terms.

Reduced protocol for a shared 2-core machine (recorded in each shard's ``config.json``):
batch 5,000 and at most 8 epochs (early stopping on the inner validation part, patience 3).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MODEL = "vnn_druggene"
PARAMS: dict[str, object] = {
    "trainer__batch_size": 5000,
    "trainer__epochs": 8,
    "trainer__num_threads": 1,
}
VARIANTS = {"go": {"ontology": "go"}, "random": {"ontology": "random"}}
#: Candidate prediction heads for ``select``: DrugCell's joint layer over the root's
#: neurons and the drug embedding, and a drug-conditioned bilinear head over the root and
#: its children (a drug-specific direction in the genotype embedding, so more than one
#: axis of it can matter).
HEADS: dict[str, dict[str, object]] = {"drugcell": {"head": "drugcell"}, "bilinear": {"head": "bilinear"}}


def _chosen(out: Path) -> dict[str, object]:
    """The head chosen by ``select`` (the model's default when ``select`` was not run)."""
    path = out / "select.json"
    return dict(json.loads(path.read_text())["params"]) if path.is_file() else {}


def _data_split() -> tuple[Any, Any]:
    """GDSC2 and its 5-fold LCO split, limited (as the engine limits it) to the rows whose
    cell line has every view the model reads."""
    from cellresponse.datasets import load_dataset
    from cellresponse.evaluate import apply_row_filter
    from cellresponse.splits import make_split

    data = load_dataset("gdsc2", target="ln_ic50")
    split = make_split(data, mode="lco", n_folds=5, seed=0)
    return data, apply_row_filter(data, split, models=[MODEL], params={})[0]


def shard(args: argparse.Namespace) -> None:
    from cellresponse.evaluate import RunOptions, run_benchmark

    data, split = _data_split()
    split = split.select_folds([int(args.fold)])
    chosen = _chosen(Path(args.select_dir)) if args.select_dir else {}
    params = {MODEL: {**PARAMS, **chosen, **VARIANTS[args.variant]}}
    config = {"benchmark": "bench_vnn_fix.py", "variant": args.variant, "protocol": "batch 5000, <= 8 epochs",
              "chosen_on_inner_validation": chosen}  # fmt: skip
    run_benchmark(data, models=[MODEL], split=split, out=args.out, model_params=params, seed=0,
                  options=RunOptions(progress=False, config=config, existing="resume"))  # fmt: skip


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    # fold by fold, both hierarchies per fold, so a stopped run still leaves paired folds
    for fold in args.folds.split(","):
        for variant in args.variants.split(","):
            path = out / variant / f"f{fold}"
            cfg = path / "config.json"
            if cfg.is_file() and json.loads(cfg.read_text()).get("complete"):
                continue
            cmd = [sys.executable, __file__, "shard", "--variant", variant, "--fold", fold, "--out", str(path),
                   "--select-dir", str(out)]  # fmt: skip
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            status = "ok" if done.returncode == 0 else f"failed: {done.stderr[-1500:]}"
            print(f"{variant} fold {fold}: {status}; {time.perf_counter() - start:.0f} s", flush=True)


def select(args: argparse.Namespace) -> None:
    from cellresponse.models import make_model
    from cellresponse.models.multitask import per_group_pearson
    from cellresponse.models.vnn import pc_shares

    data, split = _data_split()
    fold = split.folds[0]
    train, valid = data[fold.train], data[fold.valid]
    rows = []
    for name, head in HEADS.items():
        start = time.perf_counter()
        model = make_model(MODEL, **PARAMS, **head, random_state=0).fit(train, valid=valid)
        score = per_group_pearson(valid.y, model.predict(valid), valid.perturbations)
        embeddings = {"genotype": model.genotype_embedding(valid)[1], "drug": model.drug_embedding(valid)[1]}
        shares = {f"{emb}_pc1": pc_shares(x)["pc1"] for emb, x in embeddings.items()}
        rows.append({"head": name, "valid_per_drug_pearson": score, **shares, "fit_s": time.perf_counter() - start})
        print(json.dumps(rows[-1]), flush=True)
    best = max(rows, key=lambda r: r["valid_per_drug_pearson"])
    result = {"fold": 0, "part": "inner validation", "candidates": rows, "params": HEADS[str(best["head"])]}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "select.json").write_text(json.dumps(result, indent=2))
    print(f"chosen: {best['head']}")


def rlipp_stability(args: argparse.Namespace) -> None:
    from scipy.stats import spearmanr

    from cellresponse.explain import RLIPPProbe, rlipp
    from cellresponse.models import make_model

    data, split = _data_split()
    fold = split.folds[0]
    train, valid, test = data[fold.train], data[fold.valid], data[fold.test]
    rows = np.sort(np.random.default_rng(0).choice(len(test), size=min(args.pairs, len(test)), replace=False))
    sample = test[rows]
    tables = {}
    for seed in (0, 1):
        start = time.perf_counter()
        model = make_model(MODEL, **PARAMS, **_chosen(Path(args.out)), random_state=seed).fit(train, valid=valid)
        # the same terms for both seeds: the structure depends on the data, not on the seed
        order = np.lexsort((model.structure_.term_names, -model.structure_.term_level))
        top = [model.structure_.term_names[i] for i in order[: args.terms]]
        tables[seed] = rlipp(model, sample, terms=top, probe=RLIPPProbe(n_splits=3)).set_index("term")["rlipp"]
        print(f"seed {seed}: fit + RLIPP {time.perf_counter() - start:.0f} s, {len(top)} terms", flush=True)
    both = pd.concat(tables, axis=1).dropna()
    rho = spearmanr(both[0], both[1]).statistic
    top0, top1 = set(both[0].nlargest(20).index), set(both[1].nlargest(20).index)
    result = {"terms": len(both), "spearman": float(rho), "top20_overlap": len(top0 & top1), "pairs": len(sample)}
    both.to_csv(Path(args.out) / "rlipp_seeds.csv")
    (Path(args.out) / "rlipp_stability.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


def report(args: argparse.Namespace) -> None:
    from cellresponse.evaluate import merge_benchmarks
    from cellresponse.metrics import paired_wilcoxon
    from cellresponse.results import read_results

    out = Path(args.out)
    per_drug, merged = {}, {}
    for variant in args.variants.split(","):
        shards = sorted(p for p in (out / variant).glob("f*") if (p / "config.json").is_file())
        if not shards:
            continue
        if len(shards) > 1:  # the merge is re-derived each time
            res = merge_benchmarks(shards, out=out / f"{variant}_merged", existing="overwrite")
        else:
            res = read_results(shards[0])
        merged[variant] = res
        summ = res.summary
        rows = summ[(summ.model == MODEL) & (summ.metric == "pearson") & (summ.group_by == "drug")]
        per_drug[variant] = rows.set_index("group")["value"]
        board = res.board if hasattr(res, "board") else res.leaderboard
        cols = ["per_drug_pearson_mean", "per_drug_normalized_pearson_mean", "normalized_pearson"]
        print(f"## {variant}: {len(shards)} fold(s)")
        print(board[[c for c in cols if c in board.columns]].round(4).to_string())
        emb = pd.concat([read_results(p).extras("embedding").get(MODEL, pd.DataFrame()) for p in shards])
        if len(emb):
            print(emb.groupby("embedding")[["pc1", "pc2", "pc3", "width"]].mean().round(4).to_string())
        timing = pd.concat([read_results(p).timings for p in shards])
        own = timing[timing.model == MODEL]
        print(f"fit s per fold {own.fit_s.mean():.0f} (n={len(own)}); peak RSS {own.peak_rss_mb.max():.0f} MB")
    if {"go", "random"} <= set(per_drug):
        a, b = per_drug["go"].align(per_drug["random"], join="inner")
        test = paired_wilcoxon(a, b, alternative="greater")
        print(f"\nGO vs random, per-drug Pearson over {len(a)} drugs: {a.mean():.4f} vs {b.mean():.4f}; {test}")
    chosen = out / "select.json"
    if chosen.is_file():
        table = pd.DataFrame(json.loads(chosen.read_text())["candidates"]).set_index("head")
        print("\nHead chosen on fold 0's inner validation part:\n" + table.round(4).to_string())
    stab = out / "rlipp_stability.json"
    if stab.is_file():
        print("RLIPP stability across seeds:", stab.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("select", "run", "shard", "rlipp", "report"):
        p = sub.add_parser(name)
        p.add_argument("--out", default="results/vnn_fix")
        p.add_argument("--variants", default="go,random")
    sub.choices["run"].add_argument("--folds", default="0,1,2,3,4")
    sub.choices["shard"].add_argument("--variant", required=True)
    sub.choices["shard"].add_argument("--fold", required=True)
    sub.choices["shard"].add_argument("--select-dir", default="", help="where select.json is (default: none)")
    sub.choices["rlipp"].add_argument("--pairs", type=int, default=5000)
    sub.choices["rlipp"].add_argument("--terms", type=int, default=100)
    args = parser.parse_args()
    {"select": select, "run": run, "shard": shard, "rlipp": rlipp_stability, "report": report}[args.cmd](args)


if __name__ == "__main__":
    main()
