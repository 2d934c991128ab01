"""Shared fixtures: small seeded synthetic datasets and the real data root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cellresponse.data.synthetic import make_response_dataset

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def _response_ds():
    return make_response_dataset(n_cell_lines=40, n_genes=30, n_drugs=8, random_state=0)


@pytest.fixture
def response_ds(_response_ds):
    """A synthetic response panel (40 lines x 8 drugs). Datasets are immutable: shared safely."""
    return _response_ds


@pytest.fixture(scope="session")
def real_data_root() -> Path:
    from cellresponse._paths import data_root

    try:
        return data_root()
    except FileNotFoundError as err:
        pytest.skip(str(err))
