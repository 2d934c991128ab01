"""Seed files and their mutations for the fuzz suite.

A seed is a small valid input: the first lines of a real file in the shared data folder
(compressed again the way the original is) or a file written here. A mutation damages it
the ways real files get damaged: random bytes, truncation at a random offset, a flipped
bit, an empty or header-only file, a dropped or renamed column, a value of the wrong type,
a duplicated row, unicode and whitespace in IDs.
"""

from __future__ import annotations

import gzip
import io
import os
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Deterministic (derandomized) and bounded: the suite cannot flake and stays fast. A
#: deeper, random search: ``CELLRESPONSE_FUZZ_EXAMPLES=500 pytest tests/fuzz``.
_EXAMPLES = int(os.environ.get("CELLRESPONSE_FUZZ_EXAMPLES", "0") or 0)
FUZZ = settings(
    max_examples=_EXAMPLES or 12,
    deadline=None,
    derandomize=not _EXAMPLES,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

ODD_VALUES = ["abc", "", "NaN", "inf", "-1e309", "１２", "\u00a0", "None", '"', "1,5", "0x1F", "TRUE", "\x00"]
ID_NOISE = [" ", "\t", "\u200b", "é", "İ", "\ufeff", "  x  ", "ß", "\u202e", "🧬"]


@dataclass(frozen=True)
class Seed:
    """A valid input file: its name and bytes (``text`` for tables, else binary)."""

    name: str
    data: bytes
    text: bool = True

    @property
    def gz(self) -> bool:
        return self.name.endswith(".gz")

    def lines(self) -> list[str]:
        raw = gzip.decompress(self.data) if self.gz else self.data
        return raw.decode("utf-8").splitlines(keepends=True)

    def encode(self, lines: list[str]) -> bytes:
        raw = "".join(lines).encode("utf-8")
        return gzip.compress(raw, mtime=0) if self.gz else raw


def head_seed(path: Path, *, n_lines: int = 8, name: str | None = None) -> Seed:
    """The first ``n_lines`` lines of a (possibly gzipped) text file, as a seed."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        lines = [line for _, line in zip(range(n_lines), fh, strict=False)]
    seed = Seed(name or path.name, b"")
    return Seed(seed.name, seed.encode(lines))


def text_seed(name: str, text: str) -> Seed:
    seed = Seed(name, b"")
    return Seed(name, seed.encode(text.splitlines(keepends=True)))


def binary_seed(name: str, data: bytes) -> Seed:
    return Seed(name, data, text=False)


BYTE_MUTATIONS = st.one_of(
    st.tuples(st.just("random_bytes"), st.binary(max_size=400)),
    st.tuples(st.just("truncate"), st.floats(0.0, 0.999)),
    st.tuples(st.just("flip_bit"), st.floats(0.0, 0.999), st.integers(0, 7)),
    st.tuples(st.just("empty")),
)
#: HDF5 files without bit flips: a flipped bit deep inside one can crash libhdf5 itself
#: (a segmentation fault in h5py, which no Python code can catch).
HDF5_MUTATIONS = st.one_of(
    st.tuples(st.just("random_bytes"), st.binary(max_size=400)),
    st.tuples(st.just("truncate"), st.floats(0.0, 0.999)),
    st.tuples(st.just("empty")),
)
TEXT_MUTATIONS = st.one_of(
    BYTE_MUTATIONS,
    st.tuples(st.just("header_only")),
    st.tuples(st.just("drop_column"), st.integers(0, 10_000)),
    st.tuples(st.just("rename_column"), st.integers(0, 10_000), st.text(max_size=6)),
    st.tuples(st.just("wrong_type"), st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(ODD_VALUES)),
    st.tuples(st.just("duplicate_row"), st.integers(0, 10_000)),
    st.tuples(st.just("id_noise"), st.integers(0, 10_000), st.sampled_from(ID_NOISE)),
    st.tuples(st.just("ragged_row"), st.integers(0, 10_000)),
)


def _sep(header: str) -> str:
    return "\t" if "\t" in header else ","


def mutate(seed: Seed, mutation: tuple) -> bytes:
    """The bytes of ``seed`` damaged by ``mutation`` (one of the strategies above)."""
    kind = mutation[0]
    data = seed.data
    if kind == "random_bytes":
        return mutation[1]
    if kind == "truncate":
        return data[: int(len(data) * mutation[1])]
    if kind == "flip_bit":
        buf = bytearray(data)
        if buf:
            pos = int(len(buf) * mutation[1])
            buf[pos] ^= 1 << mutation[2]
        return bytes(buf)
    if kind == "empty":
        return b""
    lines = seed.lines()
    if not lines:
        return data
    header, rows = lines[0], lines[1:]
    sep = _sep(header)
    if kind == "header_only":
        return seed.encode([header])
    if kind == "duplicate_row" and rows:
        row = rows[mutation[1] % len(rows)]
        return seed.encode([header, *rows, row if row.endswith("\n") else row + "\n"])
    if kind == "ragged_row" and rows:
        i = mutation[1] % len(rows)
        rows[i] = rows[i].rstrip("\r\n") + sep + "extra" + sep + "cells\n"
        return seed.encode([header, *rows])
    cells = [line.rstrip("\r\n").split(sep) for line in lines]
    if kind == "drop_column":
        j = mutation[1] % max(len(cells[0]), 1)
        cells = [[c for k, c in enumerate(row) if k != j] for row in cells]
    elif kind == "rename_column":
        j = mutation[1] % max(len(cells[0]), 1)
        cells[0][j] = mutation[2].replace(sep, "").replace("\n", "")
    elif kind == "wrong_type" and len(cells) > 1:
        i = 1 + mutation[1] % (len(cells) - 1)
        j = mutation[2] % max(len(cells[i]), 1)
        if cells[i]:
            cells[i][j] = mutation[3].replace(sep, ";")
    elif kind == "id_noise" and len(cells) > 1:
        i = 1 + mutation[1] % (len(cells) - 1)
        if cells[i]:
            cells[i][0] = mutation[2] + cells[i][0] + mutation[2]
    return seed.encode([sep.join(row) + "\n" for row in cells])


def write(tmp: Path, seed: Seed, data: bytes) -> Path:
    """Write ``data`` under ``seed``'s name in a fresh folder of ``tmp``."""
    folder = tmp / f"case{len(list(tmp.iterdir()))}"
    folder.mkdir()
    path = folder / seed.name
    path.write_bytes(data)
    return path


def parquet_bytes(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf)
    return buf.getvalue()
