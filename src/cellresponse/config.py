"""Typed run configurations and TOML loading.

A subcommand's configuration is a dataclass. ``--config run.toml`` supplies values and
command-line flags override them; the resolved config is written next to the outputs.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from cellresponse._types import PathLike
from cellresponse.errors import InputError, MissingInputError

C = TypeVar("C")


@dataclass
class BenchmarkConfig:
    """Settings of ``cellresponse benchmark`` (and of the demo), for every task.

    ``None`` means "the default of the dataset's task": the task itself (read from the
    dataset), its default split mode, models, smallest scored group and ablations.

    Cross-study runs set ``train_dataset`` and ``test_dataset`` (instead of ``dataset``):
    ``target`` is the training study's, ``test_target`` the test study's; ``test_lines``
    (``all`` or ``unseen``) and ``align`` (``none``, ``rank``, ``zscore``) go to
    :func:`cellresponse.datasets.join_studies` and the ``cross_study`` split (``all``: one
    fold testing every line; ``unseen``: ``folds`` folds, each tested line held out of
    training). ``seeds`` repeats the run over split seeds.
    """

    dataset: str = "gdsc2"
    target: str | None = None
    task: str | None = None
    split: str | None = None
    folds: int | None = 5
    only_folds: list[int] | None = None
    seed: int = 0
    valid_fraction: float = 0.1
    split_file: str | None = None
    allow_unassigned: bool = False
    models: list[str] | None = None
    baselines: bool = True
    cell_views: list[str] | None = None
    min_group_size: int | None = None
    ablations: list[str] | None = None
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    out: str = "results/benchmark"
    progress: bool = True
    train_dataset: str | None = None
    test_dataset: str | None = None
    test_target: str | None = None
    test_lines: str = "all"
    align: str = "none"
    seeds: list[int] | None = None
    explain: bool = False
    #: where the cells run: "serial", "processes" or "ray" (see cellresponse.evaluate.ExecutorConfig)
    executor: str = "serial"
    workers: int | None = None
    ray_address: str | None = None
    #: nested hyperparameter search on each fold's inner validation part, and its budget
    tune: bool = False
    tune_trials: int = 20
    #: per model, a search space replacing the model's own (``[search_space.lightgbm]``)
    search_space: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_field_types(self)
        checks = [
            ("workers", self.workers is None or self.workers >= 1, "an integer >= 1"),
            ("tune_trials", self.tune_trials >= 1, "an integer >= 1"),
            ("folds", self.folds is None or self.folds >= 2, "an integer >= 2 (the number of outer folds)"),
            ("seed", 0 <= self.seed < 2**32, "an integer in [0, 2**32)"),
            ("valid_fraction", 0 <= self.valid_fraction < 1, "a number in [0, 1)"),
            ("min_group_size", self.min_group_size is None or self.min_group_size >= 1, "an integer >= 1"),
            ("out", bool(str(self.out).strip()), "a directory name"),
        ]
        if self.only_folds is not None:
            ok = bool(self.only_folds) and all(f >= 0 for f in self.only_folds)
            ok = ok and len(set(self.only_folds)) == len(self.only_folds)
            checks.append(("only_folds", ok, "distinct fold numbers >= 0, e.g. 0,1"))
        if self.models is not None:
            checks.append(("models", bool(self.models) and all(str(m).strip() for m in self.models), "model names"))
        for name, ok, expected in checks:
            if not ok:
                raise InputError(
                    f"--{name.replace('_', '-')} must be {expected}, got {getattr(self, name)!r}", source=f"--{name}"
                )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _matches(value: Any, tp: Any) -> bool:
    """Whether ``value`` fits the annotation ``tp`` (the plain types of run configs)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if origin in (list, tuple):
        return isinstance(value, list | tuple) and (not args or all(_matches(v, args[0]) for v in value))
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    return True


def _describe(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin in (list, tuple):
        plural = {bool: "true/false values", int: "integers", float: "numbers", str: "strings"}
        return f"a list of {plural.get(args[0], 'values') if args else 'values'}"
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string", type(None): "unset"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def check_field_types(config: Any, *, source: str | None = None) -> None:
    """Check every field of a config dataclass against its annotation.

    Raises
    ------
    InputError
        Naming the field (as its command-line flag), the value and the type expected.
    """
    hints = typing.get_type_hints(type(config))
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name in hints and not _matches(value, hints[f.name]):
            where = f"{source}: " if source else ""
            raise InputError(
                f"{where}{f.name} (--{f.name.replace('_', '-')}) must be {_describe(hints[f.name])}, got {value!r}",
                source=source or f"--{f.name}",
            )


def load_config(cls: type[C], path: PathLike | None, overrides: dict[str, Any]) -> C:
    """Build ``cls`` from a TOML file (optional) and non-None ``overrides``.

    Raises
    ------
    ValueError
        If the TOML file has keys ``cls`` does not define (typos are not ignored).
    """
    values: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            what = "is a directory" if p.is_dir() else "does not exist"
            raise MissingInputError(f"config file {p} {what}", source=p)
        try:
            values = tomllib.loads(p.read_bytes().decode("utf-8"))
        except UnicodeDecodeError as err:
            raise InputError(f"config file {p} is not UTF-8 text (byte {err.start})", source=p) from None
        except tomllib.TOMLDecodeError as err:
            raise InputError(f"config file {p} is not valid TOML: {err}", source=p) from None
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"config file {p}: unknown keys {unknown}; known keys: {sorted(known)}", source=p)
        hints = typing.get_type_hints(cls)
        for key, value in values.items():
            if key in hints and not _matches(value, hints[key]):
                raise InputError(f"config file {p}: {key} must be {_describe(hints[key])}, got {value!r}", source=p)
    values.update({k: v for k, v in overrides.items() if v is not None})
    config = cls(**values)
    if dataclasses.is_dataclass(config):
        check_field_types(config)
    return config


def parse_param_overrides(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """Parse ``MODEL.PARAM=VALUE`` flags; VALUE is read as TOML (numbers, booleans, lists)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items or []:
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise InputError(
                f"--param {item!r}: expected MODEL.PARAM=VALUE, e.g. lightgbm.num_leaves=31", source="--param"
            )
        key, raw = item.split("=", 1)
        model, param = key.split(".", 1)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # a bare string
        if isinstance(value, list):
            value = tuple(value)
        out.setdefault(model, {})[param] = value
    return out


__all__ = ["BenchmarkConfig", "check_field_types", "load_config", "parse_param_overrides"]
