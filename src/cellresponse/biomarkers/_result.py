"""The one result schema of the association analysis."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.biomarkers._settings import AssociationSettings
from cellresponse.de import bh_fdr

#: the scope of the pan-cancer tests (per-tissue scopes are named by their tissue)
PANCAN = "pancan"

#: Columns of the association table, one row per (scope, drug, feature) test.
#:
#: ``scope``: ``"pancan"`` or a tissue. ``feature_type``: ``binary`` (0/1 values only) or
#: ``continuous``. ``n``: lines with a response. ``n_pos`` / ``n_neg``: lines with /
#: without a binary feature. ``mean_pos`` / ``mean_neg``: mean response of each group;
#: ``delta_mean = mean_pos - mean_neg`` (negative: feature-positive lines are more
#: sensitive when the response is ln IC50). ``glass_pos`` / ``glass_neg``: Glass's deltas,
#: ``delta_mean`` over the standard deviation of the positive / negative group (signed;
#: gdsctools reports their absolute values). ``cohens_d``: ``delta_mean`` over the pooled
#: standard deviation. Group columns are NaN for continuous features. ``coef``: the
#: feature's coefficient adjusted for the covariates (for a binary feature the adjusted
#: difference of means); ``std_coef``: ``coef`` times sd(feature) / sd(response).
#: ``effect``: ``delta_mean`` for binary features, ``std_coef`` for continuous ones (the
#: volcano plot's x axis). ``t``, ``pvalue``: t test of ``coef``. ``fdr``:
#: Benjamini-Hochberg over every test of the scope. ``rank``: 1 = smallest p-value of the
#: drug in its scope. ``covariates``: the covariates in the model (``tissue+msi``).
ASSOCIATION_COLUMNS: tuple[str, ...] = (
    "scope",
    "drug",
    "feature",
    "feature_type",
    "n",
    "n_pos",
    "n_neg",
    "mean_pos",
    "mean_neg",
    "delta_mean",
    "glass_pos",
    "glass_neg",
    "cohens_d",
    "coef",
    "std_coef",
    "effect",
    "t",
    "pvalue",
    "fdr",
    "rank",
    "covariates",
)

#: What was not tested: ``reason`` is ``too_few_measurements`` or
#: ``no_residual_degrees_of_freedom`` for a whole drug (``feature = "*"``, ``n_tests`` =
#: every feature, ``n_lines`` = the drug's measured lines), or ``too_few_in_group``,
#: ``constant``, ``collinear_with_covariates`` for a feature (``drug = "*"``, ``n_tests`` =
#: the number of drugs it was not tested for, ``n_lines`` NaN).
SKIP_COLUMNS: tuple[str, ...] = ("scope", "drug", "feature", "reason", "n_tests", "n_lines")

#: The covariates of each (scope, drug): ``used`` or dropped, and why (``detail``).
COVARIATE_COLUMNS: tuple[str, ...] = ("scope", "drug", "covariate", "used", "detail")


def finish_table(table: pd.DataFrame) -> pd.DataFrame:
    """FDR over every test of the (single-scope) ``table``, ``effect``, rank within drug;
    sorted by p-value."""
    out = table.copy()
    out["fdr"] = bh_fdr(out["pvalue"].to_numpy(np.float64))
    out["effect"] = np.where(out["feature_type"] == "binary", out["delta_mean"], out["std_coef"])
    out = out.sort_values(["pvalue", "drug", "feature"], kind="stable", ignore_index=True)
    out["rank"] = out.groupby("drug", sort=False).cumcount() + 1
    return out


@dataclass(frozen=True)
class AssociationResult:
    """What :func:`cellresponse.biomarkers.associations` found.

    Attributes
    ----------
    table
        One row per test (:data:`ASSOCIATION_COLUMNS`), pan-cancer first, by p-value.
    skipped
        Tests not run and why, counted (:data:`SKIP_COLUMNS`).
    covariates
        Covariates per (scope, drug), used or dropped (:data:`COVARIATE_COLUMNS`).
    settings
        The settings of the run.
    info
        The alignment of the inputs (lines shared, dropped).
    """

    table: pd.DataFrame
    skipped: pd.DataFrame
    covariates: pd.DataFrame
    settings: AssociationSettings
    info: dict[str, Any] = field(default_factory=dict)

    def significant(self, *, fdr: float = 0.05, scope: str | None = PANCAN) -> pd.DataFrame:
        """Tests with ``fdr`` below the level (in ``scope``; ``None``: every scope)."""
        t = self.table if scope is None else self.table[self.table["scope"] == scope]
        return t[t["fdr"] < fdr]

    def summary(self, *, fdr: float = 0.05) -> dict[str, Any]:
        """Counts for reports: tests per scope, significant ones, skips by reason, covariates dropped."""
        t = self.table
        scopes = list(dict.fromkeys(t["scope"])) if len(t) else []
        skips = self.skipped.groupby("reason")["n_tests"].sum().astype(int).to_dict() if len(self.skipped) else {}
        drugs_skipped = self.skipped[self.skipped["feature"] == "*"]
        dropped = self.covariates[~self.covariates["used"].astype(bool)]
        return {
            "n_tests": len(t),
            "n_drugs": int(t["drug"].nunique()) if len(t) else 0,
            "n_features": int(t["feature"].nunique()) if len(t) else 0,
            "scopes": scopes,
            "tests_per_scope": {s: int((t["scope"] == s).sum()) for s in scopes},
            "fdr_level": fdr,
            "n_significant": int((t["fdr"] < fdr).sum()) if len(t) else 0,
            "n_significant_pancan": int(((t["fdr"] < fdr) & (t["scope"] == PANCAN)).sum()) if len(t) else 0,
            "skipped_tests": {str(k): int(v) for k, v in skips.items()},
            "drugs_skipped": {
                str(s): sorted(map(str, g["drug"])) for s, g in drugs_skipped.groupby("scope", sort=False)
            },
            "covariates_dropped": {
                f"{c}: {d}": int(n)
                for (c, d), n in dropped.assign(kind=dropped["detail"].str.replace(r"\s*\(.*\)$", "", regex=True))
                .groupby(["covariate", "kind"])["drug"]
                .count()
                .items()
            },
            "settings": asdict(self.settings),
            "inputs": dict(self.info),
        }


__all__ = ["ASSOCIATION_COLUMNS", "COVARIATE_COLUMNS", "PANCAN", "SKIP_COLUMNS", "AssociationResult", "finish_table"]
