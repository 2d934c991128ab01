"""Small synthetic response and dependency panels with known structure, for tests and smoke runs.

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


def make_dependency_dataset(
    *,
    n_cell_lines: int = 36,
    n_genes: int = 16,
    n_features: int = 20,
    n_tissues: int = 4,
    noise: float = 0.3,
    random_state: int = 0,
) -> Dataset:
    """A synthetic gene-dependency panel: gene effect = expression . W + gene offset + noise.

    Three quarters of the genes are ``selective`` (driven by a few expression features),
    the rest ``common_essential`` (strongly negative in every line), as in
    ``perturbation_meta["gene_set"]`` of the DepMap datasets.
    """
    rng = np.random.default_rng(random_state)
    lines = [f"ACH-{i:06d}" for i in range(n_cell_lines)]
    genes = [f"G{g:02d}" for g in range(n_genes)]
    n_common = max(1, n_genes // 4)
    expr = rng.normal(size=(n_cell_lines, n_features)).astype(np.float32)
    w = rng.normal(scale=0.6, size=(n_features, n_genes)) * (rng.random((n_features, n_genes)) < 0.3)
    offset = np.where(np.arange(n_genes) >= n_genes - n_common, -1.5, -0.2)
    effect = expr @ w + offset + rng.normal(scale=noise, size=(n_cell_lines, n_genes))
    tissues = np.array([f"tissue{t}" for t in range(n_tissues)])[np.arange(n_cell_lines) % n_tissues]
    cells, gene_idx = np.meshgrid(np.arange(n_cell_lines), np.arange(n_genes), indexing="ij")
    obs = pd.DataFrame({"cell_line": np.array(lines)[cells.ravel()], "perturbation": np.array(genes)[gene_idx.ravel()]})
    sets = ["selective"] * (n_genes - n_common) + ["common_essential"] * n_common
    return Dataset(
        obs=obs,
        y=effect.ravel(),
        target="gene_effect",
        task="dependency",
        perturbation_kind="gene",
        cell_views={"expression": FeatureView("expression", lines, expr, [f"F{j:02d}" for j in range(n_features)])},
        cell_meta=pd.DataFrame({"tissue": tissues}, index=lines),
        perturbation_meta=pd.DataFrame({"gene_set": sets}, index=genes),
        name="synthetic_dependency",
        info={"synthetic": True, "random_state": random_state},
    )


__all__ = ["make_dependency_dataset", "make_response_dataset"]
