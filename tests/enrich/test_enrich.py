"""Hypergeometric GO enrichment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from cellresponse.enrich import ENRICH_COLUMNS, go_enrichment, hypergeometric_enrichment
from cellresponse.ontology import GOGraph


def test_matches_fisher_exact():
    universe = [f"g{i}" for i in range(200)]
    sets = {"S1": universe[:20], "S2": universe[10:60], "S3": universe[100:110]}
    query = universe[:8] + universe[150:160]
    t = hypergeometric_enrichment(query, sets, universe=universe, min_size=5)
    assert list(t.columns) == list(ENRICH_COLUMNS)
    row = t.set_index("go_id").loc["S1"]
    k, n_set, n_q, n_u = 8, 20, 18, 200
    table = [[k, n_q - k], [n_set - k, n_u - n_set - n_q + k]]
    assert row["pvalue"] == pytest.approx(fisher_exact(table, alternative="greater")[1])
    assert row["fold_enrichment"] == pytest.approx((8 / 18) / (20 / 200))
    assert t.iloc[0]["go_id"] == "S1"
    assert (t["padj"] >= t["pvalue"]).all() and t["pvalue"].between(0, 1).all()
    assert t.set_index("go_id").loc["S3", "pvalue"] == 1.0


def test_size_filter_and_errors():
    sets = {"small": ["a", "b"], "big": [f"g{i}" for i in range(50)]}
    t = hypergeometric_enrichment(["g1"], sets, min_size=5)
    assert list(t["go_id"]) == ["big"]
    with pytest.raises(ValueError, match="none of the query genes"):
        hypergeometric_enrichment(["zzz"], sets)


def test_go_enrichment_propagates():
    terms = pd.DataFrame({"go_id": ["R", "A", "B"], "term": ["root", "alpha", "beta"]})
    parents = pd.DataFrame({"child": ["A", "B"], "parent": ["R", "R"]})
    genes = [f"g{i}" for i in range(60)]
    ann = pd.DataFrame({"symbol": genes, "go_id": ["A"] * 10 + ["B"] * 50})
    go = GOGraph.from_frames(terms, parents, ann)
    t = go_enrichment(genes[:6], go, min_size=1, max_size=100).set_index("go_id")
    assert t.loc["A", "term"] == "alpha" and t.loc["A", "overlap"] == 6
    assert t.loc["R", "term_size"] == 60 and t.loc["R", "pvalue"] == pytest.approx(1.0)
    t2 = go_enrichment(genes[:6], go, universe=[*genes[:20], "unannotated"], min_size=1)
    assert t2["universe_size"].iloc[0] == 20
    with pytest.raises(TypeError):
        go_enrichment(["g1"], {"A": ["g1"]})


def test_real_glucocorticoid_genes(real_data_root):
    from cellresponse.ontology import load_go_bp

    go = load_go_bp(real_data_root)
    query = [
        "DUSP1",
        "KLF15",
        "PER1",
        "TSC22D3",
        "FKBP5",
        "ZBTB16",
        "SGK1",
        "ERRFI1",
        "CRISPLD2",
        "MAOA",
        "KLF9",
        "CEBPD",
        "NFKBIA",
        "FOXO3",
        "DDIT4",
        "GLUL",
    ]
    t = go_enrichment(query, go)
    top = t.head(15)
    assert np.isfinite(t["pvalue"]).all()
    # the corticosteroid / glucocorticoid response terms rank near the top
    assert top["term"].str.contains("corticosteroid|glucocorticoid").any()
