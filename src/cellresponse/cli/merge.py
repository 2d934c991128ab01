"""``cellresponse merge SHARD... --out DIR``: combine benchmark shards into one results directory.

Shards are runs of ``cellresponse benchmark`` on the same dataset and split that differ
in ``--only-folds`` or ``--models`` (e.g. run in parallel or on several machines). The
dataset is loaded again from the first shard's config to check its fingerprint; the
merged directory gets the same files and report as one run.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("merge", help="combine benchmark shards (same dataset and split) into one results directory")
    p.add_argument("shards", nargs="+", help="results directories of `cellresponse benchmark` runs")
    p.add_argument("--out", required=True, help="merged results directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cellresponse.config import BenchmarkConfig
    from cellresponse.evaluate import merge_benchmarks, summary_table
    from cellresponse.pipeline import load_for_config
    from cellresponse.report import build_report

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    first = Path(args.shards[0]) / "config.json"
    if not first.is_file():
        raise FileNotFoundError(f"{args.shards[0]} is not a benchmark results directory (no config.json)")
    recorded = json.loads(first.read_text()).get("config", {})
    known = set(BenchmarkConfig.__dataclass_fields__)
    cfg = BenchmarkConfig(**{k: v for k, v in recorded.items() if k in known})
    if cfg.task == "expression":
        raise ValueError("merging expression-task benchmarks is not supported")
    data = load_for_config(cfg)
    result = merge_benchmarks(data, args.shards, out=args.out)
    build_report(args.out)
    split_hash = result.config["split_hash"]
    print(f"cellresponse merge: {len(args.shards)} shards -> {args.out}/ (report.html); split {split_hash}")
    print(summary_table(result.leaderboard(), kind=result.config["perturbation_kind"]).round(3).to_string())
    return 0
