"""What the service holds: its settings and the served bundles (with a prediction table).

A response bundle's predictions for every (known cell line, known drug) pair are computed
once at start, through the same library function a request uses
(:func:`cellresponse.pipeline.predict_response`), so a request naming known IDs only is a
table lookup; anything new (omics rows, SMILES) goes through the model per request.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.pipeline import Bundle, known_cell_lines, predict_response, read_bundle

log = logging.getLogger("cellresponse")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


@dataclass(frozen=True)
class ServiceSettings:
    """Limits and switches of one service.

    Attributes
    ----------
    max_body_bytes
        Largest request body (HTTP 413 beyond).
    max_pairs
        Most (cell line, drug) pairs one response request may ask for.
    max_library
        Most compounds one repurposing request may upload.
    timeout_s
        Wall-clock limit of one request's computation (HTTP 503 beyond).
    max_table_pairs
        Largest known-pairs table precomputed per response bundle (beyond: model per request).
    threads
        Worker threads for CPU work (the event loop never computes).
    """

    max_body_bytes: int = 32 * 1024 * 1024
    max_pairs: int = 100_000
    max_library: int = 5_000
    timeout_s: float = 60.0
    max_table_pairs: int = 2_000_000
    threads: int = 8

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_pairs", "max_library", "max_table_pairs", "threads"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s!r}")

    def limits(self) -> dict[str, float]:
        return {
            "max_body_bytes": self.max_body_bytes,
            "max_pairs": self.max_pairs,
            "max_library": self.max_library,
            "timeout_s": self.timeout_s,
        }


@dataclass(eq=False)
class ServedModel:
    """A bundle under its served name, with the known-pairs table of a response bundle.

    ``lock`` serializes calls into the model: estimators are not promised to be
    thread-safe (a torch model sets its thread count and RNG around ``predict``), and the
    pool runs requests in several threads. Table lookups need no lock.
    """

    name: str
    bundle: Bundle
    table: dict[str, np.ndarray] | None = None
    cell_pos: dict[str, int] = field(default_factory=dict)
    drug_pos: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def task(self) -> str:
        return self.bundle.task

    def warm(self, *, max_table_pairs: int) -> None:
        """Load the model and reference; precompute the known-pairs table (response)."""
        self.bundle.model()
        self.bundle.reference()
        if self.task != "response":
            return
        cells, aliases = known_cell_lines(self.bundle)
        drugs = list(self.bundle.perturbations().index)
        if not cells or not drugs or len(cells) * len(drugs) > max_table_pairs:
            return
        grid = pd.DataFrame({"cell_line": np.repeat(cells, len(drugs)), "drug": np.tile(drugs, len(cells))})
        frame = predict_response(self.bundle, grid)
        self.table = {str(c): frame[c].to_numpy() for c in frame.columns if c not in ("cell_line", "drug")}
        self.cell_pos = {c: i for i, c in enumerate(cells)}
        self.cell_pos.update({a: self.cell_pos[i] for a, i in aliases.items()})
        self.drug_pos = {d: i for i, d in enumerate(drugs)}

    def lookup(self, cells: list[str], drugs: list[str]) -> dict[str, np.ndarray] | None:
        """Prediction columns for known IDs (``None`` when any ID is not in the table)."""
        if self.table is None:
            return None
        ci = np.fromiter((self.cell_pos.get(c, -1) for c in cells), dtype=np.int64, count=len(cells))
        di = np.fromiter((self.drug_pos.get(d, -1) for d in drugs), dtype=np.int64, count=len(drugs))
        if (ci < 0).any() or (di < 0).any():
            return None
        rows = ci * len(self.drug_pos) + di
        return {name: values[rows] for name, values in self.table.items()}


def load_served_models(
    models: Sequence[tuple[str | None, PathLike]], *, settings: ServiceSettings | None = None
) -> dict[str, ServedModel]:
    """Read and warm the bundles to serve: ``[(name or None, directory), ...]``.

    A ``None`` name takes the bundle's own; names must be unique and match ``NAME_RE``.
    """
    settings = settings or ServiceSettings()
    served: dict[str, ServedModel] = {}
    for name, path in models:
        bundle = read_bundle(path)
        served_name = name or bundle.name
        if not NAME_RE.match(served_name):
            raise ValueError(
                f"served model name {served_name!r} (from {Path(path)}) must be 1-64 letters, digits, '_', '.' or "
                "'-', starting with a letter or digit; give one with --model NAME=DIR"
            )
        if served_name in served:
            raise ValueError(f"two models are served as {served_name!r}; name them with --model NAME=DIR")
        model = ServedModel(served_name, bundle)
        model.warm(max_table_pairs=settings.max_table_pairs)
        served[served_name] = model
        log.info("serving %s (%s, %s) from %s", served_name, bundle.task, bundle.model_name, bundle.path)
    if not served:
        raise ValueError("no model to serve")
    return served


__all__ = ["NAME_RE", "ServedModel", "ServiceSettings", "load_served_models"]
