"""Small helpers every layer shares: ID examples in messages, JSON-safe values, the cache folder.

Each exists once, here, at the bottom of the layer stack (see ``tests/_structure.py``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CACHE_ENV = "CELLRESPONSE_CACHE"


def examples(values: Iterable[object], n: int = 5) -> str:
    """The first ``n`` values joined by commas, with ``...`` when there are more.

    Examples
    --------
    >>> examples(["a", "b", "c"], n=2)
    'a, b, ...'
    """
    items = list(values)
    shown = ", ".join(map(str, items[:n]))
    return shown + (", ..." if len(items) > n else "")


def jsonable(value: Any, *, strict: bool = False) -> Any:
    """``value`` with NumPy scalars and arrays, tuples, paths, dataclasses and other objects
    made JSON-safe.

    Mappings keep their (stringified) keys; sequences become lists; dataclasses become
    mappings of their fields; objects with a ``tolist`` become lists or numbers. Anything
    else unknown becomes its ``str``, or, with ``strict``, raises ``TypeError`` (for what
    must read back to the same value, such as a saved model's hyperparameters).

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": np.float32(0.5), "b": (1, np.int64(2)), "c": Path("x")})
    {'a': 0.5, 'b': [1, 2], 'c': 'x'}
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v, strict=strict) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [jsonable(v, strict=strict) for v in items]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name), strict=strict) for f in dataclasses.fields(value)}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "tolist"):
        return jsonable(value.tolist(), strict=strict)
    if strict:
        raise TypeError(f"{type(value).__name__} value {value!r} has no JSON form")
    return str(value)


def cache_dir(kind: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder for ``kind`` (``"ontology"``, ``"representations"``, ...).

    ``root`` if given, else ``$CELLRESPONSE_CACHE``, else ``~/.cache/cellresponse``; the
    folder is not created here.
    """
    if root is not None:
        base = Path(root)
    elif os.environ.get(CACHE_ENV):
        base = Path(os.environ[CACHE_ENV])
    else:
        base = Path.home() / ".cache" / "cellresponse"
    return base / kind


__all__ = ["CACHE_ENV", "cache_dir", "examples", "jsonable"]
