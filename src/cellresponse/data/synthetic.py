"""Small synthetic response panels with known structure, for tests and smoke runs.

Everything produced here is SYNTHETIC and is labelled so in ``Dataset.info``. Real-data
results never come from this module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse.data._dataset import Dataset
from cellresponse.data._views import FeatureView


def make_response_dataset(
    *,
    n_cell_lines: int = 20,
    n_genes: int = 50,
    n_drugs: int = 8,
    n_tissues: int = 4,
    n_bits: int = 64,
    missing_fraction: float = 0.1,
    noise: float = 0.3,
    random_state: int = 0,
) -> Dataset:
    """A synthetic drug-response panel: drug potency + tissue effect + gene x drug signal.

    y = drug_mean + tissue effect + expression . w_drug + noise, so per-drug models on
    expression can beat the drug mean, and the tissue x drug mean carries part of it.
    """
    rng = np.random.default_rng(random_state)
    cells = [f"CL{i:03d}" for i in range(n_cell_lines)]
    drugs = [f"D{j:02d}" for j in range(n_drugs)]
    genes = [f"G{g:03d}" for g in range(n_genes)]
    tissues = np.array([f"tissue{t}" for t in range(n_tissues)])[rng.integers(0, n_tissues, n_cell_lines)]
    expr = rng.normal(size=(n_cell_lines, n_genes)).astype(np.float32)
    mut = (rng.random((n_cell_lines, n_genes)) < 0.1).astype(np.float32)
    cnv = rng.integers(-1, 2, size=(n_cell_lines, n_genes)).astype(np.float32)
    bits = (rng.random((n_drugs, n_bits)) < 0.2).astype(np.float32)
    drug_mean = rng.normal(2.0, 2.0, n_drugs)
    tissue_effect = {t: rng.normal(0, 0.5) for t in np.unique(tissues)}
    w = rng.normal(0, 0.4, size=(n_drugs, 5))
    rows = []
    for i, c in enumerate(cells):
        for j, d in enumerate(drugs):
            if rng.random() < missing_fraction:
                continue
            signal = expr[i, :5] @ w[j] + mut[i, 0] * (j % 2)
            value = drug_mean[j] + tissue_effect[tissues[i]] + signal + rng.normal(0, noise)
            rows.append((c, d, value))
    obs = pd.DataFrame(rows, columns=["cell_line", "perturbation", "y"])
    return Dataset(
        obs=obs[["cell_line", "perturbation"]],
        y=obs["y"].to_numpy(),
        target="ln_ic50",
        task="response",
        perturbation_kind="drug",
        cell_views={
            "expression": FeatureView("expression", cells, expr, genes),
            "mutation": FeatureView("mutation", cells, mut, genes, "binary"),
            "cnv": FeatureView("cnv", cells, cnv, genes, "discrete"),
        },
        perturbation_views={"morgan": FeatureView("morgan", drugs, bits, [str(b) for b in range(n_bits)], "binary")},
        cell_meta=pd.DataFrame({"tissue": tissues}, index=cells),
        perturbation_meta=pd.DataFrame({"name": drugs}, index=drugs),
        name="synthetic_response",
        info={"synthetic": True, "random_state": random_state},
    )


__all__ = ["make_response_dataset"]
