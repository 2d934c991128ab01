"""Argument helpers shared by the subcommands."""

from __future__ import annotations


def split_list(value: str | None) -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; ``None`` stays ``None``."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


__all__ = ["split_list"]
