"""Connectivity scoring (CMap WTCS, correlations) and the ranking of a library."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.enrich import ConnectivityQuery, connectivity_scores, match_genes, rank_connectivity


def _es_loop(values: np.ndarray, genes: list[str], gene_set: set[str]) -> float:
    """Weighted KS enrichment score written as the running-sum walk of the CMap paper."""
    order = np.argsort(-values, kind="stable")
    hits = [genes[i] in gene_set for i in order]
    total = sum(abs(values[i]) for i, h in zip(order, hits, strict=True) if h)
    n_miss = len(genes) - sum(hits)
    running, best = 0.0, 0.0
    for i, h in zip(order, hits, strict=True):
        running += abs(values[i]) / total if h else -1.0 / n_miss
        if abs(running) > abs(best):
            best = running
    return best


@pytest.fixture
def library():
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(60)]
    return pd.DataFrame(rng.normal(size=(25, 60)), index=[f"c{i}" for i in range(25)], columns=genes)


def test_wtcs_matches_the_running_sum_definition(library):
    up, down = ("G1", "G5", "G7", "G30"), ("G2", "G40", "G41")
    got = connectivity_scores(library, ConnectivityQuery(up=up, down=down))
    for name, row in library.iterrows():
        eu = _es_loop(row.to_numpy(), list(library.columns), set(up))
        ed = _es_loop(row.to_numpy(), list(library.columns), set(down))
        want = (eu - ed) / 2 if np.sign(eu) != np.sign(ed) else 0.0
        assert got[name] == pytest.approx(want, abs=1e-12)
    only_down = connectivity_scores(library, ConnectivityQuery(down=down))
    assert only_down.iloc[0] == pytest.approx(-_es_loop(library.iloc[0].to_numpy(), list(library.columns), set(down)))


def test_a_signature_mimics_itself_and_its_opposite_reverses_it(library):
    sig = library.iloc[3]
    order = sig.sort_values()
    query = ConnectivityQuery(up=tuple(order.index[-10:]), down=tuple(order.index[:10]))
    scores = connectivity_scores(library, query)
    assert scores.idxmax() == "c3" and scores["c3"] > 0.8
    flipped = connectivity_scores(-library, query)
    assert flipped.idxmin() == "c3" and flipped["c3"] < -0.8
    vec = ConnectivityQuery(vector=sig)
    assert connectivity_scores(library, vec)["c3"] == pytest.approx(1.0)
    pearson = connectivity_scores(library, ConnectivityQuery(vector=sig, method="pearson"))
    assert pearson["c3"] == pytest.approx(1.0) and pearson["c4"] == pytest.approx(
        np.corrcoef(sig, library.iloc[4])[0, 1]
    )


def test_ranking_mimic_and_reverse():
    scores = pd.Series([0.1, -0.5, 0.9, 0.1], index=["a", "b", "c", "d"])
    mimic = rank_connectivity(scores, mode="mimic")
    assert mimic["item"].tolist() == ["c", "a", "d", "b"] and mimic["rank"].tolist() == [1, 2, 3, 4]
    assert rank_connectivity(scores, mode="reverse")["item"].tolist() == ["b", "a", "d", "c"]
    with pytest.raises(ValueError, match="mode must be"):
        rank_connectivity(scores, mode="sideways")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "both lists are empty"),
        ({"up": ("A",), "down": ("A",)}, "genes in both lists"),
        ({"up": ("A",), "vector": pd.Series({"A": 1.0, "B": 2.0, "C": 0.0})}, "not both"),
        ({"vector": pd.Series({"A": 1.0, "B": np.nan, "C": 0.0})}, "non-finite values for genes"),
        ({"vector": pd.Series({"A": 1.0})}, "at least 3 genes"),
        ({"up": ("A",), "method": "cosine"}, "method must be one of"),
    ],
)
def test_bad_queries(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConnectivityQuery(**kwargs)


def test_unknown_genes_and_method_mismatch(library):
    with pytest.raises(ValueError, match=r"1 gene\(s\) are not among the model's 60 signature genes: G999"):
        connectivity_scores(library, ConnectivityQuery(up=("G1", "G999")))
    with pytest.raises(ValueError, match="does not take gene lists"):
        connectivity_scores(library, ConnectivityQuery(up=("G1",)), method="spearman")
    matched, missing = match_genes(["g1", "G2", "XX"], list(library.columns))
    assert matched == {"g1": "G1", "G2": "G2"} and missing == ["XX"]
