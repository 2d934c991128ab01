"""A name -> object registry with lazy loading of the built-in entries and entry points.

The model and task registries are instances: built-in modules register their entries
when imported (on the first lookup), other packages through an entry-point group.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries by name; ``what`` names them in messages (``"model"``, ``"task"``).

    Parameters
    ----------
    what
        Singular noun for error messages.
    builtin
        Modules whose import registers the built-in entries.
    optional
        Modules that may fail to import for want of an extra (``extra`` in the message).
    group
        Entry-point group of entries from other packages.
    extra
        Name of the missing dependency that makes an optional module skippable.
    """

    def __init__(
        self,
        what: str,
        *,
        builtin: Sequence[str] = (),
        optional: Sequence[str] = (),
        group: str | None = None,
        extra: str = "torch",
    ) -> None:
        self.what = what
        self._entries: dict[str, T] = {}
        self._modules = (tuple(builtin), tuple(optional))
        self._group = group
        self._extra = extra
        self._loaded = False

    def add(self, name: str, entry: T, *, same: bool = False) -> None:
        """Register ``entry`` as ``name``; a second, different entry under the name raises
        (``same``: the caller judged the two entries the same, e.g. a re-imported class)."""
        if name in self._entries and not same:
            raise ValueError(f"{self.what} name {name!r} is already registered to {self._entries[name]!r}")
        self._entries[name] = entry

    def existing(self, name: str) -> T | None:
        return self._entries.get(name)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        builtin, optional = self._modules
        for module in builtin:
            import_module(module)
        for module in optional:
            try:
                import_module(module)
            except ImportError as err:  # pragma: no cover - depends on installed extras
                if self._extra not in str(err):
                    raise
        if self._group is not None:
            for ep in entry_points(group=self._group):
                ep.load()

    def names(self) -> list[str]:
        self._load()
        return sorted(self._entries)

    def get(self, name: str) -> T:
        """The entry ``name``; a ``KeyError`` listing the registered names if unknown."""
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"unknown {self.what} {name!r}; available: {', '.join(sorted(self._entries))}") from None


__all__ = ["Registry"]
