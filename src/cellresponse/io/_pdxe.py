"""Novartis PDX Encyclopedia (Gao et al. 2015, via Xeva) tables as shipped in
``pdx_novartis_pdxe/``.

PDX models are keyed by their PDXE id (``X-1004``); they are xenografts, not cell
lines, and have no DepMap id. The response table has one row per model x treatment arm
(single agents, combinations written ``A + B``, and the ``untreated`` control arm).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.errors import InputError
from cellresponse.io._common import float32_dtypes, numeric_matrix, read_csv_checked, to_numeric_column

#: mRECIST classes from best to worst response (the first token of ``ResponseCategory``)
MRECIST_CLASSES = ("CR", "PR", "SD", "PD")
_METRICS = {
    "BestResponse": "best_response",
    "BestAvgResponse": "best_avg_response",
    "TimeToDouble": "time_to_double",
    "Day_Last": "day_last",
}


def read_pdxe_response(path: PathLike) -> pd.DataFrame:
    """Read ``pdxe_response_metrics.csv.gz`` (the published Gao et al. metrics).

    Returns
    -------
    pandas.DataFrame
        ``tumor_type``, ``patient_id``, ``treatment``, ``treatment_type`` (``single`` /
        ``combo``), ``treatment_target``, ``best_response``, ``best_avg_response``,
        ``time_to_double``, ``day_last`` (float64), ``response_category`` (as published,
        e.g. ``SD-->PD``) and ``mrecist`` (its first token: CR, PR, SD or PD).

    Raises
    ------
    ValueError
        Missing columns, non-numeric metrics, an unknown mRECIST class or a repeated
        (model, treatment) pair (names the file and the row).
    """
    what = "PDXE response table"
    required = ["tumor_type", "patient_id", "treatment", "treatment_type", "ResponseCategory", *_METRICS]
    raw = read_csv_checked(path, what=what, required=required, dtype={c: str for c in required[:5]})
    out = pd.DataFrame({c: raw[c].astype(str).str.strip() for c in required[:4]})
    out["treatment_target"] = raw["treatment_target"].astype("string") if "treatment_target" in raw else pd.NA
    for col, name in _METRICS.items():
        out[name] = to_numeric_column(raw, col, path=path, what=what)
    category = raw["ResponseCategory"].astype(str).str.strip()
    out["response_category"] = category
    out["mrecist"] = category.str.split("-", n=1).str[0]
    bad = ~out["mrecist"].isin(MRECIST_CLASSES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{what} {path}: ResponseCategory at data row {row + 1} is {category.iloc[row]!r}; its first token must "
            f"be one of {MRECIST_CLASSES}",
            source=path,
            row=row + 1,
        )
    dup = out.duplicated(["patient_id", "treatment"])
    if dup.any():
        raise InputError(
            f"{what} {path}: repeated (patient_id, treatment) pairs, e.g. "
            f"{out.loc[dup, ['patient_id', 'treatment']].head(3).to_numpy().tolist()}",
            source=path,
        )
    return out


def read_pdxe_expression(path: PathLike) -> pd.DataFrame:
    """Read ``pdxe_rnaseq_fpkm.csv.gz`` (genes x models, FPKM) as a models x genes float32
    matrix of FPKM values (not log-transformed)."""
    what = "PDXE RNA-seq table"
    frame = read_csv_checked(path, what=what, required=["gene"], dtype=float32_dtypes(gene=str))
    matrix = numeric_matrix(frame, id_column="gene", path=path, what=what)
    if (matrix.to_numpy() < 0).any():
        raise InputError(f"{what} {path}: FPKM values must be >= 0", source=path)
    return matrix.T


def read_pdxe_calls(path: PathLike) -> pd.DataFrame:
    """Read ``pdxe_mutation_cn_calls.csv.gz``: long ``patient_id, gene, call`` with one
    ``;``-joined call string per (model, gene) that has any call."""
    what = "PDXE mutation / copy-number calls"
    raw = read_csv_checked(path, what=what, required=["patient_id", "gene", "call"], dtype=str)
    empty = raw[["patient_id", "gene", "call"]].isna().any(axis=1)
    if empty.any():
        raise InputError(
            f"{what} {path}: empty fields at data rows {examples(np.flatnonzero(empty.to_numpy()) + 1)}", source=path
        )
    return raw[["patient_id", "gene", "call"]].apply(lambda c: c.str.strip())


__all__ = ["MRECIST_CLASSES", "read_pdxe_calls", "read_pdxe_expression", "read_pdxe_response"]
