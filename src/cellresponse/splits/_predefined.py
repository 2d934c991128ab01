"""The split a dataset ships with: rows labelled train / validation / test in an obs column
(DrugCell's and DrugGene's own splits), as one outer fold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.splits._split import TRAIN_ONLY, Fold, Split


def predefined_split(
    data: Dataset, *, column: str = "split", train: str = "train", valid: str = "val", test: str = "test"
) -> Split:
    """One fold exactly as ``data.obs[column]`` labels the rows.

    The inner validation part is the ``valid`` rows (not drawn). ``split.csv`` lists the
    (cell line, drug) pairs with fold 0 (test) or -1 (train and validation: a split file
    has no validation marker, so a re-read split draws its own validation part).

    Raises
    ------
    ValueError
        If the column is missing, holds other labels, or a part is empty.
    """
    if column not in data.obs.columns:
        raise ValueError(f"dataset {data.name!r} has no {column!r} column; columns: {list(data.obs.columns)}")
    labels = data.obs[column].astype(str)
    other = sorted(set(labels) - {train, valid, test})
    if other:
        raise ValueError(f"dataset {data.name!r}: column {column!r} has labels {other} besides {train, valid, test}")
    parts = {
        k: np.flatnonzero((labels == v).to_numpy()) for k, v in (("train", train), ("valid", valid), ("test", test))
    }
    empty = [k for k in ("train", "test") if not len(parts[k])]
    if empty:
        raise ValueError(f"dataset {data.name!r}: no {empty} rows in column {column!r}")
    assignment = pd.DataFrame(
        {
            "cell_line": data.cell_lines,
            data.perturbation_kind: data.perturbations,
            "fold": np.where(labels == test, 0, TRAIN_ONLY),
        }
    )
    fold = Fold(0, parts["train"], parts["valid"], parts["test"])
    notes = {"predefined": column, "sizes": {k: len(v) for k, v in parts.items()}}
    return Split("predefined", (fold,), assignment, 0, 0.0, data.fingerprint(), notes)


__all__ = ["predefined_split"]
