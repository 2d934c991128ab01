"""``cellresponse merge SHARD... --out DIR``: combine benchmark shards into one results directory.

Shards are runs of ``cellresponse benchmark`` on the same dataset and split that differ
in ``--only-folds`` or ``--models`` (e.g. run in parallel or on several machines), of any
task. They are re-scored from their written predictions; the merged directory gets the
same files and report as one run.
"""

from __future__ import annotations

import argparse
from typing import Any

from cellresponse.cli._args import add_output_flags, existing
from cellresponse.cli._errors import note_output


def add_parser(sub: Any) -> None:
    p = sub.add_parser("merge", help="combine benchmark shards (same dataset and split) into one results directory")
    p.add_argument("shards", nargs="+", help="results directories of `cellresponse benchmark` runs")
    p.add_argument("--out", required=True, help="merged results directory")
    add_output_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cellresponse.evaluate import merge_benchmarks
    from cellresponse.report import build_report

    note_output(args.out)
    result = merge_benchmarks(args.shards, out=args.out, existing=existing(args))
    build_report(args.out)
    split = result.config["split_hash"]
    print(f"cellresponse merge: {len(args.shards)} shards -> {args.out}/ (report.html); split {split}")
    print(result.summary_table().round(3).to_string())
    return 0
