"""Name -> task registry, like the model registry: built-in tasks load on first use and
other packages add theirs through the ``cellresponse.tasks`` entry-point group."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cellresponse._registry import Registry
from cellresponse.splits import MODE_ALIASES, canonical_mode
from cellresponse.tasks._base import Task

_REGISTRY: Registry[Task] = Registry(
    "task",
    builtin=("cellresponse.tasks.response", "cellresponse.tasks.expression", "cellresponse.tasks.dependency"),
    group="cellresponse.tasks",
)

T = TypeVar("T", bound=type[Task])


def register_task(name: str) -> Callable[[T], T]:
    """Class decorator registering a :class:`Task` under ``name``; a duplicate name is an error."""

    def deco(cls: T) -> T:
        old = _REGISTRY.existing(name)
        if old is not None and type(old) is not cls:
            raise ValueError(f"task name {name!r} is already registered to {type(old).__qualname__}")
        cls.name = name
        _REGISTRY.add(name, cls(), same=True)
        return cls

    return deco


def available_tasks() -> list[str]:
    """Registered task names."""
    return _REGISTRY.names()


def get_task(name: str) -> Task:
    """The registered task ``name``.

    Raises
    ------
    KeyError
        For an unknown task, listing the registered ones.
    """
    return _REGISTRY.get(name)


def check_split_mode(task: Task, mode: str) -> str:
    """The canonical name of ``mode`` if ``task`` accepts it.

    Raises
    ------
    ValueError
        Naming the mode, the task it belongs to (if another) and the valid choices.
    """
    name = canonical_mode(mode)
    if name in task.split_modes:
        return name
    owners = [t for t in available_tasks() if name in get_task(t).split_modes]
    shown = ", ".join(
        f"{m} ({'/'.join(a)})" if (a := [k for k, c in MODE_ALIASES.items() if c == m]) else m for m in task.split_modes
    )
    plural = "tasks" if len(owners) > 1 else "task"
    where = f"belongs to the {' and '.join(owners)} {plural}" if owners else "is not used by any task"
    raise ValueError(f"split mode {mode!r} {where}; the {task.name} task accepts: {shown}")


__all__ = ["available_tasks", "check_split_mode", "get_task", "register_task"]
