"""Readers for the GO biological-process export in ``go_bp_human/`` (see its PROVENANCE).

Parsing only; :class:`cellresponse.ontology.GOGraph` builds the graph from these frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from cellresponse._paths import data_root
from cellresponse._types import PathLike
from cellresponse.errors import InputError
from cellresponse.io._common import read_csv_checked

GO_DIR = "go_bp_human"
TERMS_FILE = "go_bp_terms.tsv.gz"
PARENTS_FILE = "go_bp_parents.tsv.gz"
ANNOTATIONS_FILE = "human_gene2go_bp.tsv.gz"

#: Relationship types that imply gene membership of the parent (true-path rule).
#: ``regulates`` edges do not: a gene regulating X is not part of X.
PROPAGATING_RELATIONSHIPS: tuple[str, ...] = ("isa", "part of")

#: GO.db links the BP root to a pseudo-node of this name.
PSEUDO_ROOT = "all"


def _read_tsv(path: Path, columns: Iterable[str]) -> pd.DataFrame:
    return read_csv_checked(path, what="GO file", required=list(columns), sep="\t", dtype=str, keep_default_na=False)


def go_dir(root: PathLike | None = None) -> Path:
    """The ``go_bp_human`` folder under the data root (see :func:`data_root`)."""
    return data_root(root) / GO_DIR


def read_go_terms(path: PathLike | None = None) -> pd.DataFrame:
    """Read GO terms.

    Parameters
    ----------
    path
        ``go_bp_terms.tsv.gz``; default: the file under the data root.

    Returns
    -------
    pandas.DataFrame
        Columns ``go_id``, ``term``, ``definition``; one row per term.

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        If a column is missing or a ``go_id`` repeats.
    """
    p = Path(path) if path is not None else go_dir() / TERMS_FILE
    df = _read_tsv(p, ("go_id", "term", "definition"))[["go_id", "term", "definition"]]
    dup = df["go_id"][df["go_id"].duplicated()]
    if len(dup):
        raise InputError(f"{p}: duplicated go_id {dup.iloc[0]}")
    return df.reset_index(drop=True)


def read_go_parents(
    path: PathLike | None = None,
    *,
    relationships: Iterable[str] | None = PROPAGATING_RELATIONSHIPS,
    drop_pseudo_root: bool = True,
) -> pd.DataFrame:
    """Read GO parent edges.

    Parameters
    ----------
    path
        ``go_bp_parents.tsv.gz``; default: the file under the data root.
    relationships
        Edge types to keep (file spelling: ``isa``, ``part of``, ``regulates``,
        ``negatively regulates``, ``positively regulates``); ``None`` keeps all.
    drop_pseudo_root
        Drop the edge from the BP root to GO.db's pseudo-node ``all``.

    Returns
    -------
    pandas.DataFrame
        Columns ``child``, ``parent``, ``relationship``.

    Raises
    ------
    ValueError
        If ``relationships`` names a type absent from the file.
    """
    p = Path(path) if path is not None else go_dir() / PARENTS_FILE
    df = _read_tsv(p, ("child_go_id", "parent_go_id", "relationship_type"))
    df = df.rename(
        columns={
            "child_go_id": "child",
            "parent_go_id": "parent",
            "relationship_type": "relationship",
        }
    )[["child", "parent", "relationship"]]
    if drop_pseudo_root:
        df = df[df["parent"] != PSEUDO_ROOT]
    if relationships is not None:
        wanted = set(relationships)
        unknown = wanted - set(df["relationship"].unique())
        if unknown:
            raise InputError(
                f"relationships {sorted(unknown)} do not occur in {p}; types: {sorted(df['relationship'].unique())}"
            )
        df = df[df["relationship"].isin(wanted)]
    return df.reset_index(drop=True)


def read_gene2go(
    path: PathLike | None = None,
    *,
    exclude_evidence: Iterable[str] = (),
) -> pd.DataFrame:
    """Read direct (unpropagated) gene -> GO annotations.

    Parameters
    ----------
    path
        ``human_gene2go_bp.tsv.gz``; default: the file under the data root.
    exclude_evidence
        Evidence codes to drop, e.g. ``("IEA", "ND")``.

    Returns
    -------
    pandas.DataFrame
        Columns ``entrez_id``, ``symbol``, ``go_id``, ``evidence`` (strings); one row
        per (gene, term, evidence).
    """
    p = Path(path) if path is not None else go_dir() / ANNOTATIONS_FILE
    df = _read_tsv(p, ("entrez_id", "symbol", "go_id", "evidence"))
    excl = set(exclude_evidence)
    if excl:
        df = df[~df["evidence"].isin(excl)]
    return df[["entrez_id", "symbol", "go_id", "evidence"]].reset_index(drop=True)


__all__ = [
    "ANNOTATIONS_FILE",
    "PARENTS_FILE",
    "PROPAGATING_RELATIONSHIPS",
    "TERMS_FILE",
    "go_dir",
    "read_gene2go",
    "read_go_parents",
    "read_go_terms",
]
