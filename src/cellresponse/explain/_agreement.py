"""How far rankings of features agree: between attribution methods, with the association
analysis, and between two runs (split seeds).

Every function reads the long tables (:data:`ATTRIBUTION_COLUMNS`; the association table of
:mod:`cellresponse.biomarkers`) and returns one row per drug and pair of rankings, with the
Spearman correlation over the features both rank and the overlap of their top ``k``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

AGREEMENT_COLUMNS = ("model", "drug", "pair", "n_shared", "spearman", "top_overlap")


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _key(frame: pd.DataFrame) -> pd.Series:
    return frame["view"].astype(str) + "\t" + frame["feature"].astype(str)


def _compare(a: pd.Series, b: pd.Series, top: int) -> tuple[int, float, float]:
    """(shared features, Spearman over them, |top-k of a ∩ top-k of b| / k)."""
    shared = a.index.intersection(b.index)
    rho = _spearman(a[shared].to_numpy(float), b[shared].to_numpy(float))
    k = min(top, len(a), len(b))
    overlap = len(set(a.nlargest(k).index) & set(b.nlargest(k).index)) / k if k else float("nan")
    return len(shared), rho, overlap


def method_agreement(table: pd.DataFrame, *, top: int = 20) -> pd.DataFrame:
    """Agreement of every pair of methods of the same model on each drug (:data:`AGREEMENT_COLUMNS`;
    ``pair`` is ``"method_a vs method_b"``). View-level rows (``feature == "*"``) are left out."""
    rows = []
    t = table[table["feature"] != "*"]
    for (model, drug), part in t.groupby(["model", "drug"], sort=True):
        methods = sorted(part["method"].unique())
        series = {
            m: part[part["method"] == m].set_index(_key(part[part["method"] == m]))["importance"] for m in methods
        }
        for i, a in enumerate(methods):
            for b in methods[i + 1 :]:
                n, rho, overlap = _compare(series[a], series[b], top)
                rows.append((model, drug, f"{a} vs {b}", n, rho, overlap))
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))


def association_agreement(
    table: pd.DataFrame, associations: pd.DataFrame, *, view: str, scope: str = "pancan", top: int = 20
) -> pd.DataFrame:
    """Agreement of each (model, method) ranking with the association analysis of the
    same features (``view``: the attributions' view the association table tested), per
    drug: Spearman of importance with |t| over shared features, overlap of the top ``k``,
    and ``sign_agreement``: among the model's top ``k`` with a direction, the share whose
    direction matches the sign of the association's effect."""
    assoc = associations[associations["scope"] == scope]
    rows = []
    t = table[table["view"] == view]
    by_drug = {str(d): g.set_index("feature") for d, g in assoc.groupby("drug")}
    for (model, drug, method), part in t.groupby(["model", "drug", "method"], sort=True):
        a = by_drug.get(str(drug))
        if a is None:
            continue
        imp = part.set_index("feature")["importance"]
        n, rho, overlap = _compare(imp, a["t"].abs(), top)
        head = part.nsmallest(top, "rank").set_index("feature")
        head = head[head["direction"].notna() & (head["direction"] != 0) & head.index.isin(a.index)]
        sign = float((np.sign(a.loc[head.index, "effect"]) == head["direction"]).mean()) if len(head) else float("nan")
        rows.append((model, drug, f"{method} vs association", n, rho, overlap, sign))
    return pd.DataFrame(rows, columns=[*AGREEMENT_COLUMNS, "sign_agreement"])


def rank_stability(first: pd.DataFrame, second: pd.DataFrame, *, top: int = 50) -> pd.DataFrame:
    """Stability of each (model, method, drug) ranking between two runs (e.g. two split seeds).

    ``spearman``: Spearman correlation, over one run's top ``top`` features, of their
    importances in the two runs, averaged over the two directions (a feature the other
    run did not rank counts as its least important); ``spearman_all``: over every feature
    both runs ranked; ``top_overlap``: share of the top ``top`` found in both.

    The correlation over the *union* of the two top lists is not used: features in one
    list only are high in one run and low in the other by construction, which makes that
    correlation negative whenever the lists differ.
    """
    rows = []
    keys = ["model", "method", "drug"]
    b_groups = {k: g for k, g in second.groupby(keys, sort=False)}
    for key, a in first.groupby(keys, sort=True):
        b = b_groups.get(key)
        if b is None:
            continue
        sa = a.set_index(_key(a))["importance"]
        sb = b.set_index(_key(b))["importance"]
        k = min(top, len(sa), len(sb))
        head_a, head_b = sa.nlargest(k).index, sb.nlargest(k).index
        within = [
            _spearman(x[head].to_numpy(float), y.reindex(head).fillna(y.min()).to_numpy(float))
            for x, y, head in ((sa, sb, head_a), (sb, sa, head_b))
        ]
        shared = sa.index.intersection(sb.index)
        rows.append(
            (
                *key,
                k,
                float(np.nanmean(within)) if not np.isnan(within).all() else float("nan"),
                _spearman(sa[shared].to_numpy(float), sb[shared].to_numpy(float)),
                len(set(head_a) & set(head_b)) / k if k else float("nan"),
            )
        )
    return pd.DataFrame(rows, columns=[*keys, "n_top", "spearman", "spearman_all", "top_overlap"])


def feature_ranks(
    table: pd.DataFrame, *, drug: str, features: Sequence[str], view: str, n_features: int | None = None
) -> pd.DataFrame:
    """Rank of each of ``features`` among the ``view`` features of ``drug`` for every
    (model, method): ``rank`` (1 = most important), ``n_ranked`` (features the method
    ranked) and ``percentile`` = rank / ``n_features`` (default: ``n_ranked``); a feature
    a method did not evaluate (e.g. left out by the permutation screen) gets rank NaN."""
    t = table[(table["drug"].astype(str) == str(drug)) & (table["view"] == view)]
    rows = []
    for (model, method), part in t.groupby(["model", "method"], sort=True):
        ordered = part.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
        ranks = pd.Series(np.arange(1, len(ordered) + 1), index=ordered["feature"].to_numpy())
        total = n_features or len(ordered)
        for f in features:
            r = float(ranks[f]) if f in ranks.index else float("nan")
            rows.append((model, method, drug, f, r, len(ordered), r / total))
    return pd.DataFrame(rows, columns=["model", "method", "drug", "feature", "rank", "n_ranked", "percentile"])


__all__ = ["AGREEMENT_COLUMNS", "association_agreement", "feature_ranks", "method_agreement", "rank_stability"]
