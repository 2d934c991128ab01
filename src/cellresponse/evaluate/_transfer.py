"""Scores of a cross-study (or cell line -> PDX) run, computed from its written predictions.

The test study's targets are on another scale than the training study's, so only
within-drug scores mean anything: per drug, the Spearman and Pearson correlation of
prediction and truth, and, where the test rows carry an mRECIST class (PDX), the AUROC
of the prediction for responders (CR or PR; lower predicted resistance = responder).
Each is computed on every test row (``all``) and on the rows of test lines the training
study never saw (``unseen``), and compared over drugs with every baseline by one-sided
paired Wilcoxon tests (the best baseline by mean per-drug Spearman is flagged).

The tables go to ``extras/transfer.{per_drug,summary,stats}.csv`` of the results
directory; the report's "Cross-study transfer" section reads them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.metrics import auroc, paired_wilcoxon, pearson, spearman
from cellresponse.results import STATS_COLUMNS, Predictions, ResultsWriter, read_results
from cellresponse.tasks import ScoreContext, is_top_level

TRANSFER = "transfer"
PER_DRUG_COLUMNS = ["model", "subset", "drug", "n", "n_lines", "spearman", "pearson", "auroc"]
SUMMARY_COLUMNS = [
    "model",
    "subset",
    "n_drugs",
    "n_rows",
    "spearman_mean",
    "spearman_median",
    "pearson_mean",
    "pearson_median",
    "auroc_mean",
    "auroc_n_drugs",
    "is_baseline",
]
RESPONDERS = ("CR", "PR")


def _subsets(obs: pd.DataFrame, *, held_out: bool) -> dict[str, np.ndarray]:
    out = {"all": np.ones(len(obs), dtype=bool)}
    if held_out:  # K-fold cross-study split: every tested line was held out of training
        return {"unseen": out["all"]}
    if "seen_line" in obs.columns:
        seen = obs["seen_line"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
        if not seen.any():  # no test line is in the training study (PDX models): one subset
            return {"unseen": out["all"]}
        if not seen.all():
            out["unseen"] = ~seen
    return out


def transfer_scores(preds: Predictions, ctx: ScoreContext, *, held_out: bool = False) -> dict[str, pd.DataFrame]:
    """Per-drug scores, their summary and the paired tests (see the module docstring).

    ``held_out``: the split held every tested line out of training (a K-fold
    ``cross_study`` split), so all rows form the ``unseen`` subset; per-drug scores are
    then computed within each fold and averaged over the folds a drug was tested in.

    Returns
    -------
    dict
        ``per_drug``, ``summary`` and ``stats`` (the ``stats.csv`` column set, with
        ``subset`` naming the row subset).
    """
    obs = preds.obs
    kind = ctx.kind
    drugs = obs[kind].astype(str).to_numpy()
    lines = obs["cell_line"].astype(str).to_numpy()
    responders = None
    if "mrecist_class" in obs.columns and obs["mrecist_class"].notna().any():
        responders = obs["mrecist_class"].astype(str).isin(RESPONDERS).to_numpy()
    names = [n for n in preds.values if is_top_level(n) and not np.isnan(preds.values[n]).all()]
    folds = obs["fold"].to_numpy()
    rows: list[dict[str, Any]] = []
    for subset, mask in _subsets(obs, held_out=held_out).items():
        for drug, fold in pd.unique(pd.Series(list(zip(drugs[mask], folds[mask], strict=True)))):
            rows_d = mask & (drugs == drug) & (folds == fold)
            n = int(rows_d.sum())
            truth = preds.y_true[rows_d]
            for name in names:
                pred = preds.values[name][rows_d]
                big = n >= ctx.min_group_size
                rows.append(
                    {
                        "model": name,
                        "subset": subset,
                        "fold": int(fold),
                        "drug": drug,
                        "n": n,
                        "n_lines": len(set(lines[rows_d])),
                        "spearman": spearman(truth, pred) if big else float("nan"),
                        "pearson": pearson(truth, pred) if big else float("nan"),
                        # predictions point to resistance: a responder should get a low one
                        "auroc": auroc(responders[rows_d], -pred) if big and responders is not None else float("nan"),
                    }
                )
    per_fold = pd.DataFrame(rows, columns=["fold", *PER_DRUG_COLUMNS])
    # scores within each fold (a model is refitted per fold), averaged over a drug's folds
    per_drug = per_fold.groupby(["model", "subset", "drug"], sort=False).agg(
        n=("n", "sum"),
        n_lines=("n_lines", "sum"),
        spearman=("spearman", "mean"),
        pearson=("pearson", "mean"),
        auroc=("auroc", "mean"),
    )
    per_drug = per_drug.reset_index()[PER_DRUG_COLUMNS]
    summary = _summary(per_drug, ctx)
    return {"per_drug": per_drug, "summary": summary, "stats": _stats(per_drug, summary, ctx)}


def _summary(per_drug: pd.DataFrame, ctx: ScoreContext) -> pd.DataFrame:
    out = []
    for (model, subset), grp in per_drug.groupby(["model", "subset"], sort=False):
        scored = grp.dropna(subset=["spearman"])
        out.append(
            {
                "model": model,
                "subset": subset,
                "n_drugs": len(scored),
                "n_rows": int(grp["n"].sum()),
                "spearman_mean": _agg(scored["spearman"], "mean"),
                "spearman_median": _agg(scored["spearman"], "median"),
                "pearson_mean": _agg(grp["pearson"], "mean"),
                "pearson_median": _agg(grp["pearson"], "median"),
                "auroc_mean": _agg(grp["auroc"], "mean"),
                "auroc_n_drugs": int(grp["auroc"].notna().sum()),
                "is_baseline": model in ctx.baselines,
            }
        )
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def _agg(values: pd.Series, how: str) -> float:
    """Mean or median of the non-missing values; NaN (without a warning) when there are none."""
    kept = values.dropna().to_numpy(dtype=float)
    if not kept.size:
        return float("nan")
    return float(np.mean(kept) if how == "mean" else np.median(kept))


def best_transfer_baseline(summary: pd.DataFrame, subset: str) -> str | None:
    """The baseline with the highest mean per-drug Spearman on ``subset``."""
    rows = summary[(summary["subset"] == subset) & summary["is_baseline"]].dropna(subset=["spearman_mean"])
    if rows.empty:
        return None
    return str(rows.sort_values("spearman_mean", ascending=False, kind="stable")["model"].iloc[0])


def _stats(per_drug: pd.DataFrame, summary: pd.DataFrame, ctx: ScoreContext) -> pd.DataFrame:
    rows = []
    fitted = [m for m in ctx.models if m not in ctx.baselines]
    for subset in pd.unique(per_drug["subset"]):
        best = best_transfer_baseline(summary, subset)
        part = per_drug[per_drug["subset"] == subset]
        for metric in ("spearman", "pearson", "auroc"):
            table = part.pivot_table(index="drug", columns="model", values=metric, sort=False)
            if table.empty:
                continue
            for model in [m for m in fitted if m in table.columns]:
                for ref in [b for b in ctx.baselines if b in table.columns]:
                    test = paired_wilcoxon(table[model], table[ref])
                    if np.isnan(test["n"]) or test["n"] == 0:
                        continue
                    rows.append(
                        {
                            "model": model,
                            "reference": ref,
                            "metric": f"per_{ctx.kind}_{metric}",
                            "over": ctx.kind,
                            "subset": subset,
                            "alternative": "greater",
                            "is_best_baseline": ref == best,
                            **test,
                        }
                    )
    return pd.DataFrame(rows, columns=STATS_COLUMNS)


def write_transfer_scores(results_dir: PathLike) -> dict[str, pd.DataFrame]:
    """Score a finished cross-study results directory and write its ``extras/transfer.*.csv``."""
    res = read_results(results_dir)
    ctx = ScoreContext.from_config(res.config)
    split = res.config["split"]
    held_out = split["mode"] == "cross_study" and int(split["n_folds"]) > 1
    tables = transfer_scores(res.predictions, ctx, held_out=held_out)
    ResultsWriter(res.path).extras({(TRANSFER, key): table for key, table in tables.items()})
    return tables


__all__ = [
    "PER_DRUG_COLUMNS",
    "SUMMARY_COLUMNS",
    "TRANSFER",
    "best_transfer_baseline",
    "transfer_scores",
    "write_transfer_scores",
]
