"""Tiny datasets of every task, registered by name so the command line can load them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.data import FeatureView
from cellresponse.data.synthetic import make_response_dataset
from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset
from cellresponse.datasets import _registry
from cellresponse.datasets._dependency import dependency_dataset


def _response(options: object) -> object:
    return make_response_dataset(n_cell_lines=36, n_genes=25, n_drugs=6, random_state=0)


def _expression(options: object) -> object:
    return make_expression_dataset(
        SyntheticExpressionPanel(n_cell_lines=4, n_compounds=8, n_genes=24, n_bits=64), random_state=1
    )


def _dependency(options: object) -> object:
    """36 lines (4 tissues) x 16 genes of gene effects driven by 20 expression features."""
    rng = np.random.default_rng(0)
    lines = [f"ACH-{i:06d}" for i in range(36)]
    genes = [f"G{g}" for g in range(16)]
    expr = rng.normal(size=(36, 20)).astype(np.float32)
    w = rng.normal(scale=0.6, size=(20, 16)) * (rng.random((20, 16)) < 0.3)
    effect = expr @ w + rng.normal(scale=0.3, size=(36, 16)) - rng.normal(scale=0.5, size=16)
    tissues = np.array(["lung", "skin", "blood", "breast"])[np.arange(36) % 4]
    return dependency_dataset(
        pd.DataFrame(effect, index=lines, columns=genes),
        cell_views={"expression": FeatureView("expression", lines, expr, [f"F{j}" for j in range(20)])},
        cell_meta=pd.DataFrame({"tissue": tissues}, index=lines),
        target_kind="continuous",
        gene_meta=pd.DataFrame({"gene_set": ["selective"] * 12 + ["common_essential"] * 4}, index=genes),
        name="tiny_dependency",
    )


TINY = {
    "response": (_response, ("ln_ic50",)),
    "expression": (_expression, ("signature",)),
    "dependency": (_dependency, ("gene_effect",)),
}


@pytest.fixture(scope="session", autouse=True)
def tiny_datasets():
    with pytest.MonkeyPatch.context() as mp:
        for task, (builder, targets) in TINY.items():
            mp.setitem(_registry._DATASETS, f"tiny_{task}", (builder, targets, f"tiny {task} test panel"))
        yield
