"""The ``cellresponse`` command: one module per subcommand, each thin over the library.

Each subcommand module defines ``add_parser(subparsers)`` (registering its arguments and
``set_defaults(func=run)``) and ``run(args) -> int``. Modules are imported lazily so
``cellresponse --help`` stays fast and does not load torch.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from cellresponse import __version__

# Subcommand name -> module under cellresponse.cli.
SUBCOMMANDS: dict[str, str] = {
    "demo": "demo",
    "benchmark": "benchmark",
    "train": "train",
    "predict": "predict",
    "report": "report",
    "merge": "merge",
    "data": "data",
    "de": "de",
    "explore": "explore",
    "enrich": "enrich",
    "serve": "serve",
    "biomarkers": "biomarkers",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cellresponse",
        description="Predict cancer-cell responses to perturbations and evaluate them honestly.",
    )
    parser.add_argument("--version", action="version", version=f"cellresponse {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS.values():
        try:
            mod = import_module(f"cellresponse.cli.{module}")
        except ModuleNotFoundError as err:
            if err.name == f"cellresponse.cli.{module}":
                continue  # subcommand not built yet in this checkout
            raise
        mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except (ValueError, KeyError, FileNotFoundError, TypeError) as err:
        # User errors: one clear line, no traceback. Programming errors still raise.
        msg = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"cellresponse {args.command}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
