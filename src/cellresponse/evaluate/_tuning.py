"""Nested hyperparameter search: in every outer fold, on its inner validation part only.

A model declares what may be tuned in a ``search_space`` class attribute; a run may
replace a model's space (``search_space`` in the TOML config). One parameter is one of

- ``{"float": [low, high]}`` (``"log": true`` samples on a log scale),
- ``{"int": [low, high]}`` (both ends included; ``"log"`` as above),
- ``{"choices": [a, b, ...]}``.

With tuning on, each tuned cell runs ``trials`` candidates drawn by Optuna's TPE sampler,
seeded by the run seed, the fold and the model: each is fitted on the fold's training
part (the inner validation part passed as ``valid=``, as for the final fit, so early
stopping behaves the same) and scored on the inner validation part; the test part is
never seen. The best candidate (ties: the earlier trial) is then fitted as the cell's
model. Every trial (its parameters and inner-validation score) is kept in the cell's
``tuning`` table (``extras/<model>.tuning.csv``).

Optuna rather than Ray Tune: the search must run the same way on every executor
(serial, processes, Ray), and a seeded sequential TPE study is an in-process loop
with no cluster or scheduler of its own; the trials of one cell run where the cell
runs, so the chosen parameters do not depend on where or how many cells run at once.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.errors import InputError
from cellresponse.models import check_model_params, get_model_class, make_model
from cellresponse.splits import Split

log = logging.getLogger("cellresponse")
OPTUNA_INSTALL = "pip install 'cellresponse[distributed]'"
TUNING_COLUMNS = ["model", "trial", "params", "valid_score", "chosen"]
_KINDS = ("float", "int", "choices")


@dataclass(frozen=True)
class TuneOptions:
    """Nested hyperparameter search settings of a benchmark.

    Attributes
    ----------
    trials
        Candidates tried per (model, outer fold).
    search_space
        Per model name, a search space replacing the one the model class declares.
    """

    trials: int = 20
    search_space: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def import_optuna() -> Any:
    """The ``optuna`` module, or an ImportError naming the install command."""
    try:
        import optuna
    except ImportError as err:
        raise ImportError(f"--tune needs Optuna, which is not installed: {OPTUNA_INSTALL}") from err
    return optuna


def _bad(name: str, message: str) -> InputError:
    return InputError(f"search space of model {name!r}: {message}", source=f"search_space.{name}")


def check_search_space(name: str, space: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``space`` of model ``name`` checked and normalized.

    Raises
    ------
    InputError
        For an empty space, a parameter the model does not have, a spec that is not one
        of ``float``/``int``/``choices``, an empty range or choice list, a log range that
        is not positive, or a bound the model's parameter does not accept.
    """
    if not isinstance(space, Mapping) or not space:
        raise _bad(name, "it is empty; give at least one parameter, e.g. {alpha = {float = [1e-3, 1.0], log = true}}")
    out: dict[str, dict[str, Any]] = {}
    for param, spec in space.items():
        if not isinstance(spec, Mapping):
            raise _bad(name, f"{param} must be a table like {{float = [low, high]}}, got {spec!r}")
        kinds = [k for k in _KINDS if k in spec]
        extra = sorted(set(spec) - {*_KINDS, "log"})
        if len(kinds) != 1 or extra:
            raise _bad(name, f"{param} must have exactly one of {list(_KINDS)} (and optionally log), got {dict(spec)}")
        kind = kinds[0]
        values = spec[kind]
        if kind == "choices":
            if not isinstance(values, Sequence) or isinstance(values, str) or not values:
                raise _bad(name, f"{param} has an empty choice list; give at least one value")
            norm: dict[str, Any] = {"choices": list(values)}
            candidates = list(values)
        else:
            if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != 2:
                raise _bad(name, f"{param}: {kind} must be [low, high], got {values!r}")
            low, high = values
            number = int if kind == "int" else (int, float)
            if any(isinstance(v, bool) or not isinstance(v, number) for v in (low, high)):
                raise _bad(name, f"{param}: {kind} bounds must be {kind} numbers, got {values!r}")
            if not low < high:
                raise _bad(name, f"{param} has an empty range [{low}, {high}]; low must be below high")
            log_scale = bool(spec.get("log", False))
            if log_scale and low <= 0:
                raise _bad(name, f"{param}: a log range must be positive, got [{low}, {high}]")
            norm = {kind: [low, high], "log": log_scale}
            candidates = [low, high]
        for value in candidates:  # the name and both ends must be accepted by the model
            try:
                check_model_params(name, {param: value})
            except InputError as err:
                raise _bad(name, str(err)) from None
        out[str(param)] = norm
    return out


def resolve_search_spaces(
    names: Sequence[str], overrides: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """The checked search space of every model in ``names`` (an override replaces the
    class's space).

    Raises
    ------
    InputError
        For a model that declares no space and has no override, an override for a model
        not tuned in this run, or a bad space (:func:`check_search_space`).
    """
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise InputError(
            f"search_space given for models that are not tuned in this run: {unknown}; tuned models: {list(names)}",
            source="search_space",
        )
    out = {}
    for name in names:
        space = overrides.get(name)
        if space is None:
            space = getattr(get_model_class(name), "search_space", None)
        if not space:
            raise InputError(
                f"--tune: model {name!r} declares no search space; give one in the config "
                f"([search_space.{name}] with e.g. alpha = {{float = [1e-3, 1.0], log = true}}) "
                "or run it without --tune",
                source="--tune",
            )
        out[name] = check_search_space(name, space)
    return out


def check_tuning(tune: TuneOptions | None, tuned: Sequence[str], split: Split) -> dict[str, dict[str, Any]]:
    """The search space of every tuned model, checked before any fold runs.

    Raises
    ------
    InputError
        For ``trials`` < 1, no model to tune, a bad or missing search space
        (:func:`resolve_search_spaces`), or a fold without an inner validation part.
    ImportError
        Without Optuna (naming the install command).
    """
    if tune is None:
        return {}
    if tune.trials < 1:
        raise InputError(f"--tune-trials must be an integer >= 1, got {tune.trials}", source="--tune-trials")
    if not tuned:
        raise InputError("--tune: no model to tune (give --models; the baselines are never tuned)", source="--tune")
    spaces = resolve_search_spaces(tuned, tune.search_space)
    empty = [f.fold for f in split.folds if len(f.valid) == 0]
    if empty:
        raise InputError(
            f"--tune searches on the inner validation part, and folds {empty} have none; "
            "use a --valid-fraction above 0",
            source="--valid-fraction",
        )
    import_optuna()
    return spaces


def key_params(
    params: Mapping[str, dict[str, Any]], spaces: Mapping[str, Any], tune: TuneOptions | None
) -> dict[str, dict[str, Any]]:
    """What determines each model's cells (for the cell store): its parameters, and its
    search when it is tuned."""
    if tune is None:
        return dict(params)
    return {
        n: {**p, "__search__": {"space": spaces[n], "trials": tune.trials}} if n in spaces else p
        for n, p in params.items()
    }


def _suggest(trial: Any, space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for param, spec in space.items():
        if "choices" in spec:
            index = trial.suggest_categorical(param, list(range(len(spec["choices"]))))
            params[param] = spec["choices"][index]  # by index: choices may be lists (TOML arrays)
        elif "int" in spec:
            params[param] = trial.suggest_int(param, spec["int"][0], spec["int"][1], log=spec["log"])
        else:
            low, high = float(spec["float"][0]), float(spec["float"][1])
            params[param] = trial.suggest_float(param, low, high, log=spec["log"])
    return params


def inner_score(valid: Dataset, predicted: np.ndarray) -> float:
    """The score a tuning trial is ranked by: the mean per-perturbation Pearson on the inner
    validation part (groups of 3 or more rows), the overall Pearson where no group is that
    large; for multi-output targets the mean per-row Pearson."""
    from cellresponse.metrics import grouped_metric, pearson, per_signature_pearson

    y = np.asarray(valid.y, dtype=np.float64)
    pred = np.asarray(predicted, dtype=np.float64)
    if y.ndim == 2:
        return float(np.nanmean(per_signature_pearson(y, pred))) if len(y) else float("nan")
    groups = grouped_metric(y, pred, np.asarray(valid.perturbations), metric=pearson, min_size=3)
    return float(groups.mean()) if len(groups) else pearson(y, pred)


def tune_seed(seed: int, fold: int, name: str) -> int:
    """Sampler seed of one (model, fold): the run seed, the fold and the model name."""
    words = [int(seed), int(fold), *name.encode()]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def search(
    name: str,
    params: Mapping[str, Any],
    train: Dataset,
    valid: Dataset,
    *,
    space: Mapping[str, Mapping[str, Any]],
    trials: int,
    seed: int,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Search ``space`` for model ``name`` (fixed ``params`` beside it), fitting on ``train``
    and scoring on ``valid``; returns the best parameters and the table of trials.

    A trial whose fit fails or scores NaN is recorded with an empty score and never
    chosen; when every trial fails, the model's own parameters are kept.
    """
    optuna = import_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(1, min(10, trials // 2)))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    rows = []
    best: tuple[float, int, dict[str, Any]] | None = None
    for number in range(trials):
        trial = study.ask()
        candidate = _suggest(trial, space)
        try:
            model = make_model(name, **{**params, **candidate})
            model.fit(train, valid=valid)
            score = inner_score(valid, model.predict(valid))
        except Exception as err:  # a candidate the model cannot fit is a failed trial, not a failed cell
            log.info("model %s trial %d failed: %s", name, number, err)
            score = float("nan")
        if math.isfinite(score):
            study.tell(trial, score)
            if best is None or score > best[0]:
                best = (score, number, candidate)
        else:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        rows.append([name, number, json.dumps(candidate, sort_keys=True), score, False])
    table = pd.DataFrame(rows, columns=TUNING_COLUMNS)
    if best is None:
        log.warning("model %s: every tuning trial failed; its own parameters are kept", name)
        return {}, table
    table.loc[best[1], "chosen"] = True
    return dict(best[2]), table


__all__ = [
    "OPTUNA_INSTALL",
    "TUNING_COLUMNS",
    "TuneOptions",
    "check_search_space",
    "check_tuning",
    "import_optuna",
    "inner_score",
    "key_params",
    "resolve_search_spaces",
    "search",
    "tune_seed",
]
