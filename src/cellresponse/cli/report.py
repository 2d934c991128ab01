"""``cellresponse report DIR``: rebuild the HTML report of a results directory (any task)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="rebuild report.html from a benchmark results directory")
    p.add_argument("results_dir")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cellresponse.report import build_report

    print(build_report(args.results_dir))
    return 0
