from __future__ import annotations

import pytest

from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset


@pytest.fixture(scope="session")
def _synth():
    return make_expression_dataset(
        SyntheticExpressionPanel(n_cell_lines=5, n_compounds=8, n_genes=30, n_bits=64), random_state=1
    )


@pytest.fixture
def synth(_synth):
    # Dataset is immutable (read-only arrays), so sharing the cached object is safe.
    return _synth
