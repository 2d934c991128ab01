"""The expression task: the L1000 signature (a vector over landmark genes) a compound
induces in a cell line at a dose and a time.

Every metric is computed per signature across genes (Pearson, Spearman, delta-Pearson
after subtracting the fold's training mean signature, RMSE, top-k precision) and
averaged overall, per compound and per cell line. Models are compared with every
baseline by two-sided paired Wilcoxon tests over signatures and over compounds, and
re-scored with the compound and the dose/time inputs shuffled (the drug must matter).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.metrics import LOWER_IS_BETTER_EXPR, TOP_K, paired_wilcoxon, per_signature_metrics, score_expression
from cellresponse.results import Predictions, Results
from cellresponse.tasks._base import (
    ABLATION_SEP,
    FOLD_ROW_COLUMNS,
    ScoreContext,
    Section,
    Table,
    Task,
    empty_rows,
    fold_summary,
    stats_frame,
)
from cellresponse.tasks._calibration import calibration_fold_rows, calibration_summary
from cellresponse.tasks._registry import register_task

TRAIN_MEAN = "train_mean"
TEST_METRICS = ("pearson", "delta_pearson", "rmse")
EXPRESSION_BASELINES = (
    "expr_zero",
    "expr_train_mean",
    "expr_compound_mean",
    "expr_cell_mean",
    "expr_additive",
    "expr_tanimoto_knn",
    "expr_ridge",
    "expr_drug_blind",
)


def dose_curves(
    model: Any, test: Dataset, *, name: str, genes: list[int], n_compounds: int = 4, n_doses: int = 25
) -> pd.DataFrame:
    """Predicted response of ``genes`` over a dense log-dose grid, for the first
    ``n_compounds`` test compounds (each at its first test cell line and time).

    Returns a long table ``model, compound, cell_line, time, dose, gene, value``.
    """
    if "dose" not in test.obs.columns or test.obs["dose"].nunique() < 1:
        return pd.DataFrame()
    first = test.obs.drop_duplicates("perturbation").head(n_compounds)
    lo, hi = np.log10(test.obs["dose"].min()) - 0.5, np.log10(test.obs["dose"].max()) + 0.5
    grid = 10.0 ** np.linspace(lo, hi, n_doses)
    obs = first.loc[first.index.repeat(n_doses)].reset_index(drop=True)
    obs["dose"] = np.tile(grid, len(first))
    data = replace(test, obs=obs, y=np.zeros((len(obs), test.y.shape[1]), np.float32))
    pred = model.predict(data)
    names = list(test.target_names or [f"g{i}" for i in range(test.y.shape[1])])
    rows = [
        obs[[c for c in ("perturbation", "cell_line", "time", "dose") if c in obs.columns]]
        .rename(columns={"perturbation": "compound"})
        .assign(model=name, gene=names[g], value=pred[:, g])
        for g in genes
    ]
    return pd.concat(rows, ignore_index=True)


@register_task("expression")
class ExpressionTask(Task):
    """L1000 signatures for unseen compounds, cell lines, doses and times."""

    vector_target: ClassVar[bool] = True
    split_modes: ClassVar[tuple[str, ...]] = (
        "perturbation",
        "compound_scaffold",
        "compound_cluster",
        "cell_line",
        "dose_interpolation",
        "dose_extrapolation",
        "time",
    )
    default_split: ClassVar[str] = "perturbation"
    validation_mode: ClassVar[str] = "perturbation"
    baselines: ClassVar[tuple[str, ...]] = EXPRESSION_BASELINES
    default_models: ClassVar[tuple[str, ...]] = ("expr_ridge", "expr_dosetime")
    default_ablations: ClassVar[tuple[str, ...]] = ("shuffle_drug", "shuffle_dose_time")
    leaderboard_metrics: ClassVar[tuple[str, ...]] = (
        "pearson",
        "spearman",
        "delta_pearson",
        "rmse",
        "precision_up@50",
        "precision_down@50",
    )
    summary_metrics: ClassVar[tuple[str, ...]] = ("delta_pearson", "spearman", "rmse", "precision_up@50")
    lower_is_better: ClassVar[frozenset[str]] = frozenset(LOWER_IS_BETTER_EXPR)
    #: per-compound groups are a handful of signatures (one per dose): keep them all by default
    default_min_group_size: ClassVar[int] = 1

    def primary_metric(self, kind: str) -> str:
        return "pearson"

    def primary_groups(self, kind: str) -> tuple[str, str]:
        return "pearson", kind

    def settings(self) -> dict[str, Any]:
        return {"top_k": list(TOP_K)}

    def annotate(self, data: Dataset) -> pd.DataFrame:
        return pd.DataFrame(index=range(len(data)))

    def fold_context(self, train: Dataset) -> dict[str, np.ndarray]:
        return {TRAIN_MEAN: train.y.astype(np.float64).mean(0)}

    def cell_extras(self, name: str, model: Any, test: Dataset, *, last_fold: bool) -> dict[str, pd.DataFrame]:
        """Dense dose-response curves of the three most responsive genes (last fold only;
        models and ``expr_ridge``, the strongest baseline, not the naive means)."""
        if not last_fold or "dose" not in test.obs.columns or (name in self.baselines and name != "expr_ridge"):
            return {}
        genes = list(np.argsort(-np.abs(test.y).mean(0), kind="stable")[:3])
        curves = dose_curves(model, test, name=name, genes=genes)
        return {"dose_curves": curves} if len(curves) else {}

    @staticmethod
    def _reference(preds: Predictions, fold: int) -> np.ndarray:
        ref = preds.fold_context(fold, TRAIN_MEAN)
        if ref is None:
            raise ValueError(f"predictions of fold {fold} lack the training mean signature ({TRAIN_MEAN!r} context)")
        return ref

    def _top_k(self, ctx: ScoreContext) -> list[int]:
        return [int(k) for k in ctx.settings.get("top_k", TOP_K)]

    def score_fold(self, preds: Predictions, ctx: ScoreContext) -> pd.DataFrame:
        fold = int(preds.obs["fold"].iloc[0])
        reference = self._reference(preds, fold)
        groups = {ctx.kind: preds.obs[ctx.kind].to_numpy(), "cell_line": preds.obs["cell_line"].to_numpy()}
        frames = []
        for name, values in preds.values.items():
            if np.isnan(values).all():
                continue
            scored = score_expression(
                preds.y_true,
                values,
                reference=reference,
                groups=groups,
                top_k=self._top_k(ctx),
                min_group_size=ctx.min_group_size,
            )
            frames.append(scored.assign(model=name))
        if not frames:
            return empty_rows()
        frames.append(calibration_fold_rows(preds, ctx))
        return pd.concat([f for f in frames if len(f)], ignore_index=True)[FOLD_ROW_COLUMNS]

    def per_signature(self, preds: Predictions, ctx: ScoreContext) -> dict[str, pd.DataFrame]:
        """Per-signature metrics of every scored name over every fold (rows in ``preds`` order)."""
        out: dict[str, list[pd.DataFrame]] = {}
        for fold in preds.folds:
            part = preds.fold(fold)
            reference = self._reference(part, fold)
            index = np.flatnonzero((preds.obs["fold"] == fold).to_numpy())
            for name, values in part.values.items():
                if np.isnan(values).all():
                    continue
                per = per_signature_metrics(part.y_true, values, reference=reference, top_k=self._top_k(ctx))
                out.setdefault(name, []).append(per.set_index(index))
        return {name: pd.concat(frames) for name, frames in out.items()}

    def summarize(
        self, results: pd.DataFrame, preds: Predictions, ctx: ScoreContext
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Fold means, and two-sided paired tests over signatures and over compounds of every
        model against every baseline (and against itself with shuffled inputs)."""
        summary = fold_summary(results)
        per_sig = self.per_signature(preds, ctx)
        best = self.best_baseline(summary, ctx)
        extra, tests = calibration_summary(summary, preds, ctx, best_baseline=best)
        if len(extra):
            summary = pd.concat([summary, extra[summary.columns]], ignore_index=True)
        compounds = preds.obs[ctx.kind].astype(str)
        rows: list[dict[str, Any]] = []
        for model in [m for m in ctx.models if m in per_sig]:
            refs = [r for r in ctx.baselines if r != model and r in per_sig]
            ablated = [n for n in per_sig if n.startswith(f"{model}{ABLATION_SEP}")]
            for ref in [*refs, *ablated]:
                for metric in TEST_METRICS:
                    hib = metric not in LOWER_IS_BETTER_EXPR
                    a, b = per_sig[model][metric], per_sig[ref][metric]
                    for over in ("signature", ctx.kind):
                        if over != "signature":
                            a = a.groupby(compounds.iloc[a.index].to_numpy()).mean()
                            b = b.groupby(compounds.iloc[b.index].to_numpy()).mean()
                        test = paired_wilcoxon(a, b, alternative="two-sided", higher_is_better=hib)
                        rows.append(
                            {
                                "model": model,
                                "reference": ref,
                                "metric": metric,
                                "over": over,
                                "alternative": "two-sided",
                                "is_best_baseline": ref == best,
                                **test,
                            }
                        )
        return summary, stats_frame([*rows, *tests])

    def report_note(self, ctx: ScoreContext, best_baseline: str | None) -> str:
        return (
            "Each signature is scored across its genes, then scores are averaged over signatures. Plain Pearson "
            "rewards predicting the average response of all compounds; delta_pearson correlates truth and "
            "prediction after subtracting the fold's training mean signature, so it credits only what is specific "
            f"to the compound, cell line, dose and time. Models are compared with the best baseline "
            f"({best_baseline or 'n/a'}) by two-sided Wilcoxon tests over signatures and compounds "
            "(median_diff > 0: the model is better)."
        )

    def report_sections(self, res: Results, ctx: ScoreContext) -> list[Section]:
        from cellresponse.plotting import plot_dose_response, plot_model_comparison, plot_signature_heatmap

        sections = []
        per_fold = res.results[res.results["group_by"] == "all"]
        if len(res.ablation):
            drops = res.ablation[res.ablation["metric"].isin(["pearson", "delta_pearson"])]
            view = drops.pivot_table(index="model", columns=["metric", "ablation"], values="drop", sort=False)
            view.columns = [f"{m} drop ({a})" for m, a in view.columns]
            sections.append(
                Section(
                    "Shuffle ablation",
                    "Each model scored again with the compound replaced by another valid compound (shuffle_drug) "
                    "or dose and time replaced by another observed pair (shuffle_dose_time). A model that uses the "
                    "drug should drop; a drop near zero means the input is ignored.",
                    figures=[plot_model_comparison(per_fold)],
                    tables=[Table(view, highlight=ctx.baselines)],
                )
            )
        board = res.leaderboard
        fitted = [m for m in board.index if m in ctx.models and m not in ctx.baselines]
        show = fitted[0] if fitted else (board.index[0] if len(board) else None)
        preds = res.predictions
        if show is None or show not in preds.values:
            return sections
        obs = preds.obs.rename(columns={ctx.kind: "perturbation"})
        genes = list(preds.target_names or [f"g{i}" for i in range(preds.y_true.shape[1])])
        doses = obs["dose"] if "dose" in obs.columns else pd.Series(np.nan, index=obs.index)
        labels = [f"{c} @ {d:g}" for c, d in zip(obs["perturbation"], doses, strict=True)]
        figs = [plot_signature_heatmap(preds.y_true, preds.values[show], gene_names=genes, row_labels=labels)]
        sections.append(Section(f"Predicted vs observed top genes ({show})", figures=figs))
        curves = res.extras("dose_curves").get(show)
        if curves is not None and "dose" in obs.columns and len(curves):
            curves = curves.astype({"compound": str, "gene": str})
            compounds = list(pd.unique(curves["compound"]))
            figs = [
                plot_dose_response(obs, preds.y_true, gene=g, gene_names=genes, compounds=compounds, curves=curves)
                for g in list(pd.unique(curves["gene"]))[:3]
            ]
            sections.append(Section(f"Dose-response of chosen genes ({show})", figures=figs))
        return sections


__all__ = ["EXPRESSION_BASELINES", "ExpressionTask", "dose_curves"]
