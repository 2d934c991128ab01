"""Argument helpers shared by the subcommands: lists, range-checked numbers, output flags."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cellresponse.results import Existing


def split_list(value: str | None) -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; ``None`` stays ``None``."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def int_at_least(low: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer >= ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def seed(text: str) -> int:
    """An argparse ``type``: a seed in ``[0, 2**32)``."""
    value = int_at_least(0)(text)
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"expected a seed in [0, 2**32), got {value}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def fraction(text: str) -> float:
    """An argparse ``type``: a number in ``[0, 1)``."""
    value = _number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def probability(text: str) -> float:
    """An argparse ``type``: a number in ``(0, 1]``."""
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def positive_number(text: str) -> float:
    """An argparse ``type``: a finite number > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def add_output_flags(parser: Any, *, resume: bool = False) -> None:
    """``--overwrite`` (and, for benchmarks, ``--resume``) of a command writing a directory."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the outputs of an earlier run in --out (a non-empty --out is refused otherwise)",
    )
    if resume:
        group.add_argument(
            "--resume",
            action="store_true",
            help="continue an interrupted run in --out from its completed (model, fold) cells",
        )


def existing(args: argparse.Namespace) -> Existing:
    """``"resume"``, ``"overwrite"`` or ``"refuse"`` from the output flags."""
    if getattr(args, "resume", False):
        return "resume"
    return "overwrite" if getattr(args, "overwrite", False) else "refuse"


__all__ = [
    "add_output_flags",
    "existing",
    "fraction",
    "int_at_least",
    "positive_number",
    "probability",
    "seed",
    "split_list",
]
