"""Hierarchy construction, validation, filters, and the DrugCell/GO builders."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from cellresponse.ontology import (
    Hierarchy,
    build_go_hierarchy,
    cached_go_hierarchy,
    random_hierarchy,
    read_drugcell_ontology,
)


def small() -> Hierarchy:
    # R -> A, B ; A -> C ; B -> C (DAG) ; genes on every term
    children = {"R": ("A", "B"), "A": ("C",), "B": ("C",), "C": ()}
    direct = {"R": ("g0",), "A": ("g1", "g2"), "B": ("g3",), "C": ("g4", "g5")}
    return Hierarchy(children, direct, name="small")


def test_structure_levels_and_propagation():
    h = small()
    assert h.root == "R"
    assert h.levels == (("C",), ("A", "B"), ("R",))
    assert h.terms == ("C", "A", "B", "R")
    assert h.propagated_genes["A"] == {"g1", "g2", "g4", "g5"}
    assert h.propagated_genes["R"] == {f"g{i}" for i in range(6)}
    assert h.n_genes == 6 and h.n_edges == 4 and h.n_annotations == 6
    assert h.parents("C") == ("A", "B")


def test_cycle_is_rejected():
    with pytest.raises(ValueError, match="cycle"):
        Hierarchy({"R": ("A",), "A": ("B",), "B": ("A",)}, {"A": ("g",), "B": ("g",), "R": ("g",)})


def test_pure_cycle_without_root_is_rejected():
    with pytest.raises(ValueError, match=r"cycle: (A -> B -> A|B -> A -> B)"):
        Hierarchy({"A": ("B",), "B": ("A",)}, {"A": ("g",)})


def test_several_roots_are_rejected_unless_joined():
    edges = pd.DataFrame({"parent": ["R1", "R2"], "child": ["A", "B"]})
    ann = pd.DataFrame({"term": ["A", "B"], "gene": ["g1", "g2"]})
    with pytest.raises(ValueError, match="2 roots"):
        Hierarchy.from_frames(edges, ann)
    h = Hierarchy.from_frames(edges, ann, add_root=True)
    assert h.root == "ROOT" and set(h.children["ROOT"]) == {"R1", "R2"}


def test_term_without_genes_is_rejected():
    with pytest.raises(ValueError, match="no genes"):
        Hierarchy({"R": ("A",), "A": ()}, {"R": ("g",)})


def test_orphan_gene_annotation_is_rejected():
    edges = pd.DataFrame({"parent": ["R"], "child": ["A"]})
    ann = pd.DataFrame({"term": ["A", "X"], "gene": ["g1", "g2"]})
    with pytest.raises(ValueError, match="not in the term graph"):
        Hierarchy.from_frames(edges, ann)


def test_filter_min_genes_pushes_genes_up():
    h = small().filter(min_genes=3, collapse_redundant=False)
    # B has 3 genes (g3, g4, g5); C (2 genes) is dropped, its genes move to A and B
    assert "C" not in h.children
    assert set(h.direct_genes["A"]) == {"g1", "g2", "g4", "g5"}
    assert set(h.direct_genes["B"]) == {"g3", "g4", "g5"}
    assert h.genes == small().genes


def test_collapse_redundant_single_child():
    h = Hierarchy({"R": ("A", "X"), "A": ("B",), "B": (), "X": ()}, {"B": ("g1", "g2"), "X": ("g3",)})
    out = h.filter(min_genes=1, collapse_redundant=True)
    assert "B" not in out.children and set(out.direct_genes["A"]) == {"g1", "g2"}
    assert out.propagated_genes["R"] == h.propagated_genes["R"]


def test_max_depth():
    h = small().filter(min_genes=1, collapse_redundant=False, max_depth=1)
    assert set(h.children) == {"R", "A", "B"} and h.depth == 2


def test_restrict_genes():
    h = small().restrict_genes(["g0", "g1", "g4"])
    assert set(h.genes) == {"g0", "g1", "g4"}
    assert h.direct_genes["B"] == () and h.propagated_genes["B"] == {"g4"}
    dropped = small().restrict_genes(["g0", "g1", "g2"])
    assert set(dropped.children) == {"R", "A"}  # B and C lost all their genes


def test_drugcell_file_round_trip(tmp_path):
    h = small()
    path = h.save(tmp_path / "ont.txt")
    again = read_drugcell_ontology(path)
    assert again.content_hash() == h.content_hash()
    gz = tmp_path / "ont.txt.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert read_drugcell_ontology(gz).content_hash() == h.content_hash()


def test_drugcell_reader_rejects_bad_type(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text("A\tB\tdefault\nA\tg1\tweird\n")
    with pytest.raises(ValueError, match="unknown line types"):
        read_drugcell_ontology(p)


def test_real_drugcell_ontology(real_data_root):
    h = read_drugcell_ontology(real_data_root / "drugcell" / "drugcell_ont.txt.gz")
    assert (h.n_terms, h.n_genes, h.n_edges, h.n_annotations, h.depth) == (2086, 3008, 3167, 59753, 6)
    assert h.root == "GO:0008150"
    assert h.term_sizes().min() >= 10


def test_go_hierarchy_for_gene_set(real_data_root, tmp_path, monkeypatch):
    genes = ["TP53", "KRAS", "BRAF", "EGFR", "PIK3CA", "PTEN", "MYC", "CDKN2A", "RB1", "ATM", "BRCA1", "BRCA2"]
    h = build_go_hierarchy(genes, min_genes=3)
    assert set(h.genes) <= set(genes) and h.root == "GO:0008150"
    assert all(len(g) >= 3 for g in h.propagated_genes.values())
    monkeypatch.setenv("CELLRESPONSE_CACHE", str(tmp_path))
    a = cached_go_hierarchy(genes, min_genes=3)
    assert list((tmp_path / "ontology").glob("go_*.tsv"))  # the shared cache_dir("ontology")
    b = cached_go_hierarchy(genes, min_genes=3)
    assert a.content_hash() == b.content_hash() == h.content_hash()


def test_random_hierarchy_is_seeded_tree():
    genes = [f"g{i}" for i in range(47)]
    a = random_hierarchy(genes, term_size=5, random_state=1)
    b = random_hierarchy(genes, term_size=5, random_state=1)
    assert a.content_hash() == b.content_hash()
    assert set(a.genes) == set(genes) and a.propagated_genes[a.root] == set(genes)
    assert all(len(a.parents(t)) <= 1 for t in a.children)
    with pytest.raises(ValueError, match="at least one gene"):
        random_hierarchy([])
