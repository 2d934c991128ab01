"""RLIPP table and VNN plots on a small fitted VNN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from matplotlib.figure import Figure

from cellresponse.data.synthetic import make_response_dataset
from cellresponse.explain import RLIPP_COLUMNS, RLIPPProbe, drug_embedding, genotype_embedding, rlipp
from cellresponse.models import make_model
from cellresponse.ontology import Hierarchy
from cellresponse.plotting import plot_embedding_pca, plot_rlipp_top


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    ds = make_response_dataset(n_cell_lines=40, n_genes=12, n_drugs=4, random_state=2)
    genes = [str(g) for g in ds.cell_view("mutation").feature_names]
    h = Hierarchy(
        {"R": ("A", "B"), "A": ("L1", "L2"), "B": ("L3",), "L1": (), "L2": (), "L3": ()},
        {"L1": tuple(genes[:4]), "L2": tuple(genes[4:8]), "L3": tuple(genes[8:]), "A": (genes[0],)},
    )
    path = tmp_path_factory.mktemp("ont") / "ont.tsv"
    h.save(path)
    model = make_model(
        "vnn_druggene",
        ontology=str(path),
        n_hidden=3,
        drug_hidden=(8, 4),
        final_hidden=4,
        trainer__epochs=5,
        trainer__batch_size=64,
        trainer__num_threads=1,
    ).fit(ds)
    return model, ds


def test_rlipp_pooled_table(fitted):
    model, ds = fitted
    table = rlipp(model, ds)
    assert tuple(table.columns) == RLIPP_COLUMNS
    assert set(table["term"]) == set(model.structure_.term_names)
    assert (table["drug"] == "all").all()
    row = table.set_index("term").loc["R"]
    assert row["n_children"] == 2
    finite = table.dropna(subset=["rlipp"])
    np.testing.assert_allclose(
        finite["rlipp"], (finite["rho_parent"] - finite["rho_children"]) / finite["rho_children"]
    )


def test_rlipp_by_drug_and_plots(fitted):
    model, ds = fitted
    table = rlipp(model, ds, by_drug=True, terms=["R", "A"], target="observed", probe=RLIPPProbe(min_pairs=10))
    assert set(table["term"]) == {"R", "A"} and table["drug"].nunique() == 4
    assert isinstance(plot_rlipp_top(table, n=2), Figure)
    assert isinstance(plot_rlipp_top(table, drug=table["drug"].iloc[0]), Figure)
    geno = genotype_embedding(model, ds)
    assert geno.shape == (40, 3)
    expr = ds.cell_view("expression").to_frame()["G000"]
    assert isinstance(plot_embedding_pca(geno, color=expr, color_label="G000 expression"), Figure)
    drugs = drug_embedding(model, ds)
    target = drugs.index.to_series().map({"D00": "EGFR", "D01": "EGFR", "D02": "MEK"})
    assert isinstance(plot_embedding_pca(drugs, color=target, color_label="target"), Figure)


def test_embedding_pca_draws_every_entity():
    """Categories past the 10 coloured ones and entities without a value are still drawn."""
    rng = np.random.default_rng(0)
    emb = pd.DataFrame(rng.normal(size=(60, 4)), index=[f"c{i}" for i in range(60)])
    labels = pd.Series([f"t{i % 15}" for i in range(60)], index=emb.index, dtype=object)
    labels.iloc[:5] = None
    for color in (labels, None, pd.Series(rng.normal(size=60), index=emb.index)):
        ax = plot_embedding_pca(emb, color=color).axes[0]
        assert sum(len(c.get_offsets()) for c in ax.collections) == 60
    legend = [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []
    assert legend == []
    ax = plot_embedding_pca(emb, color=labels).axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["unknown", "5 others"] and len(legend) == 12
    with pytest.raises(ValueError, match="at least 2 x 2"):
        plot_embedding_pca(emb.iloc[:1])


def test_rlipp_errors(fitted, response_ds):
    model, ds = fitted
    with pytest.raises(ValueError, match="target"):
        rlipp(model, ds, target="bogus")
    with pytest.raises(ValueError, match="not in the model"):
        rlipp(model, ds, terms=["NOPE"])
    mlp = make_model("mlp_cnv", trainer__fast_dev_run=True, trainer__num_threads=1).fit(response_ds)
    with pytest.raises(TypeError, match="VNN"):
        rlipp(mlp, response_ds)
    with pytest.raises(ValueError, match="lacks columns"):
        plot_rlipp_top(ds.obs)
