"""Reader for the DrugCell ontology format (``drugcell_ont.txt``).

Each line is ``parent<TAB>child<TAB>type``: ``type == "default"`` is a term -> child-term
edge, ``type == "gene"`` a term -> gene annotation (direct, not propagated).
"""

from __future__ import annotations

from pathlib import Path

from cellresponse._types import PathLike
from cellresponse.io import read_csv_checked
from cellresponse.ontology._hierarchy import Hierarchy

EDGE_TYPES = ("default", "gene")


def read_drugcell_ontology(
    path: PathLike | None = None,
    *,
    add_root: bool = False,
    name: str | None = None,
) -> Hierarchy:
    """Read a DrugCell-format ontology into a validated :class:`Hierarchy`.

    Parameters
    ----------
    path
        The file (plain or gzipped); default ``drugcell/drugcell_ont.txt.gz`` under the
        data root.
    add_root
        Join several roots under a synthetic ``ROOT`` instead of raising.
    name
        Hierarchy name (default: the file name).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        On lines without 3 fields, unknown types, a cycle, several roots (unless
        ``add_root``) or a term without genes.
    """
    if path is None:
        from cellresponse._paths import data_root

        path = data_root() / "drugcell" / "drugcell_ont.txt.gz"
    src = Path(path)
    frame = read_csv_checked(src, what="ontology file", sep="\t", header=None, dtype=str, keep_default_na=False)
    if frame.shape[1] != 3:
        raise ValueError(f"{src}: expected 3 tab-separated columns (parent, child, type), got {frame.shape[1]}")
    frame.columns = ["parent", "child", "type"]
    bad = sorted(set(frame["type"]) - set(EDGE_TYPES))
    if bad:
        raise ValueError(f"{src}: unknown line types {bad}; expected {list(EDGE_TYPES)}")
    edges = frame[frame["type"] == "default"][["parent", "child"]]
    genes = frame[frame["type"] == "gene"].rename(columns={"parent": "term", "child": "gene"})
    return Hierarchy.from_frames(edges, genes[["term", "gene"]], add_root=add_root, name=name or src.name)


__all__ = ["read_drugcell_ontology"]
