"""What a tabular model's inputs are, in terms of the dataset's features.

The tabular models read cell-line features through an
:class:`~cellresponse.features.EntityFeaturizer`: each view's selected columns are
standardized on the training lines (``(x - mean_) / scale_``), optionally projected on
principal components, and a one-hot tissue block is appended. The map from standardized
features to model inputs is linear, so a linear model's coefficient on the inputs maps
back exactly to one standardized coefficient per original feature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cellresponse.data import Dataset
from cellresponse.features import EntityFeaturizer

#: view name of the tissue one-hot inputs and of principal components
TISSUE_VIEW = "tissue"
PCA_VIEW = "pca"


@dataclass(frozen=True)
class InputSpace:
    """The inputs of one featurizer.

    Attributes
    ----------
    view, feature
        Original features before any projection: ``(view, feature)`` per standardized
        column, in the featurizer's order.
    components
        ``(k, n_original)`` principal axes, or None when the inputs are the standardized
        features themselves.
    pca_mean
        Mean of the standardized features the components were fitted on.
    tissues
        Tissues of the one-hot block (empty without one).
    prefix
        Added to view names of model inputs (``"drug:"`` for a drug featurizer).
    """

    view: np.ndarray
    feature: np.ndarray
    components: np.ndarray | None
    pca_mean: np.ndarray | None
    tissues: np.ndarray
    prefix: str = ""

    @classmethod
    def of(cls, featurizer: EntityFeaturizer, *, prefix: str = "") -> InputSpace:
        views = list(featurizer.views)
        empty = np.empty(0, dtype=object)
        view = np.concatenate([empty, *[np.full(len(featurizer.columns_[v]), v, dtype=object) for v in views]])
        feature = np.concatenate([empty, *[featurizer.columns_[v].astype(object) for v in views]])
        has_tissue = featurizer.one_hot_tissue and featurizer.tissues_ is not None
        tissues = np.asarray(featurizer.tissues_, dtype=object) if has_tissue else empty
        return cls(view, feature, featurizer.pca_components_, featurizer.pca_mean_, tissues, prefix)

    @property
    def n_original(self) -> int:
        return int(self.view.size)

    @property
    def n_block(self) -> int:
        """Model inputs before the tissue block (components or standardized features)."""
        return self.n_original if self.components is None else int(self.components.shape[0])

    @property
    def n_inputs(self) -> int:
        return self.n_block + int(self.tissues.size)

    def input_names(self) -> tuple[np.ndarray, np.ndarray]:
        """``(view, feature)`` of each model input: original features or ``pca``/``PC<k>``,
        then ``tissue``/<tissue>."""
        if self.components is None:
            view, feature = self.view, self.feature
        else:
            k = self.n_block
            view = np.full(k, PCA_VIEW, dtype=object)
            feature = np.array([f"PC{i + 1}" for i in range(k)], dtype=object)
        view = np.concatenate([view, np.full(self.tissues.size, TISSUE_VIEW, dtype=object)])
        feature = np.concatenate([feature, self.tissues.astype(object)])
        return np.array([f"{self.prefix}{v}" for v in view], dtype=object), feature

    def original_names(self) -> tuple[np.ndarray, np.ndarray]:
        """``(view, feature)`` of the original features, then the tissue block."""
        view = np.concatenate([self.view, np.full(self.tissues.size, TISSUE_VIEW, dtype=object)])
        feature = np.concatenate([self.feature, self.tissues.astype(object)])
        return np.array([f"{self.prefix}{v}" for v in view], dtype=object), feature

    def back_project(self, coef: np.ndarray) -> np.ndarray:
        """Coefficients on the model inputs (``(..., n_inputs)``) as coefficients on the
        standardized original features and the tissue block (``(..., n_original + n_tissues)``).

        Exact for a linear model: the inputs are a linear map of the standardized features.
        """
        block, tissue = coef[..., : self.n_block], coef[..., self.n_block :]
        if self.components is not None:
            block = block @ self.components
        return np.concatenate([block, tissue], axis=-1)


def standardized_features(featurizer: EntityFeaturizer, data: Dataset, ids: np.ndarray) -> np.ndarray:
    """The standardized original features of entities ``ids`` (before any projection),
    centred on the projection's mean when there is one, then the tissue one-hot block:
    the values a back-projected coefficient multiplies."""
    x = featurizer.standardized(data, ids)
    if featurizer.pca_mean_ is not None:
        x = x - featurizer.pca_mean_
    return np.hstack([x, featurizer.tissue_block(data, ids)])


__all__ = ["PCA_VIEW", "TISSUE_VIEW", "InputSpace", "standardized_features"]
