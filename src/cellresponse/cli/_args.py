"""Helpers shared by the ``de``, ``explore`` and ``enrich`` subcommands: run.json, hashes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cellresponse._types import PathLike


def file_sha256(path: PathLike) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_run_json(
    out: Path,
    *,
    command: str,
    config: Any,
    inputs: Iterable[PathLike | None],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``out/run.json``: resolved config, package version, input file hashes."""
    from cellresponse import __version__

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        cfg = dataclasses.asdict(config)
    else:
        cfg = dict(config)
    record = {
        "command": command,
        "cellresponse_version": __version__,
        "python": sys.version.split()[0],
        "config": cfg,
        "inputs": {
            str(Path(p).resolve()): {"sha256": file_sha256(p), "bytes": Path(p).stat().st_size}
            for p in inputs
            if p is not None
        },
    }
    if extra:
        record.update(extra)
    path = out / "run.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def split_list(value: str | None) -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; ``None`` stays ``None``."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


__all__ = ["file_sha256", "split_list", "write_run_json"]
