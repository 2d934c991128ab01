"""Classifiers under nested cross-validation, a permutation test, top genes.

Everything learned from data (scaling, SelectKBest, the classifier and its
hyperparameters) is fitted inside the outer training fold: the pipeline is
``StandardScaler -> SelectKBest -> classifier`` and the inner ``GridSearchCV`` picks ``k``
and the classifier's hyperparameters on the outer training fold only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

Selector = Literal["f_classif", "mutual_info"]

#: Classifiers with small built-in grids. Keys are the names the CLI accepts.
MODEL_NAMES: tuple[str, ...] = (
    "logreg_l1",
    "logreg_l2",
    "linear_svm",
    "random_forest",
    "gradient_boosting",
)

#: The default set: fast enough for ~1k samples x 6k genes in minutes on 2 cores.
#: ``logreg_l1`` (saga) and ``gradient_boosting`` cost several times more; ask for them.
DEFAULT_MODELS: tuple[str, ...] = ("logreg_l2", "linear_svm", "random_forest")


def _estimator(name: str, *, random_state: int) -> tuple[Any, dict[str, list[Any]]]:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if name == "logreg_l1":
        return (
            LogisticRegression(
                l1_ratio=1.0,
                solver="saga",
                max_iter=300,
                tol=1e-3,
                random_state=random_state,
            )
            if _has_l1_ratio()
            else LogisticRegression(penalty="l1", solver="saga", max_iter=300, tol=1e-3, random_state=random_state),
            {"clf__C": [0.1, 1.0]},
        )
    if name == "logreg_l2":
        return LogisticRegression(max_iter=200, tol=1e-3, random_state=random_state), {"clf__C": [0.01, 0.1]}
    if name == "linear_svm":
        return LinearSVC(dual="auto", max_iter=5000, random_state=random_state), {"clf__C": [0.001, 0.01]}
    if name == "random_forest":
        return RandomForestClassifier(
            n_estimators=150,
            max_features="sqrt",
            class_weight="balanced",
            random_state=random_state,
            n_jobs=1,
        ), {"clf__min_samples_leaf": [1]}
    if name == "gradient_boosting":
        return HistGradientBoostingClassifier(
            max_iter=50, learning_rate=0.1, early_stopping=False, random_state=random_state
        ), {"clf__max_depth": [3]}
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")


def _has_l1_ratio() -> bool:
    """sklearn >= 1.8 deprecates ``penalty=`` in favour of ``l1_ratio``."""
    import sklearn

    major, minor = (int(v) for v in sklearn.__version__.split(".")[:2])
    return (major, minor) >= (1, 8)


def make_pipeline(
    name: str, *, k: int | str = 500, selector: Selector = "f_classif", random_state: int = 0
) -> tuple[Any, dict[str, list[Any]]]:
    """``StandardScaler -> SelectKBest -> classifier`` and its default grid.

    Returns
    -------
    pipeline, grid
        An unfitted sklearn Pipeline with steps ``scale``, ``select``, ``clf`` and the
        classifier part of the grid (add ``select__k`` yourself).
    """
    from functools import partial

    from sklearn.feature_selection import SelectKBest, f_classif, mutual_info_classif
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if selector == "f_classif":
        score_func: Any = f_classif
    elif selector == "mutual_info":
        score_func = partial(mutual_info_classif, random_state=random_state)
    else:
        raise ValueError(f"selector must be 'f_classif' or 'mutual_info', got {selector!r}")
    clf, grid = _estimator(name, random_state=random_state)
    pipe = Pipeline([("scale", StandardScaler()), ("select", SelectKBest(score_func, k=k)), ("clf", clf)])
    return pipe, grid


def class_scores(model: Any, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Per-class scores (probabilities or decision values), shape (n, n_classes)."""
    s = model.predict_proba(x) if hasattr(model, "predict_proba") else model.decision_function(x)
    s = np.asarray(s, dtype=float)
    if s.ndim == 1:  # binary decision_function: score of the positive class
        s = np.column_stack([-s, s])
    return s


def ovr_macro_auc(y_true: npt.ArrayLike, scores: npt.NDArray[np.float64], classes: Sequence[Any]) -> float:
    """ROC AUC, one-vs-rest, macro-averaged over classes present in ``y_true``.

    For two classes this is the usual binary AUC. Works with any per-class scores
    (probabilities or SVM decision values), unlike sklearn's multiclass path, which
    needs probabilities.
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y_true)
    if len(classes) == 2:
        return float(roc_auc_score(y == classes[1], scores[:, 1]))
    aucs = [roc_auc_score(y == c, scores[:, j]) for j, c in enumerate(classes) if 0 < (y == c).sum() < len(y)]
    return float(np.mean(aucs))


@dataclass(frozen=True)
class CVScheme:
    """How classifiers are cross-validated: stratified folds, seed and parallel jobs.

    Parameters
    ----------
    outer_folds
        Folds that score the models (:func:`nested_cv`) and that the permutation test
        scores with (:func:`permutation_test`).
    inner_folds
        Folds of the hyperparameter search inside each outer training fold.
    random_state
        Seed of the fold assignment, the models and the label permutations.
    n_jobs
        Parallel jobs for the inner grid search and the permutations.
    """

    outer_folds: int = 5
    inner_folds: int = 3
    random_state: int = 0
    n_jobs: int = 1


@dataclass(frozen=True)
class NestedCVResult:
    """Outer-fold scores of each model.

    Attributes
    ----------
    scores
        Long table: ``model, fold, metric, value`` (metrics ``roc_auc_ovr_macro``,
        ``balanced_accuracy``), one row per outer test fold.
    best_params
        ``model, fold, param, value``: hyperparameters the inner search picked.
    classes
        Class labels in score-column order.
    settings
        Folds, grid, selector and seed.
    """

    scores: pd.DataFrame
    best_params: pd.DataFrame
    classes: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation over outer folds, one row per model and metric."""
        g = self.scores.groupby(["model", "metric"])["value"]
        return g.agg(["mean", "std", "count"]).reset_index()


def _check_xy(x: pd.DataFrame, y: pd.Series, *, outer_folds: int) -> None:
    if len(x) != len(y) or not x.index.equals(y.index):
        raise ValueError(f"x ({len(x)} rows) and y ({len(y)} labels) must share the same index in order")
    if not np.isfinite(x.to_numpy(dtype=float)).all():
        raise ValueError("x has missing or infinite values; impute or drop them first")
    counts = y.value_counts()
    if len(counts) < 2:
        raise ValueError(f"need at least 2 classes, got {list(counts.index)}")
    if counts.min() < outer_folds:
        raise ValueError(
            f"class {counts.idxmin()!r} has {int(counts.min())} samples, fewer than "
            f"outer_folds={outer_folds}; drop small classes first"
        )


def nested_cv(
    x: pd.DataFrame,
    y: pd.Series,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    k_grid: Sequence[int] = (100, 500),
    selector: Selector = "f_classif",
    cv: CVScheme | None = None,
    progress: bool = True,
) -> NestedCVResult:
    """Score classifiers with nested stratified cross-validation.

    Parameters
    ----------
    x
        Samples x genes.
    y
        Class label per sample (same index as ``x``).
    models
        Names from :data:`MODEL_NAMES`.
    k_grid
        Numbers of genes SelectKBest may keep (capped at the number of genes).
    selector
        ``"f_classif"`` (ANOVA F) or ``"mutual_info"`` (slower).
    cv
        Outer and inner folds, seed and parallel jobs (default ``CVScheme()``: 5 outer,
        3 inner folds, seed 0, one job).
    progress
        Show a rich progress bar over (model, outer fold).

    Returns
    -------
    NestedCVResult

    Raises
    ------
    ValueError
        For mismatched inputs, missing values, an unknown model, or a class smaller
        than ``outer_folds``.
    """
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    cv = CVScheme() if cv is None else cv
    outer_folds, inner_folds, random_state, n_jobs = cv.outer_folds, cv.inner_folds, cv.random_state, cv.n_jobs
    _check_xy(x, y, outer_folds=outer_folds)
    for m in models:
        if m not in MODEL_NAMES:
            raise ValueError(f"unknown model {m!r}; choose from {', '.join(MODEL_NAMES)}")
    xv = x.to_numpy(dtype=np.float64)
    yv = y.astype(str).to_numpy()
    ks = sorted({min(int(k), xv.shape[1]) for k in k_grid})
    outer = StratifiedKFold(outer_folds, shuffle=True, random_state=random_state)
    splits = list(outer.split(xv, yv))
    rows: list[dict[str, Any]] = []
    params: list[dict[str, Any]] = []
    classes: tuple[str, ...] = tuple(sorted(set(yv)))
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread per process: parallelism comes from n_jobs; nested
    # threading (e.g. HistGradientBoosting's OpenMP on top of joblib) oversubscribes
    # small machines badly.
    with (
        threadpool_limits(limits=1),
        _progress(progress, total=len(models) * len(splits)) as advance,
    ):
        for name in models:
            for fold, (tr, te) in enumerate(splits):
                pipe, grid = make_pipeline(name, selector=selector, random_state=random_state)
                search = GridSearchCV(
                    pipe,
                    {**grid, "select__k": ks},
                    scoring="balanced_accuracy",
                    cv=StratifiedKFold(inner_folds, shuffle=True, random_state=random_state),
                    n_jobs=n_jobs,
                    refit=True,
                )
                search.fit(xv[tr], yv[tr])
                best = search.best_estimator_
                model_classes = list(best.classes_)
                s = class_scores(best, xv[te])
                rows.append(
                    {
                        "model": name,
                        "fold": fold,
                        "metric": "roc_auc_ovr_macro",
                        "value": ovr_macro_auc(yv[te], s, model_classes),
                    }
                )
                rows.append(
                    {
                        "model": name,
                        "fold": fold,
                        "metric": "balanced_accuracy",
                        "value": float(balanced_accuracy_score(yv[te], best.predict(xv[te]))),
                    }
                )
                for p, v in search.best_params_.items():
                    params.append({"model": name, "fold": fold, "param": p, "value": v})
                advance(f"{name} fold {fold + 1}/{len(splits)}")
    return NestedCVResult(
        scores=pd.DataFrame(rows),
        best_params=_params_frame(params),
        classes=classes,
        settings={
            "models": list(models),
            "k_grid": ks,
            "selector": selector,
            "outer_folds": outer_folds,
            "inner_folds": inner_folds,
            "random_state": random_state,
        },
    )


def _params_frame(params: list[dict[str, Any]]) -> pd.DataFrame:
    """Chosen hyperparameters; ``value`` stays object so ints are not turned into floats
    (``min_samples_leaf=1.0`` would mean a fraction of the samples)."""
    frame = pd.DataFrame(params, columns=["model", "fold", "param"])
    frame["value"] = pd.Series([p["value"] for p in params], dtype=object)
    return frame


class _progress:
    """Context manager yielding ``advance(description)``; a rich bar when enabled."""

    def __init__(self, enabled: bool, *, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self._bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda _desc: None
        from rich.progress import Progress

        self._bar = Progress(transient=False)
        self._bar.__enter__()
        task = self._bar.add_task("nested CV", total=self.total)

        def advance(desc: str) -> None:
            self._bar.update(task, advance=1, description=desc)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def most_common_params(result: NestedCVResult, model: str) -> dict[str, Any]:
    """The hyperparameters the inner search chose most often for ``model``."""
    bp = result.best_params[result.best_params["model"] == model]
    if bp.empty:
        raise KeyError(f"model {model!r} is not in the nested-CV result")
    out: dict[str, Any] = {}
    for p, g in bp.groupby("param"):
        out[str(p)] = g["value"].astype(object).value_counts().index[0]
    return out


def permutation_test(
    x: pd.DataFrame,
    y: pd.Series,
    *,
    model: str = "logreg_l2",
    params: Mapping[str, Any] | None = None,
    n_permutations: int = 50,
    selector: Selector = "f_classif",
    cv: CVScheme | None = None,
) -> dict[str, Any]:
    """Permutation test of the cross-validated balanced accuracy of one pipeline.

    The pipeline (with ``params``, e.g. from :func:`most_common_params`) is scored by
    stratified CV (``cv.outer_folds`` folds, seed ``cv.random_state``, ``cv.n_jobs``
    jobs; ``cv.inner_folds`` is not used) on the real labels and on ``n_permutations``
    shuffles; feature selection stays inside the folds each time.

    Returns
    -------
    dict
        ``score``, ``permutation_mean``, ``permutation_std``, ``pvalue``
        (``(1 + #perm >= score) / (1 + n_permutations)``) and ``n_permutations``.
    """
    from sklearn.model_selection import StratifiedKFold, permutation_test_score

    cv = CVScheme() if cv is None else cv
    cv_folds, random_state, n_jobs = cv.outer_folds, cv.random_state, cv.n_jobs
    _check_xy(x, y, outer_folds=cv_folds)
    pipe, _ = make_pipeline(model, selector=selector, random_state=random_state)
    settings = dict(params or {})
    if "select__k" in settings:
        settings["select__k"] = min(int(settings["select__k"]), x.shape[1])
    else:
        settings["select__k"] = min(500, x.shape[1])
    pipe.set_params(**settings)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        score, perm, p = permutation_test_score(
            pipe,
            x.to_numpy(dtype=np.float64),
            y.astype(str).to_numpy(),
            cv=StratifiedKFold(cv_folds, shuffle=True, random_state=random_state),
            n_permutations=n_permutations,
            scoring="balanced_accuracy",
            random_state=random_state,
            n_jobs=n_jobs,
        )
    return {
        "model": model,
        "params": {k: (v.item() if hasattr(v, "item") else v) for k, v in settings.items()},
        "score": float(score),
        "permutation_mean": float(np.mean(perm)),
        "permutation_std": float(np.std(perm)),
        "pvalue": float(p),
        "n_permutations": n_permutations,
    }


def top_genes(
    x: pd.DataFrame,
    y: pd.Series,
    *,
    model: str = "logreg_l2",
    params: Mapping[str, Any] | None = None,
    n: int = 30,
    selector: Selector = "f_classif",
    random_state: int = 0,
) -> pd.DataFrame:
    """Genes that drive one pipeline fitted on all samples (descriptive, not a score).

    Importance is the mean absolute coefficient over classes for linear models and
    the impurity importance for random forests. For gradient boosting (no built-in
    importance) the SelectKBest score is used.

    Returns
    -------
    pandas.DataFrame
        ``gene, importance, selector_score, rank`` for the ``n`` most important genes;
        plus ``top_class`` (class with the largest coefficient) for linear models.
    """
    pipe, _ = make_pipeline(model, selector=selector, random_state=random_state)
    settings = dict(params or {})
    settings["select__k"] = min(int(settings.get("select__k", 500)), x.shape[1])
    pipe.set_params(**settings)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        pipe.fit(x.to_numpy(dtype=np.float64), y.astype(str).to_numpy())
    support = pipe.named_steps["select"].get_support()
    genes = x.columns[support].astype(str)
    clf = pipe.named_steps["clf"]
    out = pd.DataFrame({"gene": genes, "selector_score": pipe.named_steps["select"].scores_[support]})
    if hasattr(clf, "coef_"):
        coef = np.atleast_2d(clf.coef_)
        out["importance"] = np.abs(coef).mean(axis=0)
        if coef.shape[0] > 1:
            out["top_class"] = np.asarray(clf.classes_)[np.argmax(coef, axis=0)]
    elif hasattr(clf, "feature_importances_"):
        out["importance"] = clf.feature_importances_
    else:
        out["importance"] = out["selector_score"]
    out = out.sort_values("importance", ascending=False).head(n).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


__all__ = [
    "DEFAULT_MODELS",
    "MODEL_NAMES",
    "CVScheme",
    "NestedCVResult",
    "class_scores",
    "make_pipeline",
    "most_common_params",
    "nested_cv",
    "ovr_macro_auc",
    "permutation_test",
    "top_genes",
]
