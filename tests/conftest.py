"""Shared fixtures: small seeded synthetic datasets and the real data root."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cellresponse.data import FeatureView
from cellresponse.data.synthetic import make_response_dataset
from cellresponse.datasets._dependency import dependency_dataset

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def _response_ds():
    return make_response_dataset(n_cell_lines=40, n_genes=30, n_drugs=8, random_state=0)


@pytest.fixture
def response_ds(_response_ds):
    """A synthetic response panel (40 lines x 8 drugs). Datasets are immutable: shared safely."""
    return _response_ds


@pytest.fixture(scope="session")
def _synth():
    """A synthetic expression panel (5 lines x 8 compounds x 6 doses x 2 times, 30 genes)."""
    from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset

    return make_expression_dataset(
        SyntheticExpressionPanel(n_cell_lines=5, n_compounds=8, n_genes=30, n_bits=64), random_state=1
    )


@pytest.fixture
def synth(_synth):
    # Dataset is immutable (read-only arrays), so sharing the cached object is safe.
    return _synth


@pytest.fixture(scope="session")
def real_data_root() -> Path:
    from cellresponse._paths import data_root

    try:
        return data_root()
    except FileNotFoundError as err:
        pytest.skip(str(err))


# Small seeded dependency panels (dependency and LEAP tests).
def make_dependency_panel(
    *,
    n_lines: int = 40,
    n_genes: int = 25,
    n_features: int = 30,
    n_extra: int = 6,
    seed: int = 0,
    classes: bool = False,
):
    """Gene effect = expression . W + tissue shift + noise; ``n_extra`` unlabeled omics lines."""
    rng = np.random.default_rng(seed)
    lines = [f"ACH-{i:06d}" for i in range(n_lines + n_extra)]
    genes = [f"G{g}" for g in range(n_genes)]
    expr = rng.normal(size=(len(lines), n_features)).astype(np.float32)
    tissues = np.array(["lung", "skin", "blood", "breast"])[np.arange(n_lines) % 4]
    shift = {"lung": -0.3, "skin": 0.0, "blood": 0.2, "breast": 0.1}
    w = rng.normal(scale=0.4, size=(n_features, n_genes)) * (rng.random((n_features, n_genes)) < 0.2)
    effect = expr[:n_lines] @ w + np.array([shift[t] for t in tissues])[:, None]
    effect += rng.normal(scale=0.2, size=effect.shape) + rng.normal(size=n_genes)
    if classes:
        effect = np.digitize(-effect, [0.5, 1.5]).astype(float)
    matrix = pd.DataFrame(effect, index=lines[:n_lines], columns=genes)
    matrix.iloc[0, 0] = np.nan
    view = FeatureView("expression", lines, expr, [f"F{j}" for j in range(n_features)])
    meta = pd.DataFrame({"tissue": tissues}, index=lines[:n_lines])
    gene_meta = pd.DataFrame({"gene_set": ["selective"] * (n_genes - 5) + ["common_essential"] * 5}, index=genes)
    return dependency_dataset(
        matrix,
        cell_views={"expression": view},
        cell_meta=meta,
        target_kind="classes" if classes else "continuous",
        gene_meta=gene_meta,
        name="synthetic_dependency",
    )


@pytest.fixture(scope="session")
def dependency_panel():
    return make_dependency_panel()


@pytest.fixture(scope="session")
def dependency_classes_panel():
    """The dependency panel with class codes (0 weak, 1 dependency, 2 strong) as the target."""
    return make_dependency_panel(classes=True)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("CELLRESPONSE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
