"""Means of a target by group key, and their lookup with a fallback for unseen keys.

Shared by the naive mean baselines and the drug offset of the global models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_means(keys: np.ndarray, y: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Mean and count of ``y`` per key, sorted by key."""
    frame = pd.DataFrame({"k": keys, "y": y}).groupby("k", sort=True)["y"]
    return frame.mean(), frame.size()


def lookup(table: pd.Series, keys: np.ndarray, default: float) -> tuple[np.ndarray, int]:
    """``table`` at each key (``default`` for keys it lacks) and how many keys it lacked."""
    vals = table.reindex(keys).to_numpy(dtype=np.float64)
    missing = np.isnan(vals)
    vals[missing] = default
    return vals, int(missing.sum())
