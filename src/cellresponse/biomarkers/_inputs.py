"""The inputs of an association analysis, aligned and checked.

A drug x feature association test needs a response matrix (cell lines x drugs, NaN where
a line was not screened), a feature matrix (cell lines x features: binary mutations and
copy-number events, or continuous expression / copy number), and optional covariates per
line: tissue (categorical) and MSI status (0/1). :class:`AssociationInputs` holds them on
the lines that both the responses and the features have; :func:`gdsctools_inputs` reads
the gdsctools files and :func:`dataset_inputs` takes a loaded response dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.data import Dataset
from cellresponse.io import read_gdsctools_genomic_features, read_gdsctools_ic50

#: the MSI column of gdsctools' genomic features
MSI_FEATURE = "MSI_FACTOR"


@dataclass(frozen=True)
class AssociationInputs:
    """Responses, features and covariates on the cell lines they share.

    Build it with :meth:`align` (which checks every input and says what it dropped).

    Attributes
    ----------
    responses
        Lines x drugs, float64; NaN where a line was not screened with a drug.
    features
        Lines x features, float64, no NaN.
    tissue
        Tissue per line (strings), or None: no tissue covariate.
    msi
        MSI status per line (0/1), or None: no MSI covariate.
    info
        What the alignment did: lines per input, lines kept, lines dropped (with examples).
    """

    responses: pd.DataFrame
    features: pd.DataFrame
    tissue: pd.Series | None = None
    msi: pd.Series | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def align(
        cls,
        responses: pd.DataFrame,
        features: pd.DataFrame,
        *,
        tissue: pd.Series | None = None,
        msi: pd.Series | None = None,
    ) -> AssociationInputs:
        """Check the inputs and keep the cell lines that responses and features share.

        Raises
        ------
        ValueError
            If responses and features share no cell line, a feature is not numeric or
            has a missing value on a shared line, a response is infinite, a tissue is
            missing for a shared line, or an MSI status is not 0/1.
        """
        responses = _matrix(responses, "responses")
        features = _matrix(features, "features")
        shared = responses.index.intersection(features.index, sort=False)
        if len(shared) == 0:
            raise ValueError(
                "responses and features share no cell lines: responses have "
                f"{len(responses.index)} (e.g. {examples(responses.index, 3)}), features have "
                f"{len(features.index)} (e.g. {examples(features.index, 3)}); check that both use the "
                "same cell-line IDs (COSMIC IDs for gdsctools files)"
            )
        no_features = responses.index.difference(shared, sort=False)
        info = {
            "lines_responses": len(responses.index),
            "lines_features": len(features.index),
            "lines_shared": len(shared),
            "lines_without_features": len(no_features),
            "lines_without_features_examples": [str(v) for v in no_features[:5]],
            "drugs": int(responses.shape[1]),
            "features": int(features.shape[1]),
        }
        responses = responses.loc[shared]
        features = features.loc[shared]
        bad = features.isna()
        if bad.to_numpy().any():
            col = bad.any(axis=0)
            first = str(col[col].index[0])
            lines = features.index[bad[first].to_numpy()]
            raise ValueError(
                f"features have missing values in {int(col.sum())} column(s), e.g. {first!r} for cell line(s) "
                f"{examples(lines, 3)}; impute or drop them before testing"
            )
        inf = np.isinf(responses.to_numpy())
        if inf.any():
            r, c = (int(v[0]) for v in np.nonzero(inf))
            raise ValueError(
                f"responses hold an infinite value (cell line {responses.index[r]}, drug {responses.columns[c]})"
            )
        aligned_tissue = None if tissue is None else _tissue(tissue, shared)
        aligned_msi = None if msi is None else _msi(msi, shared)
        return cls(responses, features, aligned_tissue, aligned_msi, info)


def _matrix(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame (cell lines x columns), got {type(frame).__name__}")
    if frame.shape[1] == 0:
        raise ValueError(f"{what} has no columns")
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise ValueError(f"{what}: column(s) {examples(non_numeric, 3)} are not numeric")
    out = frame.astype(np.float64)
    out.index = pd.Index(out.index).astype(str)
    out.columns = pd.Index(out.columns).astype(str)
    if out.index.has_duplicates:
        raise ValueError(f"{what}: duplicated cell lines {examples(out.index[out.index.duplicated()].unique(), 3)}")
    if out.columns.has_duplicates:
        raise ValueError(f"{what}: duplicated columns {examples(out.columns[out.columns.duplicated()].unique(), 3)}")
    return out


def _tissue(tissue: pd.Series, lines: pd.Index) -> pd.Series:
    t = pd.Series(tissue.to_numpy(dtype=object), index=pd.Index(tissue.index).astype(str))
    t = t[~t.index.duplicated()].reindex(lines)
    if t.isna().any():
        raise ValueError(
            f"tissue is missing for {int(t.isna().sum())} cell line(s), e.g. {examples(t.index[t.isna()], 3)} "
            "(label them, e.g. 'unknown', or drop the tissue covariate)"
        )
    return t.astype(str)


def _msi(msi: pd.Series, lines: pd.Index) -> pd.Series:
    m = pd.Series(pd.to_numeric(msi, errors="coerce").to_numpy(), index=pd.Index(msi.index).astype(str))
    m = m[~m.index.duplicated()].reindex(lines)
    bad = ~m.isin([0.0, 1.0])
    if bad.any():
        raise ValueError(
            f"MSI status must be 0 or 1 for every cell line; {int(bad.sum())} line(s) are not, e.g. "
            f"{examples(m.index[bad], 3)}"
        )
    return m.astype(np.float64)


def gdsctools_inputs(ic50: PathLike, features: PathLike, *, msi_feature: str = MSI_FEATURE) -> AssociationInputs:
    """Read gdsctools' input files: the IC50 matrix (``COSMIC_ID`` x ``Drug_<id>_IC50``)
    and the genomic features (``COSMIC_ID``, ``TISSUE_FACTOR``, ``MSI_FACTOR``, features).

    Drugs are named by their GDSC drug ID (``"1047"``); ``TISSUE_FACTOR`` is the tissue
    covariate and ``msi_feature`` the MSI covariate (not tested as a feature).
    """
    long = read_gdsctools_ic50(ic50)
    responses = long.pivot(index="cosmic_id", columns="drug_id", values="ln_ic50")
    frame, tissue = read_gdsctools_genomic_features(features)
    msi = None
    if msi_feature in frame.columns:
        msi = frame[msi_feature]
        frame = frame.drop(columns=[msi_feature])
    out = AssociationInputs.align(responses, frame, tissue=tissue, msi=msi)
    out.info["source"] = {"ic50": str(ic50), "features": str(features)}
    return out


def dataset_inputs(data: Dataset, *, view: str, msi_feature: str | None = MSI_FEATURE) -> AssociationInputs:
    """Responses of a loaded response dataset against one of its cell-line views.

    Tissue comes from ``data.cell_meta`` (``"unknown"`` where not annotated); the view's
    ``msi_feature`` column, if it has one, is the MSI covariate.

    Raises
    ------
    ValueError
        For a vector-target dataset (an expression signature is not one response).
    KeyError
        If the dataset has no view ``view``.
    """
    if data.is_vector_target:
        raise ValueError(f"dataset {data.name!r} has a vector target; associations need one response per pair")
    frame = data.cell_view(view).to_frame().astype(np.float64)
    long = pd.DataFrame({"cell_line": data.cell_lines, "drug": data.perturbations, "y": data.y.astype(np.float64)})
    responses = long.pivot_table(index="cell_line", columns="drug", values="y", aggfunc="mean", sort=True)
    msi = None
    if msi_feature is not None and msi_feature in frame.columns:
        msi = frame[msi_feature]
        frame = frame.drop(columns=[msi_feature])
    tissue = None
    if "tissue" in data.cell_meta.columns:
        tissue = data.cell_meta["tissue"].reindex(responses.index).fillna("unknown")
    out = AssociationInputs.align(responses, frame, tissue=tissue, msi=msi)
    out.info["source"] = {"dataset": data.name, "view": view, "target": data.target}
    return out


__all__ = ["MSI_FEATURE", "AssociationInputs", "dataset_inputs", "gdsctools_inputs"]
