"""Dataset builders: real public response data as :class:`cellresponse.data.Dataset`."""

from cellresponse.datasets._registry import available_datasets, load_dataset

__all__ = ["available_datasets", "load_dataset"]

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
