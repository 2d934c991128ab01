"""Dataset builders: real public response data as :class:`cellresponse.data.Dataset`."""

from cellresponse.datasets._cross import ALIGN_METHODS, align_samples, join_studies
from cellresponse.datasets._drugs import annotate_drugs, drug_catalogue
from cellresponse.datasets._registry import available_datasets, load_dataset

__all__ = [
    "ALIGN_METHODS",
    "align_samples",
    "annotate_drugs",
    "available_datasets",
    "drug_catalogue",
    "join_studies",
    "load_dataset",
]

# Dependency task loaders (issue 6).
from cellresponse.datasets._dependency import (
    dependency_dataset,
    gene_sets,
    load_deepdep_example,
    load_depmap22q1_classes,
    load_depmap_gene_effect,
    prepare_leave_tissue_out,
)

__all__ += [
    "dependency_dataset",
    "gene_sets",
    "load_deepdep_example",
    "load_depmap22q1_classes",
    "load_depmap_gene_effect",
    "prepare_leave_tissue_out",
]
