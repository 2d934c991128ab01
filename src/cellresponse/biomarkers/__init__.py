"""Biomarkers: which genomic features go with response to each drug.

:func:`associations` tests every drug against every feature (binary mutations and
copy-number events, or continuous expression / copy number) with tissue and MSI as
covariates, pan-cancer and per tissue, as gdsctools' ANOVA does, vectorized per drug;
its table follows :data:`ASSOCIATION_COLUMNS`. Inputs come from gdsctools' files
(:func:`gdsctools_inputs`), a loaded response dataset (:func:`dataset_inputs`) or any
matrices (:meth:`AssociationInputs.align`).
"""

from cellresponse.biomarkers._associations import COLLINEAR_TOL, FEATURE_SKIPS, associations
from cellresponse.biomarkers._inputs import MSI_FEATURE, AssociationInputs, dataset_inputs, gdsctools_inputs
from cellresponse.biomarkers._result import (
    ASSOCIATION_COLUMNS,
    COVARIATE_COLUMNS,
    PANCAN,
    SKIP_COLUMNS,
    AssociationResult,
)
from cellresponse.biomarkers._settings import AssociationSettings

__all__ = [
    "ASSOCIATION_COLUMNS",
    "COLLINEAR_TOL",
    "COVARIATE_COLUMNS",
    "FEATURE_SKIPS",
    "MSI_FEATURE",
    "PANCAN",
    "SKIP_COLUMNS",
    "AssociationInputs",
    "AssociationResult",
    "AssociationSettings",
    "associations",
    "dataset_inputs",
    "gdsctools_inputs",
]
