"""The ``cellresponse`` command: one module per subcommand, each thin over the library.

Each subcommand module defines ``add_parser(subparsers)`` (registering its arguments and
``set_defaults(func=run)``) and ``run(args) -> int``. Modules are imported lazily so
``cellresponse --help`` stays fast and does not load torch.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from importlib import import_module

from cellresponse import __version__
from cellresponse.cli._errors import (
    USER_ERRORS,
    error_text,
    flush_stdout,
    interrupted_note,
    quiet_stdout,
    reset_output,
)

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
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS.values():
        try:
            mod = import_module(f"cellresponse.cli.{module}")
        except ModuleNotFoundError as err:
            if err.name == f"cellresponse.cli.{module}":
                continue  # subcommand not built yet in this checkout
            raise
        mod.add_parser(sub)
    for command in sub.choices.values():  # `cellresponse benchmark ... --debug` works as well
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; every failure ends in one line on stderr and an exit status.

    ``2``: bad input (the package's own errors, and ``ValueError``/``KeyError``/missing
    files raised for what the user gave); ``1``: an internal error (a bug: the traceback
    is shown with ``--debug``); ``130``: interrupted (Ctrl-C), naming where partial
    results are; ``141``: the reader of the output went away (``| head``), quietly.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # a usage error (argparse printed it), --help or --version
        return exit_.code if isinstance(exit_.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    command = f"cellresponse {args.command}"
    reset_output()
    try:
        code = int(args.func(args) or 0)
        flush_stdout()
        return code
    except KeyboardInterrupt:
        print(f"{command}: {interrupted_note(getattr(args, 'out', None))}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        quiet_stdout()
        return 141
    except USER_ERRORS as err:
        if args.debug:
            traceback.print_exc()
        print(f"{command}: error: {error_text(err)}", file=sys.stderr)
        return 2
    except Exception as err:
        if args.debug:
            traceback.print_exc()
        print(
            f"{command}: error: internal error ({type(err).__name__}: {error_text(err)}); "
            "this is a bug: rerun with --debug for the traceback and report it",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
