"""GOGraph structure and annotation propagation."""

from __future__ import annotations

import pandas as pd
import pytest

from cellresponse.ontology import GOGraph, load_go_bp


@pytest.fixture
def toy():
    terms = pd.DataFrame({"go_id": ["R", "A", "B", "C"], "term": ["root", "a", "b", "c"]})
    parents = pd.DataFrame({"child": ["A", "B", "C", "C"], "parent": ["R", "R", "A", "B"]})
    ann = pd.DataFrame({"symbol": ["g1", "g2", "g3"], "go_id": ["C", "A", "B"]})
    return GOGraph.from_frames(terms, parents, ann)


def test_structure(toy):
    assert toy.roots == ("R",)
    assert toy.children("R") == {"A", "B"}
    assert toy.parents("C") == {"A", "B"}
    assert toy.ancestors("C") == {"A", "B", "R"}
    assert toy.descendants("R") == {"A", "B", "C"}
    order = toy.terms
    assert order.index("C") < order.index("A") < order.index("R")
    assert len(toy.edges()) == 4


def test_propagation(toy):
    prop = toy.annotations()
    assert prop["R"] == {"g1", "g2", "g3"}
    assert prop["A"] == {"g1", "g2"}
    direct = toy.annotations(propagate=False)
    assert direct["A"] == {"g2"} and "R" not in direct
    assert toy.annotations(universe={"g1"}, min_size=1)["B"] == {"g1"}
    assert "C" not in toy.annotations(min_size=2)


def test_errors(toy):
    with pytest.raises(KeyError, match="'Z' is not in the graph"):
        toy.parents("Z")
    terms = pd.DataFrame({"go_id": ["A", "B"], "term": ["a", "b"]})
    cyc = pd.DataFrame({"child": ["A", "B"], "parent": ["B", "A"]})
    empty = pd.DataFrame({"symbol": [], "go_id": []})
    with pytest.raises(ValueError, match="cycle"):
        GOGraph.from_frames(terms, cyc, empty)
    with pytest.raises(ValueError, match="not in the term table"):
        GOGraph.from_frames(terms, pd.DataFrame({"child": ["A"], "parent": ["Q"]}), empty)


@pytest.fixture(scope="module")
def real_go(real_data_root):
    return load_go_bp(real_data_root)


def test_real_go_bp(real_go):
    assert real_go.roots == ("GO:0008150",)
    # response to glucocorticoid is a descendant of response to stimulus
    assert "GO:0050896" in real_go.ancestors("GO:0051384")
    ann = real_go.annotations()
    assert ann["GO:0008150"] == real_go.genes
    # propagation: every gene of a child is in its parents
    child = "GO:0071385"  # cellular response to glucocorticoid stimulus
    for parent in real_go.parents(child):
        assert ann[child] <= ann[parent]
