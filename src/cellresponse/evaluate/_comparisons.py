"""Paired tests between the benchmarked models themselves, and against ensemble members.

The runner's generic tests compare every model with the naive baselines only; for the
response task those have no within-drug Pearson (a drug mean is constant within a drug),
so nothing says whether an ensemble beats a fitted model or its own best member. This
summary scorer adds paired Wilcoxon tests over perturbations (model > reference) of every
non-naive model against every other non-naive model and against its best member
(``<model>/<member>`` rows; best by the pooled test score, which favours the member).
"""

from __future__ import annotations

import pandas as pd

from cellresponse.evaluate._metrics import paired_wilcoxon
from cellresponse.evaluate._runner import STATS_COLUMNS, ScoreContext, TaskScorer, register_task_scorer


def model_comparisons(results: pd.DataFrame, ctx: ScoreContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summary scorer: ``(no extra result rows, paired tests)`` on per-perturbation metrics."""
    kind = ctx.kind
    pooled = results[(results["fold"] == "all") & (results["group_by"] == kind)]
    tests = []
    for metric in ("pearson", "normalized_pearson"):
        wide = pooled[pooled["metric"] == metric].pivot_table(index="group", columns="model", values="value")
        fitted = [m for m in ctx.models if "/" not in m and m not in ctx.naive and m in wide.columns]
        for model in fitted:
            members = [c for c in wide.columns if str(c).startswith(f"{model}/")]
            best = [str(wide[members].mean().idxmax())] if members else []
            for ref in [*(r for r in fitted if r != model), *best]:
                res = paired_wilcoxon(wide[model], wide[ref])
                tests.append({"model": model, "reference": ref, "metric": f"per_{kind}_{metric}",
                              "is_best_naive": False, **res})  # fmt: skip
    return pd.DataFrame(columns=["model", "fold", "metric", "group_by", "group", "value"]), pd.DataFrame(
        tests, columns=STATS_COLUMNS
    )


for _task in ("response", "dependency"):
    register_task_scorer(_task, TaskScorer("model_comparisons", summary=model_comparisons))

__all__ = ["model_comparisons"]
