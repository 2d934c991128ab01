"""One contract suite over every registered model, for every task it declares.

The checks follow scikit-learn's estimator checks (``sklearn.utils.estimator_checks``),
adapted to models that fit a :class:`~cellresponse.data.Dataset`:

- predict (and save) before fit raise sklearn's ``NotFittedError``;
- fit -> predict gives ``(n,)`` (scalar tasks) or ``(n, n_genes)`` (expression), finite;
- fit is idempotent: fitting the same instance twice predicts as one fit;
- fit changes no constructor parameter (by value, as sklearn hashes them) and adds only
  attributes ending in ``_`` (or private ones);
- predictions do not depend on the batch: rows [a:b], a single row, a shuffled order and
  a prediction in chunks equal the matching rows of the full prediction;
- ``clone`` gives equal parameters and an unfitted model; a fitted clone predicts the same;
- save/load gives identical predictions and never unpickles (only JSON/safetensors/text/
  skops files are written);
- the same ``random_state`` gives the same predictions; a different one changes the
  predictions of a stochastic model;
- a model declares ``tasks``, and fitting it on a dataset of another task fails clearly.

Every registered model runs on tiny synthetic data with the fast settings of ``FAST``.
A check that fails for a model is a bug in that model: it is recorded in ``KNOWN_BUGS``
as a strict xfail naming its root cause, never by loosening the check.
"""

from __future__ import annotations

import inspect
import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset
from cellresponse.models import NotFittedError, available_models, get_model_class, load_model, make_model
from cellresponse.splits import make_split

TASKS = ("response", "expression", "dependency")


# ------------------------------------------------------------------ fast settings
def trainer_params(name: str, **settings: Any) -> dict[str, Any]:
    """Torch trainer settings of model ``name`` as nested ``trainer__<field>`` parameters."""
    return {f"trainer__{k}": v for k, v in settings.items()}


_TRAINER = {"epochs": 2, "batch_size": 64, "num_threads": 1}
_TABULAR = {"n_top_genes": 20, "cell_components": 5}
_MLP = {"cell_hidden": (16,), "drug_hidden": (8,), "head_hidden": (8,)}
# The synthetic genes are not in GO: the VNNs use the seeded random-hierarchy control.
_VNN = {"ontology": "random", "n_hidden": 2, "drug_hidden": (8, 4), "final_hidden": 2}

#: Per model, the settings that make it fit in well under a second on the synthetic data.
#: Every registered model has an entry (empty: its defaults are fast already).
FAST: dict[str, dict[str, Any]] = {
    "global_mean": {},
    "drug_mean": {},
    "cell_line_mean": {},
    "mean_effects": {},
    "tissue_drug_mean": {},
    "elastic_net": {**_TABULAR, "drug_components": 4},
    "elastic_net_per_drug": _TABULAR,
    "ridge_per_drug": {"n_top_genes": 20},
    "lightgbm": {**_TABULAR, "drug_components": 4, "n_estimators": 20, "min_child_samples": 10},
    "lightgbm_per_drug": {**_TABULAR, "n_estimators": 20},
    "random_forest": {**_TABULAR, "drug_components": 4, "n_estimators": 10, "n_jobs": 1},
    "random_forest_per_drug": {**_TABULAR, "n_estimators": 10, "n_jobs": 1},
    # One seed, tiny autoencoder, every stochastic part kept (autoencoder, MLP head); no
    # encoder cache, or a second fit would read the first one's encoders.
    "leap": {
        "representations": ("raw", "pca", "ae"),
        "n_components": 4,
        "n_top_features": 20,
        "seeds": (0,),
        "predictors": ("ridge", "knn", "mlp"),
        "raw_predictors": ("ridge",),
        "ae_epochs": 2,
        "use_cache": False,
    },
    "mlp_expression": {**_MLP, **trainer_params("mlp_expression", **_TRAINER)},
    "mlp_cnv": {**_MLP, **trainer_params("mlp_cnv", **_TRAINER)},
    "mlp_all": {**_MLP, **trainer_params("mlp_all", **_TRAINER)},
    "vnn_drugcell": {**_VNN, **trainer_params("vnn_drugcell", **_TRAINER)},
    "vnn_druggene": {**_VNN, **trainer_params("vnn_druggene", **_TRAINER)},
    # GO terms need real gene symbols; the GO-term block is tested in tests/models
    "multitask_ridge": {"term_views": ()},
    "stack": {
        "members": ("multitask_ridge", "ridge_per_drug", "tissue_drug_mean"),
        "member_params": {"multitask_ridge": {"term_views": ()}, "ridge_per_drug": {"n_top_genes": 20}},
    },
    "expr_zero": {},
    "expr_train_mean": {},
    "expr_compound_mean": {},
    "expr_cell_mean": {},
    "expr_additive": {},
    "expr_tanimoto_knn": {},
    "expr_ridge": {},
    "expr_drug_blind": {},
    "expr_dosetime": {
        "hidden": 32,
        "network_min_gain": -1.0,  # keep the network (the seed checks need a stochastic part)
        **trainer_params("expr_dosetime", **{**_TRAINER, "epochs": 3}),
    },
}

# The synthetic dependency panel has one cell-line view (expression) and no gene features.
_DEPENDENCY_VIEWS: dict[str, dict[str, Any]] = {
    "elastic_net": {"cell_views": ("expression",), "drug_views": ()},
    "lightgbm": {"cell_views": ("expression",), "drug_views": ()},
    "random_forest": {"cell_views": ("expression",), "drug_views": ()},
    "elastic_net_per_drug": {"cell_views": ("expression",)},
    "lightgbm_per_drug": {"cell_views": ("expression",)},
    "random_forest_per_drug": {"cell_views": ("expression",)},
    # on the small dependency panel the 'cv' combiner rightly keeps the single (deterministic)
    # raw-ridge member, which no seed reaches; a fixed blend keeps the stochastic members in
    "leap": {"combiner": "nnls"},
}


def fast_params(name: str, task: str) -> dict[str, Any]:
    """Fast hyperparameters of ``name`` for data of ``task``."""
    extra = _DEPENDENCY_VIEWS.get(name, {}) if task == "dependency" else {}
    return {**FAST[name], **extra}


#: Models with a ``random_state`` whose predictions do not depend on it, with the reason.
DETERMINISTIC_DESPITE_SEED: dict[str, str] = {}

#: Models that predict with float32 matrix products. BLAS picks its kernel (and so the
#: order of the sums) by matrix shape, so the same row predicted in a batch of another
#: size can differ in the last bits; for these models batch invariance holds up to float32
#: rounding. Every other model, and every other check, must be exact.
FLOAT32_MODELS: dict[str, str] = {
    "mlp_all": "torch network in float32",
    "mlp_cnv": "torch network in float32",
    "mlp_expression": "torch network in float32",
    "vnn_drugcell": "torch network in float32",
    "vnn_druggene": "torch network in float32",
    "expr_dosetime": "torch network in float32",
    "leap": "float32 encoders and heads (NumPy float32 matrix products)",
}

#: (check, model, task) -> root cause of a known failure, run as a strict xfail.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


# ------------------------------------------------------------------------ cases
def _model_tasks() -> list[tuple[str, str]]:
    return [(n, t) for n in available_models() for t in get_model_class(n).tasks]


def cases(check: str, *, only_seeded: bool = False, task: str | None = None) -> list[Any]:
    """(model, task) parameters of ``check`` (only ``task``'s models, by name, if given);
    known bugs become strict xfails."""
    out = []
    for name, own in _model_tasks():
        if (only_seeded and "random_state" not in get_model_class(name)().get_params()) or task not in (None, own):
            continue
        reason = KNOWN_BUGS.get((check, name, own))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        values = (name,) if task else (name, own)
        out.append(pytest.param(*values, id=name if task else f"{name}-{own}", marks=marks))
    return out


# ------------------------------------------------------------------------- data
@pytest.fixture(scope="session")
def task_parts(_response_ds, dependency_panel):
    """(train, valid, test) of a tiny seeded synthetic dataset per task."""
    expression = make_expression_dataset(
        SyntheticExpressionPanel(n_cell_lines=5, n_compounds=8, n_genes=30, n_bits=64), random_state=1
    )
    folds = {
        "response": (_response_ds, make_split(_response_ds, mode="lco", n_folds=3, seed=0)),
        "dependency": (
            dependency_panel,
            make_split(dependency_panel, mode="cell_line", n_folds=4, seed=0, valid_fraction=0.25),
        ),
        "expression": (expression, make_split(expression, mode="compound", n_folds=4, seed=0)),
    }
    out = {}
    for task, (ds, split) in folds.items():
        fold = split.folds[0]
        out[task] = (ds[fold.train], ds[fold.valid], ds[fold.test])
    return out


class Fits:
    """Fits of the models on the task data; ``reference`` ones are shared by the checks that only read them."""

    def __init__(self, task_parts: dict[str, tuple[Any, Any, Any]]) -> None:
        self.parts = task_parts
        self._cache: dict[tuple[str, str, tuple[tuple[str, Any], ...]], tuple[Any, np.ndarray]] = {}

    def new(self, name: str, task: str, **override: Any) -> Any:
        return make_model(name, **{**fast_params(name, task), **override})

    def fit(self, model: Any, task: str) -> Any:
        train, valid, _ = self.parts[task]
        return model.fit(train, valid=valid)

    def predict(self, model: Any, task: str) -> np.ndarray:
        return model.predict(self.parts[task][2])

    def fresh(self, name: str, task: str, **override: Any) -> tuple[Any, np.ndarray]:
        model = self.fit(self.new(name, task, **override), task)
        return model, self.predict(model, task)

    def reference(self, name: str, task: str, **override: Any) -> tuple[Any, np.ndarray]:
        key = (name, task, tuple(sorted(override.items())))
        if key not in self._cache:
            self._cache[key] = self.fresh(name, task, **override)
        return self._cache[key]


@pytest.fixture(scope="session")
def fits(task_parts):
    return Fits(task_parts)


def param_hashes(model: Any) -> dict[str, str]:
    """Parameters by value, as sklearn's ``check_estimators_overwrite_params`` compares them."""
    return {k: joblib.hash(v) for k, v in model.get_params(deep=False).items()}


def data_hash(data: Any) -> str:
    views = [v.values for v in (*data.cell_views.values(), *data.perturbation_views.values())]
    return joblib.hash((data.obs, data.y, views, data.cell_meta, data.perturbation_meta))


def assert_same_predictions(name: str, actual: np.ndarray, desired: np.ndarray, err_msg: str) -> None:
    """Exact, or for a model in ``FLOAT32_MODELS`` within a few float32 rounding steps."""
    if name not in FLOAT32_MODELS:
        np.testing.assert_array_equal(actual, desired, err_msg=err_msg)
        return
    eps = float(np.finfo(np.float32).eps)
    scale = float(np.abs(desired).max()) or 1.0
    np.testing.assert_allclose(actual, desired, rtol=8 * eps, atol=8 * eps * scale, err_msg=err_msg)


# ------------------------------------------------------------------- the checks
def test_every_model_has_fast_settings_and_declares_its_tasks():
    names = available_models()
    assert sorted(FAST) == names, "add new models to FAST (empty when their defaults are fast)"
    for name in names:
        tasks = get_model_class(name).tasks
        assert isinstance(tasks, tuple) and tasks, f"{name}: tasks must be a non-empty tuple, got {tasks!r}"
        assert set(tasks) <= set(TASKS) and len(set(tasks)) == len(tasks), f"{name}: bad tasks {tasks!r}"
        for task in TASKS:
            assert (name in available_models(task=task)) == (task in tasks)
    assert set(DETERMINISTIC_DESPITE_SEED) <= set(names)
    assert {k[1:] for k in KNOWN_BUGS} <= set(_model_tasks())


def test_init_takes_keyword_only_hyperparameters():
    for name in available_models():
        sig = inspect.signature(get_model_class(name).__init__)
        positional = [p for p in list(sig.parameters.values())[1:] if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert not positional, f"{name}: positional hyperparameters {positional}"


@pytest.mark.parametrize(
    ("name", "task"),
    [pytest.param(n, t, id=f"{n}-{t}") for n in available_models() for t in TASKS if t not in get_model_class(n).tasks],
)
def test_fit_on_an_undeclared_task_raises(name, task, fits):
    model = fits.new(name, get_model_class(name).tasks[0])
    with pytest.raises(ValueError, match=rf"supports tasks .*'{task}' dataset"):
        fits.fit(model, task)


@pytest.mark.parametrize(("name", "task"), cases("not_fitted"))
def test_predict_and_save_before_fit_raise_not_fitted(name, task, fits, tmp_path):
    assert NotFittedError is SklearnNotFittedError
    model = fits.new(name, task)
    with pytest.raises(SklearnNotFittedError):
        fits.predict(model, task)
    with pytest.raises(SklearnNotFittedError):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("name", "task"), cases("fit_predict"))
def test_fit_predict_shape_and_finite(name, task, fits):
    _, pred = fits.reference(name, task)
    test = fits.parts[task][2]
    expected = (len(test), test.y.shape[1]) if task == "expression" else (len(test),)
    assert pred.shape == expected
    assert np.issubdtype(pred.dtype, np.floating) and np.isfinite(pred).all()


@pytest.mark.parametrize(("name", "task"), cases("idempotent"))
def test_fit_is_idempotent(name, task, fits):
    model = fits.fit(fits.fit(fits.new(name, task), task), task)
    np.testing.assert_array_equal(fits.predict(model, task), fits.reference(name, task)[1])


@pytest.mark.parametrize(("name", "task"), cases("params_unchanged"))
def test_fit_changes_no_parameter_and_adds_only_learned_attributes(name, task, fits):
    model = fits.new(name, task)
    before = param_hashes(model)
    before_attrs = set(vars(model))
    data_before = [data_hash(d) for d in fits.parts[task][:2]]
    fits.fit(model, task)
    after = param_hashes(model)
    changed = sorted(k for k in before if after[k] != before[k])
    assert not changed, f"fit changed parameters {changed}"
    added = set(vars(model)) - before_attrs
    unlearned = sorted(a for a in added if not a.endswith("_") and not a.startswith("_"))
    assert not unlearned, f"fit set public attributes without a trailing _: {unlearned}"
    assert [data_hash(d) for d in fits.parts[task][:2]] == data_before, "fit changed its data"
    assert param_hashes(model.set_params(**model.get_params(deep=False))) == before


@pytest.mark.parametrize(("name", "task"), cases("batch_invariant"))
def test_predictions_do_not_depend_on_the_batch(name, task, fits):
    model, full = fits.reference(name, task)
    test = fits.parts[task][2]
    n = len(test)
    rows = {
        "rows [3:11]": np.arange(3, 11),
        "one row": np.array([n // 2]),
        "shuffled": np.random.default_rng(0).permutation(n),
    }
    for label, idx in rows.items():
        assert_same_predictions(name, model.predict(test[idx]), full[idx], label)
    chunks = [model.predict(test[np.arange(s, min(s + 7, n))]) for s in range(0, n, 7)]
    assert_same_predictions(name, np.concatenate(chunks), full, "chunks of 7 rows")


@pytest.mark.parametrize(("name", "task"), cases("clone"))
def test_clone_has_equal_parameters_and_refits_the_same(name, task, fits):
    model, pred = fits.reference(name, task)
    twin = clone(model)
    assert param_hashes(twin) == param_hashes(model)
    with pytest.raises(SklearnNotFittedError):
        fits.predict(twin, task)
    np.testing.assert_array_equal(fits.predict(fits.fit(twin, task), task), pred)


# Save/load must be exact: every learned array goes to safetensors at its own dtype and
# every scalar through JSON (repr round-trips a float64), LightGBM through its own
# round-tripping text format and forests through skops, so the loaded model repeats the
# same float operations on the same numbers.
_SAVED_SUFFIXES = {".json", ".safetensors", ".txt", ".skops"}


@pytest.mark.parametrize(("name", "task"), cases("save_load"))
def test_save_load_gives_identical_predictions_without_pickle(name, task, fits, tmp_path, monkeypatch):
    import _pickle

    model, pred = fits.reference(name, task)
    path = Path(model.save(tmp_path / "model"))
    files = [p for p in path.rglob("*") if p.is_file()]
    assert files and all(p.suffix in _SAVED_SUFFIXES for p in files), [p.name for p in files]
    for p in files:
        assert p.read_bytes()[:1] != b"\x80", f"{p.name} looks like a pickle"

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("loading a model unpickled something")

    for module in (pickle, _pickle):
        for attr in ("load", "loads", "Unpickler"):
            monkeypatch.setattr(module, attr, refuse)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(fits.predict(loaded, task), pred)
    assert param_hashes(loaded) == param_hashes(model)


@pytest.mark.parametrize(("name", "task"), cases("same_seed", only_seeded=True))
def test_same_random_state_gives_the_same_predictions(name, task, fits):
    _, pred = fits.reference(name, task, random_state=7)
    np.testing.assert_array_equal(fits.fresh(name, task, random_state=7)[1], pred)


@pytest.mark.parametrize(("name", "task"), cases("other_seed", only_seeded=True))
def test_another_random_state_changes_a_stochastic_model(name, task, fits):
    if name in DETERMINISTIC_DESPITE_SEED:
        pytest.skip(DETERMINISTIC_DESPITE_SEED[name])
    a = fits.reference(name, task)[1]
    b = fits.reference(name, task, random_state=7)[1]
    assert not np.array_equal(a, b), "random_state=0 and random_state=7 predict identically"


@pytest.mark.parametrize("name", cases("classes_round_trip", task="dependency"))
def test_dependency_class_targets_fit_predict_and_round_trip(name, dependency_classes_panel, tmp_path):
    # The other dependency target kind (DepMap 22Q1 classes): fit -> predict -> save/load.
    split = make_split(dependency_classes_panel, mode="cell_line", n_folds=4, seed=0, valid_fraction=0.25)
    fold = split.folds[0]
    train, valid, test = (dependency_classes_panel[i] for i in (fold.train, fold.valid, fold.test))
    model = make_model(name, **fast_params(name, "dependency")).fit(train, valid=valid)
    pred = model.predict(test)
    assert pred.shape == (len(test),) and np.isfinite(pred).all()
    np.testing.assert_array_equal(load_model(model.save(tmp_path / "m")).predict(test), pred)


# ------------------------------------------------------------ registry and loading
def test_every_model_declares_what_each_parameter_accepts():
    """Each registered model's ``_parameter_constraints`` covers every ``__init__``
    parameter and accepts its defaults and its fast settings (so ``--param`` values are
    checked before any fold runs)."""
    from cellresponse.models import check_model_params

    for name in available_models():
        cls = get_model_class(name)
        params = set(cls().get_params(deep=False))
        declared = set(getattr(cls, "_parameter_constraints", {}))
        assert params == declared, f"{name}: undeclared {sorted(params - declared)}, stale {sorted(declared - params)}"
        check_model_params(name, {})
        check_model_params(name, dict(FAST[name]))


def test_registry_rejects_duplicates_and_unknown():
    from cellresponse.models import register_model

    with pytest.raises(ValueError, match="already registered"):
        register_model("drug_mean")(type("Other", (), {}))
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        get_model_class("nope")


def test_load_rejects_other_format_version(fits, tmp_path):
    import json

    path = fits.reference("ridge_per_drug", "response")[0].save(tmp_path / "m")
    from cellresponse.models._manifest import document_checksum

    doc = json.loads((path / "model.json").read_text())
    doc["format_version"] = 999
    doc["checksum"] = document_checksum(doc)  # a consistent file of another format
    (path / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="format_version 999"):
        load_model(path)
    with pytest.raises(FileNotFoundError, match="not a saved cellresponse model"):
        load_model(tmp_path / "empty")


# ------------------------------------------------------------- naive baselines
def test_baselines_fall_back_for_unseen_entities(response_ds):
    split = make_split(response_ds, mode="ldo", n_folds=4, seed=0)
    f = split.folds[0]
    model = make_model("tissue_drug_mean").fit(response_ds[f.train])
    pred = model.predict(response_ds[f.test])
    assert np.allclose(pred, np.mean(response_ds[f.train].y))
    assert model.fallback_counts_["global"] == len(f.test)


def test_mean_effects_recovers_additive_structure():
    import pandas as pd

    from cellresponse.data import Dataset

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=15), rng.normal(size=30)
    cells, drugs = np.meshgrid(np.arange(30), np.arange(15))
    keep = rng.random(cells.size) < 0.7
    c, d = cells.ravel()[keep], drugs.ravel()[keep]
    obs = pd.DataFrame({"cell_line": c.astype(str), "perturbation": d.astype(str)})
    ds = Dataset(obs=obs, y=3 + a[d] + b[c], target="t")
    pred = make_model("mean_effects", n_iter=50).fit(ds).predict(ds)
    np.testing.assert_allclose(pred, ds.y, atol=1e-3)
