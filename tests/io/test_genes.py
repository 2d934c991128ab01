"""Gene list and gene map readers."""

from __future__ import annotations

import pytest

from cellresponse.io import read_gene_list, read_gene_map


def test_gene_list(tmp_path):
    path = tmp_path / "genes.txt"
    path.write_text(" DUSP1\n\nKLF15 \n")
    assert read_gene_list(path) == ["DUSP1", "KLF15"]
    with pytest.raises(FileNotFoundError, match=r"gene list .*missing\.txt does not exist"):
        read_gene_list(tmp_path / "missing.txt")


def test_gene_map(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("id,symbol\nENSG1,DUSP1\nENSG2,KLF15\n")
    assert read_gene_map(path) == {"ENSG1": "DUSP1", "ENSG2": "KLF15"}
    (tmp_path / "bad.csv").write_text("ensembl,symbol\nENSG1,DUSP1\n")
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['id'\]"):
        read_gene_map(tmp_path / "bad.csv")
    with pytest.raises(FileNotFoundError, match="gene map"):
        read_gene_map(tmp_path / "missing.csv")
