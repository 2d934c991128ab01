"""Typed run configurations and TOML loading.

A subcommand's configuration is a dataclass. ``--config run.toml`` supplies values and
command-line flags override them; the resolved config is written next to the outputs.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from cellresponse._types import PathLike

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
            raise FileNotFoundError(f"config file {p} does not exist")
        try:
            values = tomllib.loads(p.read_text())
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"config file {p} is not valid TOML: {err}") from None
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"config file {p}: unknown keys {unknown}; known keys: {sorted(known)}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return cls(**values)


def parse_param_overrides(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """Parse ``MODEL.PARAM=VALUE`` flags; VALUE is read as TOML (numbers, booleans, lists)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items or []:
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise ValueError(f"--param {item!r}: expected MODEL.PARAM=VALUE, e.g. lightgbm.num_leaves=31")
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


__all__ = ["BenchmarkConfig", "load_config", "parse_param_overrides"]
