"""Dataset builders: real public response data as :class:`cellresponse.data.Dataset`."""

from cellresponse.datasets._registry import available_datasets, load_dataset

__all__ = ["available_datasets", "load_dataset"]
