"""GO-BP readers on the shared export."""

from __future__ import annotations

import pytest

from cellresponse.io import read_gene2go, read_go_parents, read_go_terms


def test_read_go_files(data_dir):
    d = data_dir / "go_bp_human"
    terms = read_go_terms(d / "go_bp_terms.tsv.gz")
    assert len(terms) == 28140 and terms["go_id"].is_unique
    parents = read_go_parents(d / "go_bp_parents.tsv.gz")
    assert set(parents["relationship"]) == {"isa", "part of"}
    assert len(parents) == 51415 + 5035 - 1  # minus the pseudo-root edge (an isa edge)
    everything = read_go_parents(d / "go_bp_parents.tsv.gz", relationships=None, drop_pseudo_root=False)
    assert len(everything) == 65108
    ann = read_gene2go(d / "human_gene2go_bp.tsv.gz", exclude_evidence=["IEA"])
    assert "IEA" not in set(ann["evidence"])
    with pytest.raises(ValueError, match="do not occur"):
        read_go_parents(d / "go_bp_parents.tsv.gz", relationships=["is_a"])


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="GO file"):
        read_go_terms(tmp_path / "x.tsv.gz")
