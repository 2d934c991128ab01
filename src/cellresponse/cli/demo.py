"""``cellresponse demo``: the benchmark on the embedded real GDSC2 subset, offline."""

from __future__ import annotations

import argparse
import time
from typing import Any

from cellresponse.cli._args import add_output_flags, existing, seed
from cellresponse.cli._errors import note_output

DEMO_MODELS = ["elastic_net", "ridge_per_drug", "lightgbm"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="benchmark models on the embedded GDSC2 subset (offline, ~1-2 min)")
    p.add_argument("--out", default="results/demo", help="results directory (default results/demo)")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--no-progress", action="store_true")
    add_output_flags(p, resume=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cellresponse import pipeline
    from cellresponse.config import BenchmarkConfig
    from cellresponse.datasets import load_dataset

    note_output(args.out)
    data = load_dataset("gdsc2_demo")
    cfg = BenchmarkConfig(
        dataset="gdsc2_demo",
        target=data.target,
        split="lco",
        folds=5,
        task="response",
        seed=args.seed,
        models=DEMO_MODELS,
        out=args.out,
        progress=not args.no_progress,
    )
    print(
        f"cellresponse demo: leave-cell-line-out 5-fold benchmark of {', '.join(DEMO_MODELS)} and the naive "
        f"baselines on the embedded real GDSC2 subset ({len(data)} pairs, "
        f"{data.obs['cell_line'].nunique()} cell lines, {data.obs['perturbation'].nunique()} drugs, "
        f"target {data.target}); report: {args.out}/report.html"
    )
    t0 = time.perf_counter()
    result = pipeline.benchmark(cfg, data=data, existing=existing(args))
    print(result.summary_table().round(3).to_string())
    print(f"done in {time.perf_counter() - t0:.0f} s; open {args.out}/report.html")
    return 1 if result.failures else 0
