"""Seeded synthetic count data for the DE tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_counts(
    *, n_genes: int = 300, n_per_group: int = 4, n_de: int = 30, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Negative-binomial counts, two conditions x paired donors; first ``n_de`` genes up 4x."""
    rng = np.random.default_rng(seed)
    n = 2 * n_per_group
    mu = rng.lognormal(mean=5, sigma=1.2, size=n_genes)
    donor_effect = rng.lognormal(0, 0.3, size=(n_per_group, n_genes))
    lfc = np.zeros(n_genes)
    lfc[:n_de] = 2.0
    disp = 0.05
    rows = []
    for i in range(n):
        treated = i >= n_per_group
        m = mu * donor_effect[i % n_per_group] * (2.0 ** (lfc * treated)) * rng.uniform(0.7, 1.4)
        rows.append(rng.negative_binomial(1 / disp, 1 / (1 + m * disp)))
    samples = [f"s{i}" for i in range(n)]
    counts = pd.DataFrame(np.array(rows), index=samples, columns=[f"g{j:03d}" for j in range(n_genes)])
    table = pd.DataFrame(
        {
            "condition": ["ctrl"] * n_per_group + ["drug"] * n_per_group,
            "donor": [f"d{i % n_per_group}" for i in range(n)],
        },
        index=samples,
    )
    return counts, table


@pytest.fixture(scope="session")
def _synthetic_counts() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_counts()


@pytest.fixture
def synthetic_counts(_synthetic_counts):
    counts, samples = _synthetic_counts
    return counts.copy(), samples.copy()
