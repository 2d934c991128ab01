"""One exploratory classification: embedding, univariate scores, nested CV, top genes,
permutation test.

:func:`explore_classification` is what ``cellresponse explore`` computes, as a library
function: it returns an :class:`ExploreAnalysis` and writes nothing (see
:func:`cellresponse.pipeline.run_explore` for the run that writes tables, plots and a
report).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from cellresponse.explore._embed import embed, univariate_scores
from cellresponse.explore._nested import (
    DEFAULT_MODELS,
    CVScheme,
    NestedCVResult,
    Selector,
    most_common_params,
    nested_cv,
    permutation_test,
    top_genes,
)

#: The metric that picks the model whose genes and permutation test are reported.
SELECTION_METRIC = "roc_auc_ovr_macro"


@dataclass(frozen=True)
class ExploreSettings:
    """Settings of :func:`explore_classification`.

    Parameters
    ----------
    models
        Classifier names (see :data:`cellresponse.explore.MODEL_NAMES`).
    k_grid
        Numbers of genes SelectKBest may keep.
    selector
        ``"f_classif"`` or ``"mutual_info"``.
    cv
        Outer and inner folds, seed and parallel jobs; the seed also drives the
        embedding, the univariate scores and the top-gene fit.
    n_permutations
        Label permutations of the best model (0 skips the test).
    embedding
        ``"pca"`` or ``"umap"``.
    progress
        Show a progress bar over the nested CV.
    """

    models: Sequence[str] = DEFAULT_MODELS
    k_grid: Sequence[int] = (100, 500)
    selector: Selector = "f_classif"
    cv: CVScheme = field(default_factory=CVScheme)
    n_permutations: int = 20
    embedding: Literal["pca", "umap"] = "pca"
    progress: bool = True


@dataclass(frozen=True)
class ExploreAnalysis:
    """Result of :func:`explore_classification`.

    Attributes
    ----------
    labels
        Class label per sample (the samples analysed).
    n_features
        Number of genes.
    embedding
        2-D coordinates per sample; ``explained`` holds PCA's variance ratios.
    univariate
        Per-gene scores on all samples (descriptive).
    cv
        Nested-CV scores and the hyperparameters chosen per outer fold.
    best_model
        The model with the highest mean :data:`SELECTION_METRIC`.
    best_params
        Its most frequently chosen hyperparameters.
    top_genes
        Genes that drive the best model fitted on all samples.
    permutation
        The permutation test of the best model (None when skipped).
    settings
        The settings used.
    """

    labels: pd.Series
    n_features: int
    embedding: pd.DataFrame
    explained: dict[str, float]
    univariate: pd.DataFrame
    cv: NestedCVResult
    best_model: str
    best_params: dict[str, Any]
    top_genes: pd.DataFrame
    permutation: dict[str, Any] | None
    settings: ExploreSettings

    @property
    def n_classes(self) -> int:
        return int(self.labels.nunique())

    def cv_summary(self) -> pd.DataFrame:
        """Mean and standard deviation of each model's outer-fold scores."""
        return self.cv.summary()

    def summary(self) -> dict[str, Any]:
        """Dataset size, classes, the CV scheme and the best model."""
        n_classes = self.n_classes
        return {
            "n_samples": len(self.labels),
            "n_features": self.n_features,
            "n_classes": n_classes,
            "classes": [f"{c} ({n})" for c, n in self.labels.value_counts().items()],
            "outer_folds": self.settings.cv.outer_folds,
            "inner_folds": self.settings.cv.inner_folds,
            "auc_kind": "one-vs-rest, macro-averaged" if n_classes > 2 else "binary",
            "chance_balanced_accuracy": 1 / n_classes,
            "best_model": self.best_model,
        }


def explore_classification(
    x: pd.DataFrame, y: pd.Series, *, settings: ExploreSettings | None = None
) -> ExploreAnalysis:
    """Score classifiers of ``y`` from ``x`` honestly and describe what drives them.

    The nested CV scores every model on held-out outer folds; the model with the best
    mean :data:`SELECTION_METRIC` is then fitted on all samples for its top genes
    (descriptive) and, unless ``settings.n_permutations`` is 0, permutation-tested.

    Parameters
    ----------
    x
        Samples x genes.
    y
        Class label per sample (same index as ``x``).
    settings
        Models, grids, CV scheme, permutations and embedding (default
        ``ExploreSettings()``).

    Returns
    -------
    ExploreAnalysis

    Raises
    ------
    ValueError
        For mismatched inputs, missing values, an unknown model, or a class smaller
        than the outer folds.
    """
    s = ExploreSettings() if settings is None else settings
    seed = s.cv.random_state
    coords, explained = embed(x, method=s.embedding, random_state=seed)
    uni = univariate_scores(x, y, random_state=seed)
    cv = nested_cv(x, y, models=list(s.models), k_grid=s.k_grid, selector=s.selector, cv=s.cv, progress=s.progress)
    summ = cv.summary()
    auc = summ[summ["metric"] == SELECTION_METRIC].set_index("model")["mean"]
    best_model = str(auc.idxmax())
    params = most_common_params(cv, best_model)
    genes = top_genes(x, y, model=best_model, params=params, selector=s.selector, random_state=seed)
    perm = None
    if s.n_permutations > 0:
        perm = permutation_test(
            x, y, model=best_model, params=params, n_permutations=s.n_permutations, selector=s.selector, cv=s.cv
        )
    return ExploreAnalysis(
        labels=y,
        n_features=int(x.shape[1]),
        embedding=coords,
        explained=explained,
        univariate=uni,
        cv=cv,
        best_model=best_model,
        best_params=params,
        top_genes=genes,
        permutation=perm,
        settings=s,
    )


__all__ = ["SELECTION_METRIC", "ExploreAnalysis", "ExploreSettings", "explore_classification"]
