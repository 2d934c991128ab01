"""Cross-study evaluation: two response datasets joined into one, trained on one study's rows
and tested on the other's, on the drugs they share.

:func:`join_studies` builds the joined :class:`~cellresponse.data.Dataset`:

- an ``obs["study"]`` annotation (the split key of the ``cross_study`` split mode, which
  trains on every row of the first study and tests every row of the second), and
  ``obs["seen_line"]`` (the test line also has training rows);
- the second study's rows only for drugs the two share (:class:`DrugResolver`: keys,
  curated aliases, then structures), under the first study's drug IDs, so per-drug models
  and drug means carry over; its other drugs are left out (listed in the report);
- targets on different scales: each study keeps its own, compared within a drug only
  (per-drug Spearman and Pearson); where the two point different ways (a ``sensitivity``
  target such as CCLE's activity area against a ``resistance`` one) the test target is
  negated, so higher means less sensitive in both;
- cell views: those both studies have, over the features (genes) both have; cell lines
  keep their IDs where both studies hold the same feature row (the GDSC views every
  screen shares), else the test study's lines are namespaced (``ctrp_v2:ACH-000001``);
- ``align``: a per-sample transformation of the continuous views (``rank``: each
  sample's values over the shared genes -> normal scores of their ranks; ``zscore``: each
  sample centred and scaled over the shared genes). It uses no statistic of any other
  sample, so nothing is learned from the test study (training-only by construction);
  it puts two expression platforms (microarray z-scores, RNA-seq log FPKM) on one scale.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cellresponse.data import Dataset, DrugResolver, FeatureView
from cellresponse.datasets._assemble import TARGET_DIRECTIONS

Align = Literal["none", "rank", "zscore"]
ALIGN_METHODS = ("none", "rank", "zscore")
STUDY, SEEN = "study", "seen_line"


def align_samples(values: np.ndarray, method: Align) -> np.ndarray:
    """Per-sample (row-wise) alignment of a continuous view (see the module docstring).

    Examples
    --------
    >>> x = np.array([[1.0, 5.0, 3.0], [10.0, 30.0, 20.0]])
    >>> np.allclose(align_samples(x, "rank")[0], align_samples(x, "rank")[1])
    True
    """
    if method not in ALIGN_METHODS:
        raise ValueError(f"align must be one of {ALIGN_METHODS}, got {method!r}")
    x = np.asarray(values, dtype=np.float64)
    if method == "none" or x.size == 0:
        return x.astype(np.float32)
    if method == "zscore":
        sd = np.nanstd(x, axis=1, keepdims=True)
        return ((x - np.nanmean(x, axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)).astype(np.float32)
    ranks = stats.rankdata(np.where(np.isnan(x), -np.inf, x), axis=1)
    n = x.shape[1]
    out = stats.norm.ppf((ranks - 0.5) / n)
    return np.where(np.isnan(x), np.nan, out).astype(np.float32)


def _drug_table(data: Dataset) -> pd.DataFrame:
    meta = data.perturbation_meta.reindex(pd.unique(data.perturbations))
    names = meta["name"] if "name" in meta.columns else pd.Series(meta.index, index=meta.index)
    table = pd.DataFrame({"name": names.fillna(pd.Series(meta.index, index=meta.index)).astype(str)}, index=meta.index)
    table["structure_key"] = meta["structure_key"] if "structure_key" in meta.columns else None
    if "drug_key" in meta.columns and meta["drug_key"].isna().all():  # IDs are not names (DrugCell)
        table["name"] = ""  # an empty name has no key: these drugs match by structure only
    return table


def _shared_views(a: Dataset, b: Dataset) -> tuple[dict[str, pd.Index], dict[str, int]]:
    common = [v for v in a.cell_views if v in b.cell_views]
    features, sizes = {}, {}
    for view in common:
        shared = a.cell_view(view).feature_names.intersection(b.cell_view(view).feature_names, sort=False)
        sizes[view] = len(shared)
        if len(shared):
            features[view] = shared
    if not features:
        raise ValueError(
            f"studies {a.name!r} and {b.name!r} share no genes in any cell view (views {list(a.cell_views)} vs "
            f"{list(b.cell_views)}; shared features per common view: {sizes})"
        )
    return features, sizes


def _same_rows(va: FeatureView, vb: FeatureView, features: pd.Index) -> bool:
    both = va.ids.intersection(vb.ids)
    if not len(both):
        return True
    x = va.subset(ids=list(both), features=list(features)).values
    y = vb.subset(ids=list(both), features=list(features)).values
    return bool(np.allclose(x, y, equal_nan=True, atol=1e-5))


def join_studies(
    train: Dataset,
    test: Dataset,
    *,
    align: Align = "none",
    drop_seen_lines: bool = False,
    resolver: DrugResolver | None = None,
) -> Dataset:
    """Join a training and a test study into one dataset (see the module docstring).

    Parameters
    ----------
    train, test
        Response datasets (e.g. ``load_dataset("gdsc2")`` and ``load_dataset("ctrp_v2")``).
    align
        Per-sample alignment of continuous cell views: ``none``, ``rank`` or ``zscore``.
    drop_seen_lines
        Keep only the test rows of lines the training study does not have. (The
        ``cross_study`` split with K folds tests every line unseen instead, by holding
        each line's training rows out of the fold that tests it.)
    resolver
        Drug resolver (default: the packaged aliases).

    Returns
    -------
    Dataset
        Named ``"<train>-><test>"``; ``info["cross_study"]`` holds the shared drugs, the
        drug-match report, line counts, the alignment and the test target's sign.

    Raises
    ------
    ValueError
        If either is not a scalar response dataset, the studies share no drug, no gene of
        any cell view, or (``drop_seen_lines``) no test line outside the training study.
    """
    for data in (train, test):
        if data.task != "response" or data.is_vector_target:
            raise ValueError(f"cross-study evaluation needs scalar response datasets; {data.name!r} is {data.task!r}")
    resolver = resolver or DrugResolver()
    label = f"{train.name} -> {test.name}"
    match = resolver.match(_drug_table(train), _drug_table(test), source=label)
    if match.pairs.empty:
        raise ValueError(
            f"{label}: the studies share no drug (by name, curated alias or structure); e.g. "
            f"{list(pd.unique(train.perturbations))[:3]} vs {list(pd.unique(test.perturbations))[:3]}"
        )
    features, sizes = _shared_views(train, test)
    namespaced = not all(_same_rows(train.cell_view(v), test.cell_view(v), f) for v, f in features.items())
    prefix = f"{test.name}:" if namespaced else ""
    b_to_a = dict(zip(match.pairs["b"], match.pairs["a"], strict=True))
    keep = np.isin(test.perturbations, list(b_to_a))
    test_part = test[keep]
    train_lines = set(train.cell_lines)
    seen = np.isin(test_part.cell_lines, list(train_lines))
    if drop_seen_lines:
        if seen.all():
            raise ValueError(f"{label}: every test line also has training rows; no unseen line to test")
        test_part, seen = test_part[~seen], seen[~seen]
    directions = (train.info.get("target_direction", "unknown"), test.info.get("target_direction", "unknown"))
    if "unknown" in directions:
        directions = (TARGET_DIRECTIONS.get(train.target, "unknown"), TARGET_DIRECTIONS.get(test.target, "unknown"))
    sign = -1.0 if directions[0] != directions[1] and "unknown" not in directions else 1.0
    obs_a = pd.DataFrame(
        {"cell_line": train.cell_lines, "perturbation": train.perturbations, STUDY: train.name, SEEN: False}
    )
    obs_b = pd.DataFrame(
        {
            "cell_line": [prefix + c for c in test_part.cell_lines],
            "perturbation": [b_to_a[p] for p in test_part.perturbations],
            STUDY: test.name,
            SEEN: seen,
        }
    )
    extra = [c for c in test_part.obs.columns if c == "mrecist_class"]
    for col in extra:
        obs_a[col] = ""
        obs_b[col] = test_part.obs[col].to_numpy()
    views = {}
    for view, feats in features.items():
        va = train.cell_view(view).subset(features=list(feats))
        vb = test.cell_view(view).subset(features=list(feats))
        ids_b = [prefix + i for i in vb.ids]
        have = set(va.ids)
        new_b = [k for k, i in enumerate(ids_b) if i not in have]
        values = np.vstack([va.values, vb.values[new_b]])
        ids = [*va.ids, *[ids_b[k] for k in new_b]]
        if va.kind == "continuous":
            values = align_samples(values, align)
        views[view] = FeatureView(view, ids, values, feats, va.kind)
    meta_b = test.cell_meta.copy()
    meta_b.index = [prefix + i for i in meta_b.index]
    cell_meta = pd.concat([train.cell_meta, meta_b[~meta_b.index.isin(train.cell_meta.index)]])
    info: dict[str, Any] = {
        "dataset": f"{train.name}->{test.name}",
        "target_direction": directions[0],
        "obs_annotations": [STUDY, SEEN, *extra],
        "cross_study": {
            "train": train.name,
            "test": test.name,
            "train_target": train.target,
            "test_target": test.target,
            "test_sign": sign,
            "directions": list(directions),
            "align": align,
            "drop_seen_lines": drop_seen_lines,
            "namespaced_test_lines": namespaced,
            "shared_drugs": match.pairs.to_dict("records"),
            "drug_match": match.report.to_dict(),
            "shared_features": sizes,
            "test_rows": len(test_part),
            "test_rows_other_drugs": int((~keep).sum()),
            "n_test_lines": len(set(test_part.cell_lines)),
            "n_test_lines_seen": len(set(np.asarray(test_part.cell_lines)[seen])),
            "train_rows": len(train),
        },
        "sources": {train.name: dict(train.info), test.name: dict(test.info)},
    }
    target = f"{train.target}->{'-' if sign < 0 else ''}{test.target}"
    return Dataset(
        obs=pd.concat([obs_a, obs_b], ignore_index=True),
        y=np.concatenate([train.y, sign * test_part.y]).astype(np.float32),
        target=target,
        task="response",
        cell_views=views,
        perturbation_views=dict(train.perturbation_views),
        cell_meta=cell_meta,
        perturbation_meta=train.perturbation_meta,
        name=f"{train.name}->{test.name}",
        info=info,
    )


__all__ = ["ALIGN_METHODS", "SEEN", "STUDY", "Align", "align_samples", "join_studies"]
