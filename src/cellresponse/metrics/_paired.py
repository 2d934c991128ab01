"""Paired tests between two models' per-group scores (drugs, compounds, genes, signatures)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

Alternative = Literal["greater", "less", "two-sided"]
MIN_PAIRS = 5


def paired_wilcoxon(
    model_values: pd.Series | np.ndarray,
    reference_values: pd.Series | np.ndarray,
    *,
    alternative: Alternative = "greater",
    higher_is_better: bool = True,
) -> dict[str, float]:
    """Paired Wilcoxon signed-rank test over the groups both series share.

    Parameters
    ----------
    model_values, reference_values
        One score per group (a Series indexed by group, or arrays aligned by position).
    alternative
        ``"greater"`` asks whether the model is better than the reference,
        ``"two-sided"`` whether they differ.
    higher_is_better
        ``False`` for error metrics (RMSE): differences are sign-flipped so that a
        positive ``median_diff`` always means the model is better.

    Returns
    -------
    dict
        ``n`` (pairs), ``model_mean``, ``reference_mean``, ``median_diff``,
        ``statistic`` and ``pvalue`` (NaN with fewer than 5 pairs or all ties).

    Examples
    --------
    >>> a = pd.Series([0.5, 0.6, 0.7, 0.8, 0.9, 0.4], index=list("abcdef"))
    >>> paired_wilcoxon(a, a - 0.1)["median_diff"]
    0.1
    """
    a = model_values if isinstance(model_values, pd.Series) else pd.Series(np.asarray(model_values, dtype=float))
    b = (
        reference_values
        if isinstance(reference_values, pd.Series)
        else pd.Series(np.asarray(reference_values, dtype=float))
    )
    joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    n = len(joined)
    diff = (joined["a"] - joined["b"]).to_numpy(dtype=float)
    if not higher_is_better:
        diff = -diff
    out = {
        "n": float(n),
        "model_mean": float(joined["a"].mean()) if n else float("nan"),
        "reference_mean": float(joined["b"].mean()) if n else float("nan"),
        "median_diff": float(np.round(np.median(diff), 12)) if n else float("nan"),
        "statistic": float("nan"),
        "pvalue": float("nan"),
    }
    if n < MIN_PAIRS or np.allclose(diff, 0):
        return out
    res = stats.wilcoxon(diff, alternative=alternative, zero_method="wilcox")
    out.update(statistic=float(res.statistic), pvalue=float(res.pvalue))
    return out


__all__ = ["Alternative", "paired_wilcoxon"]
