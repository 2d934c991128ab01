"""Real-data expression benchmark (LINCS L1000 subsets): every model and baseline, with the
drug and dose/time shuffle ablation.

Settings:
- A375 plate (LJP005, 47 compounds with SMILES x 6 doses, 24 h): leave-compound-out
  (5 random folds), held-out dose (interpolation and extrapolation);
- 272-signature cmapR set (155 (cell, compound, dose, time) keys with a basal profile):
  leave-cell-line-out (5 folds).

Usage: python benchmarks/bench_expression_real.py [--out results/bench_expression_real] [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from cellresponse.datasets import load_dataset
from cellresponse.evaluate import RunOptions, run_benchmark
from cellresponse.report import build_report
from cellresponse.splits import make_split

SETTINGS = [
    ("a375_leave_compound_out", "a375", "compound"),
    ("a375_dose_interpolation", "a375", "dose_interpolation"),
    ("a375_dose_extrapolation", "a375", "dose_extrapolation"),
    ("lincs272_leave_cell_line_out", "272", "cell_line"),
]


def _dosetime_tests(result: Any) -> str:
    """expr_dosetime against expr_ridge, expr_drug_blind and itself with the drug shuffled:
    paired two-sided Wilcoxon tests of the per-signature and per-compound Pearson r."""
    stats = result.stats
    refs = ["expr_ridge", "expr_drug_blind", "expr_dosetime|shuffle_drug", "expr_dosetime|shuffle_dose_time"]
    keep = stats[(stats["model"] == "expr_dosetime") & stats["reference"].isin(refs) & (stats["metric"] == "pearson")]
    cols = ["reference", "over", "n", "model_mean", "reference_mean", "median_diff", "pvalue"]
    return keep[[c for c in cols if c in keep.columns]].round(4).to_string(index=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="results/bench_expression_real")
    parser.add_argument("--quick", action="store_true", help="few epochs (smoke run)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out)
    # patience 29: stop at the 30th epoch without improvement
    epochs = 5 if args.quick else 300
    params = {"expr_dosetime": {"trainer__epochs": epochs, "trainer__patience": 29, "trainer__num_threads": 1}}
    data = {"a375": load_dataset("lincs_a375"), "272": load_dataset("lincs_272")}
    lines = []
    for name, ds_key, mode in SETTINGS:
        ds = data[ds_key]
        split = make_split(ds, mode=mode, n_folds=5, seed=args.seed)
        load = os.getloadavg()
        start = time.perf_counter()
        options = RunOptions(progress=False, existing="overwrite")  # the script reruns every setting
        result = run_benchmark(ds, models=["expr_dosetime"], split=split, out=out / name, seed=args.seed,
                               model_params=params, options=options)  # fmt: skip
        build_report(out / name)
        secs = time.perf_counter() - start
        table = result.leaderboard()
        abl = result.ablation[result.ablation["metric"] == "pearson"]
        abl = abl.pivot_table(index="model", columns="ablation", values="ablated")
        abl.columns = [f"pearson|{c}" for c in abl.columns]
        shown = table[["pearson", "delta_pearson", "spearman", "rmse", "precision_up@50", "precision_down@50"]].join(
            abl
        )
        header = (
            f"## {name}: {ds.name}, split {mode} ({split.n_folds} fold(s), hash {split.hash}); "
            f"{len(ds)} signatures; {secs:.0f} s; load {load[0]:.2f}"
        )
        print(header)
        text = shown.round(3).to_string()
        tests = _dosetime_tests(result)
        print(text, flush=True)
        print(tests, flush=True)
        lines += [header, "", "```", text, "", tests, "```", ""]
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    lines.append(f"uptime at end: {uptime}")
    (out / "summary.md").write_text("\n".join(lines))
    print(uptime)


if __name__ == "__main__":
    main()
