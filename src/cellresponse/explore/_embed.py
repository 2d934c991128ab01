"""Low-dimensional embeddings of samples (PCA, UMAP) and univariate gene scores."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd


def embed(
    x: pd.DataFrame,
    *,
    method: Literal["pca", "umap"] = "pca",
    n_components: int = 2,
    random_state: int = 0,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Embed samples (rows) of a standardised copy of ``x``.

    Parameters
    ----------
    x
        Samples x features.
    method
        ``"pca"`` or ``"umap"`` (umap-learn, ``pip install 'cellresponse[explore]'``;
        run on the first 50 principal components).
    n_components
        Output dimensions.
    random_state
        Seed for UMAP (and the PCA solver).

    Returns
    -------
    coords, info
        Coordinates (columns ``PC1..``/``UMAP1..``) and, for PCA, the explained
        variance ratio per component (``{"PC1": 0.12, ...}``).

    Raises
    ------
    ValueError
        For an unknown method or too few samples.
    ImportError
        If UMAP is requested and umap-learn is missing.
    """
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    if method not in ("pca", "umap"):
        raise ValueError(f"method must be 'pca' or 'umap', got {method!r}")
    if x.shape[0] <= n_components:
        raise ValueError(f"need more than {n_components} samples, got {x.shape[0]}")
    z = StandardScaler().fit_transform(x.to_numpy(dtype=float))
    if method == "pca":
        pca = PCA(n_components=n_components, random_state=random_state)
        coords = pca.fit_transform(z)
        cols = [f"PC{i + 1}" for i in range(n_components)]
        info = {c: float(v) for c, v in zip(cols, pca.explained_variance_ratio_, strict=True)}
        return pd.DataFrame(coords, index=x.index, columns=cols), info
    try:
        import umap
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("UMAP needs umap-learn: pip install 'cellresponse[explore]'") from err
    n_pc = min(50, z.shape[0] - 1, z.shape[1])
    pcs = PCA(n_components=n_pc, random_state=random_state).fit_transform(z)
    reducer = umap.UMAP(n_components=n_components, random_state=random_state, n_neighbors=15, n_jobs=1)
    coords = np.asarray(reducer.fit_transform(pcs))
    cols = [f"UMAP{i + 1}" for i in range(n_components)]
    return pd.DataFrame(coords, index=x.index, columns=cols), {}


def univariate_scores(
    x: pd.DataFrame,
    y: pd.Series,
    *,
    mutual_info: bool = True,
    random_state: int = 0,
) -> pd.DataFrame:
    """ANOVA F (``f_classif``) and mutual information of each feature with the labels.

    Computed on all samples, so it is descriptive only: the cross-validated scores of
    :func:`nested_cv` select features inside each training fold instead.

    Returns
    -------
    pandas.DataFrame
        ``gene, f_statistic, f_pvalue, f_padj`` (BH) and ``mutual_info``, sorted by F.
    """
    from sklearn.feature_selection import f_classif, mutual_info_classif

    from cellresponse.de import bh_fdr

    xv = x.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        f, p = f_classif(xv, y.to_numpy())
    p = np.where(np.isnan(p), np.nan, np.clip(p, 0, 1))
    out = pd.DataFrame({"gene": x.columns.astype(str), "f_statistic": f, "f_pvalue": p, "f_padj": bh_fdr(p)})
    if mutual_info:
        out["mutual_info"] = mutual_info_classif(xv, y.to_numpy(), random_state=random_state)
    return out.sort_values("f_statistic", ascending=False, na_position="last").reset_index(drop=True)


__all__ = ["embed", "univariate_scores"]
