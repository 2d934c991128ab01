"""Drug x feature association tests with tissue and MSI covariates, vectorized per drug.

For each drug and feature the model is gdsctools' ANOVA model

    response ~ C(tissue) + msi + feature

(tissue and MSI where given and where they have two or more levels among the drug's
lines; per-tissue analyses drop the tissue term), and the feature's p-value is the t test
of its coefficient (the same as gdsctools' sequential F test of the last term, F = t²).

By the Frisch-Waugh-Lovell theorem the feature's coefficient, its standard error and its
t statistic equal those of the regression of the covariate-residualized response on the
covariate-residualized feature (with n - rank(covariates) - 1 residual degrees of
freedom). The covariates depend only on the drug's lines, so each drug needs one
projection of its responses and of its whole feature matrix onto the covariates'
orthogonal complement: one matrix product per drug instead of one OLS fit per test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cellresponse.biomarkers._inputs import AssociationInputs
from cellresponse.biomarkers._result import (
    ASSOCIATION_COLUMNS,
    COVARIATE_COLUMNS,
    PANCAN,
    SKIP_COLUMNS,
    AssociationResult,
    finish_table,
)
from cellresponse.biomarkers._settings import AssociationSettings

#: a feature whose residual sum of squares after the covariates is below this fraction
#: of its own sum of squares is explained by the covariates (e.g. a mutation found in one
#: tissue only and in every line of it) and is not tested
COLLINEAR_TOL = 1e-9
#: why a feature is not tested for a drug (see :data:`SKIP_COLUMNS`)
FEATURE_SKIPS = ("too_few_in_group", "constant", "collinear_with_covariates")


@dataclass
class _Features:
    """The feature matrix once, with what each column is."""

    values: np.ndarray  # lines x features, float64
    names: np.ndarray
    binary: np.ndarray  # bool per feature: values are 0/1 only


def _features(frame: pd.DataFrame) -> _Features:
    values = frame.to_numpy(np.float64)
    binary = ((values == 0.0) | (values == 1.0)).all(axis=0)
    return _Features(np.ascontiguousarray(values), frame.columns.to_numpy(dtype=str), binary)


def _orthonormal_basis(z: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of ``z`` (rank-revealing, via SVD)."""
    u, s, _ = np.linalg.svd(z, full_matrices=False)
    tol = s.max() * max(z.shape) * np.finfo(np.float64).eps if s.size else 0.0
    return u[:, s > tol]


def _covariates(
    scope: str, drug: str, rows: np.ndarray, inputs: AssociationInputs, settings: AssociationSettings
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Design of the covariates (intercept first) for the drug's ``rows``, and a record
    of each covariate: used, or dropped and why."""
    n = rows.size
    cols = [np.ones(n)]
    record = []
    if inputs.tissue is not None and settings.tissue_covariate and scope == PANCAN:
        levels, codes = np.unique(inputs.tissue.to_numpy()[rows], return_inverse=True)
        if levels.size < 2:
            record.append(_cov(scope, drug, "tissue", False, f"one level ({levels[0]}) among the drug's lines"))
        else:
            # one indicator per level but the first (the intercept carries it), as R and gdsctools do
            cols += [(codes == k).astype(np.float64) for k in range(1, levels.size)]
            record.append(_cov(scope, drug, "tissue", True, f"{levels.size} levels"))
    if inputs.msi is not None and settings.msi_covariate:
        m = inputs.msi.to_numpy()[rows]
        n_pos = int(m.sum())
        if min(n_pos, n - n_pos) < settings.min_msi:
            what = "one level" if min(n_pos, n - n_pos) == 0 else f"fewer than {settings.min_msi} lines in a level"
            record.append(_cov(scope, drug, "msi", False, f"{what} ({n_pos} MSI, {n - n_pos} MSS)"))
        else:
            cols.append(m)
            record.append(_cov(scope, drug, "msi", True, f"{n_pos} MSI, {n - n_pos} MSS"))
    return np.column_stack(cols), record


def _cov(scope: str, drug: str, covariate: str, used: bool, detail: str) -> dict[str, Any]:
    return {"scope": scope, "drug": drug, "covariate": covariate, "used": used, "detail": detail}


def _test_drug(
    y: np.ndarray, x: np.ndarray, feats: _Features, q: np.ndarray, settings: AssociationSettings
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """All features of one drug at once (``q``: orthonormal basis of its covariates):
    statistics of the tested ones, the tested mask and the skip reason of every feature
    (empty string where tested)."""
    n = y.size
    dof = n - q.shape[1] - 1
    # FWL: residualize the response and every feature on the covariates once
    ry = y - q @ (q.T @ y)
    rx = x - q @ (q.T @ x)
    sxx = np.einsum("ij,ij->j", rx, rx)
    sxy = rx.T @ ry
    syy = float(ry @ ry)
    xc = x - x.mean(axis=0)
    ss_x = np.einsum("ij,ij->j", xc, xc)
    n_pos = x.sum(axis=0)
    reason = np.full(x.shape[1], "", dtype=object)
    binary = feats.binary
    small = binary & (np.minimum(n_pos, n - n_pos) < settings.min_group)
    constant = ss_x <= 1e-12 * np.maximum(1.0, (x**2).sum(axis=0))
    reason[small] = "too_few_in_group"
    reason[constant] = "constant"
    collinear = (reason == "") & (sxx <= COLLINEAR_TOL * ss_x)
    reason[collinear] = "collinear_with_covariates"
    tested = reason == ""
    sxx_t, sxy_t = sxx[tested], sxy[tested]
    coef = sxy_t / sxx_t
    ssr = np.maximum(syy - coef * sxy_t, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(ssr / dof / sxx_t)
        t = coef / se
    p = 2.0 * stats.t.sf(np.abs(t), dof)
    sd_y = float(np.std(y, ddof=1))
    sd_x = np.sqrt(ss_x[tested] / (n - 1))
    out: dict[str, np.ndarray] = {
        "n": np.full(tested.sum(), n),
        "coef": coef,
        "std_coef": coef * sd_x / sd_y if sd_y > 0 else np.full(coef.shape, np.nan),
        "t": t,
        "pvalue": p,
    }
    out.update(_group_stats(y, x[:, tested], binary[tested]))
    return out, tested, reason


def _group_stats(y: np.ndarray, x: np.ndarray, binary: np.ndarray) -> dict[str, np.ndarray]:
    """Group sizes, means, difference of means, Glass's deltas and Cohen's d of binary
    features (NaN for continuous ones), from sums over the lines, all features at once."""
    n = y.size
    yc = y - y.mean()  # centred first, so the sums of squares below do not cancel
    n_pos = x.sum(axis=0)
    n_neg = n - n_pos
    s_pos = x.T @ yc
    q_pos = x.T @ (yc * yc)
    s_neg = yc.sum() - s_pos
    q_neg = float(yc @ yc) - q_pos
    with np.errstate(divide="ignore", invalid="ignore"):
        m_pos = s_pos / n_pos
        m_neg = s_neg / n_neg
        v_pos = np.maximum(q_pos - n_pos * m_pos**2, 0.0) / (n_pos - 1)
        v_neg = np.maximum(q_neg - n_neg * m_neg**2, 0.0) / (n_neg - 1)
        delta = m_pos - m_neg
        sd_pos, sd_neg = np.sqrt(v_pos), np.sqrt(v_neg)
        pooled = np.sqrt(((n_pos - 1) * v_pos + (n_neg - 1) * v_neg) / (n - 2))
        glass_pos = np.where(sd_pos > 0, delta / sd_pos, np.nan)
        glass_neg = np.where(sd_neg > 0, delta / sd_neg, np.nan)
        cohens = np.where(pooled > 0, delta / pooled, np.nan)
    nan = np.full(x.shape[1], np.nan)
    out = {
        "n_pos": np.where(binary, n_pos, nan),
        "n_neg": np.where(binary, n_neg, nan),
        "mean_pos": np.where(binary, m_pos + y.mean(), nan),
        "mean_neg": np.where(binary, m_neg + y.mean(), nan),
        "delta_mean": np.where(binary, delta, nan),
        "glass_pos": np.where(binary, glass_pos, nan),
        "glass_neg": np.where(binary, glass_neg, nan),
        "cohens_d": np.where(binary, cohens, nan),
    }
    return out


def _scopes(inputs: AssociationInputs, settings: AssociationSettings) -> list[tuple[str, np.ndarray]]:
    """(scope, mask over lines): pan-cancer, then each tissue when asked."""
    n = len(inputs.responses.index)
    scopes = [(PANCAN, np.ones(n, dtype=bool))]
    if settings.per_tissue:
        if inputs.tissue is None:
            raise ValueError("per_tissue needs a tissue per cell line; the inputs have none")
        tissue = inputs.tissue.to_numpy()
        wanted = sorted(set(tissue)) if settings.tissues is None else list(settings.tissues)
        unknown = sorted(set(wanted) - set(tissue))
        if unknown:
            raise ValueError(f"tissues {unknown} are not among the inputs' tissues {sorted(set(tissue))}")
        scopes += [(str(t), tissue == t) for t in wanted]
    return scopes


def associations(inputs: AssociationInputs, *, settings: AssociationSettings | None = None) -> AssociationResult:
    """Test every drug against every feature, pan-cancer (and per tissue when asked).

    Parameters
    ----------
    inputs
        Aligned responses, features and covariates (:class:`AssociationInputs`).
    settings
        Group-size thresholds, covariates, per-tissue scopes (:class:`AssociationSettings`).

    Returns
    -------
    AssociationResult
        ``table`` (one row per test, :data:`ASSOCIATION_COLUMNS`, Benjamini-Hochberg FDR
        over all tests of a scope), ``skipped`` (what was not tested and why, counted) and
        ``covariates`` (the covariates of each drug, used or dropped and why).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> lines = [f"L{i}" for i in range(40)]
    >>> mut = pd.DataFrame({"BRAF_mut": (np.arange(40) % 4 == 0).astype(float)}, index=lines)
    >>> ic50 = pd.DataFrame({"PLX": 2.0 - 3.0 * mut["BRAF_mut"] + rng.normal(0, 0.5, 40)}, index=lines)
    >>> res = associations(AssociationInputs.align(ic50, mut))
    >>> row = res.table.iloc[0]
    >>> (row["feature"], int(row["n_pos"]), bool(row["delta_mean"] < -2), bool(row["fdr"] < 1e-6))
    ('BRAF_mut', 10, True, True)
    """
    from threadpoolctl import threadpool_limits

    settings = settings or AssociationSettings()
    # one BLAS thread: a drug's matrices are too small for threads to pay off, and on a
    # shared machine threads waiting for a busy core made the whole analysis ~10x slower
    with threadpool_limits(limits=1):
        return _associations(inputs, settings)


def _associations(inputs: AssociationInputs, settings: AssociationSettings) -> AssociationResult:
    feats = _features(inputs.features)
    y_all = inputs.responses.to_numpy(np.float64)
    drugs = inputs.responses.columns.to_numpy(dtype=str)
    frames: list[pd.DataFrame] = []
    skipped: list[tuple[Any, ...]] = []
    covariates: list[dict[str, Any]] = []
    for scope, in_scope in _scopes(inputs, settings):
        parts = []
        # feature-level skips counted per reason over the scope's drugs (never one row per test)
        counts = {why: np.zeros(feats.names.size, dtype=np.int64) for why in FEATURE_SKIPS}
        for j, drug in enumerate(drugs):
            rows = np.flatnonzero(in_scope & np.isfinite(y_all[:, j]))
            if rows.size < settings.min_measurements:
                skipped.append((scope, drug, "*", "too_few_measurements", feats.names.size, rows.size))
                continue
            z, record = _covariates(scope, drug, rows, inputs, settings)
            covariates += record
            q = _orthonormal_basis(z)
            if rows.size - q.shape[1] - 1 < 1:
                skipped.append((scope, drug, "*", "no_residual_degrees_of_freedom", feats.names.size, rows.size))
                continue
            out, tested, reason = _test_drug(y_all[rows, j], feats.values[rows], feats, q, settings)
            for why, count in counts.items():
                count += reason == why
            if not tested.any():
                continue
            used = "+".join(r["covariate"] for r in record if r["used"]) or "none"
            part = pd.DataFrame(out)
            part.insert(0, "feature", feats.names[tested])
            part.insert(0, "drug", drug)
            part.insert(0, "scope", scope)
            part["feature_type"] = np.where(feats.binary[tested], "binary", "continuous")
            part["covariates"] = used
            parts.append(part)
        for why, count in counts.items():
            skipped += [(scope, "*", str(feats.names[k]), why, int(count[k]), np.nan) for k in np.flatnonzero(count)]
        if parts:
            frames.append(finish_table(pd.concat(parts, ignore_index=True)))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(ASSOCIATION_COLUMNS))
    return AssociationResult(
        table=table[list(ASSOCIATION_COLUMNS)],
        skipped=pd.DataFrame(skipped, columns=list(SKIP_COLUMNS)),
        covariates=pd.DataFrame(covariates, columns=list(COVARIATE_COLUMNS)),
        settings=settings,
        info=dict(inputs.info),
    )


__all__ = ["COLLINEAR_TOL", "FEATURE_SKIPS", "associations"]
