"""Benchmark runner for the expression task, with the drug / dose-time shuffle ablation.

Writes to ``out``:

- ``results.csv``: long table ``model, fold, metric, group_by, group, value``
  (``group_by="all"`` overall; ``"compound"``, ``"cell_line"`` per group). Ablated runs
  appear as model ``"<name>|shuffle_drug"`` / ``"<name>|shuffle_dose_time"``;
  ``fit_seconds`` rows give training time.
- ``tests.csv``: paired two-sided Wilcoxon tests of every model against the best
  baseline, over signatures and over compounds.
- ``ablation.csv``: each model's overall metrics intact vs. shuffled, and the drop.
- ``predictions/``: ``obs.csv`` (tested rows with fold), ``y_true.npy`` and one
  ``<model>.npy`` per model (rows in ``obs.csv`` order; plain ``.npy``, no pickle).
- ``config.json``: resolved config, package version, dataset fingerprint/summary,
  split description and hash.
- ``report.html``: built by :func:`cellresponse.report.build_expression_report`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.data import Dataset
from cellresponse.evaluate._expression_metrics import (
    LOWER_IS_BETTER_EXPR,
    TOP_K,
    paired_test,
    per_signature_metrics,
    score_expression,
)
from cellresponse.models.base import ResponseModel
from cellresponse.models.registry import available_models, get_model_class, make_model
from cellresponse.splits import Split

RESULT_COLUMNS = ["model", "fold", "metric", "group_by", "group", "value"]
ABLATIONS = ("shuffle_drug", "shuffle_dose_time")
PRIMARY_METRIC = "pearson"
TEST_METRICS = ("pearson", "delta_pearson", "rmse")


def default_expression_baselines(dataset: Dataset) -> list[str]:
    """Registered expression baselines whose views ``dataset`` has."""
    names = []
    for name in available_models(task="expression"):
        cls: Any = get_model_class(name)
        if not getattr(cls, "is_expression_baseline", False):
            continue
        if all(v in dataset.cell_views for v in cls.cell_line_views) and all(
            v in dataset.perturbation_views for v in cls.perturbation_views
        ):
            names.append(name)
    return names


def shuffle_drug(data: Dataset, *, rng: np.random.Generator, pool: Sequence[str] | None = None) -> Dataset:
    """Give every observation a different, valid compound (a seeded derangement of the
    compounds in ``pool``, default the dataset's compounds that have every view)."""
    comps = list(pool) if pool is not None else list(pd.unique(data.perturbations))
    if len(comps) < 2:
        raise ValueError("shuffle_drug needs at least two compounds")
    perm = rng.permutation(len(comps))
    # Rotate the permuted order by one: a derangement, every compound maps elsewhere.
    mapping = {comps[perm[i]]: comps[perm[(i + 1) % len(comps)]] for i in range(len(comps))}
    obs = data.obs.copy()
    own = obs["perturbation"].to_numpy()
    new = np.array([mapping.get(c, comps[int(rng.integers(len(comps)))]) for c in own], dtype=object)
    obs["perturbation"] = new
    return _replace_obs(data, obs)


def shuffle_dose_time(data: Dataset, *, rng: np.random.Generator, pool: pd.DataFrame) -> Dataset:
    """Give every observation a (dose, time) pair drawn from ``pool`` (rows of the full
    dataset), redrawn where it equals its own."""
    cols = [c for c in ("dose", "time") if c in data.obs.columns]
    if not cols:
        raise ValueError("shuffle_dose_time needs a dose or time column")
    values = pool[cols].drop_duplicates().to_numpy(float)
    if len(values) < 2:
        raise ValueError("shuffle_dose_time needs at least two distinct (dose, time) pairs")
    own = data.obs[cols].to_numpy(float)
    pick = rng.integers(len(values), size=len(own))
    for _ in range(10):
        same = (values[pick] == own).all(axis=1)
        if not same.any():
            break
        pick[same] = rng.integers(len(values), size=int(same.sum()))
    obs = data.obs.copy()
    obs[cols] = values[pick]
    return _replace_obs(data, obs)


def _replace_obs(data: Dataset, obs: pd.DataFrame, *, y: np.ndarray | None = None) -> Dataset:
    from dataclasses import replace

    return replace(data, obs=obs, y=data.y if y is None else y)


def _instantiate(spec: str | ResponseModel, params: Mapping[str, Any], seed: int) -> tuple[str, ResponseModel]:
    from sklearn.base import clone

    if isinstance(spec, ResponseModel):
        model = clone(spec)
        name = spec.registry_name or type(spec).__name__
    else:
        name = spec
        model = make_model(spec, **dict(params.get(spec, {})))
    if "random_state" in model.get_params() and "random_state" not in params.get(name, {}):
        model.set_params(random_state=seed)
    return name, model


def _is_baseline(model: ResponseModel) -> bool:
    return bool(getattr(model, "is_expression_baseline", False) or getattr(model, "is_naive_baseline", False))


def run_expression_benchmark(
    dataset: Dataset,
    *,
    models: Sequence[str | ResponseModel],
    split: Split,
    out: PathLike,
    seed: int = 0,
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    include_baselines: bool = True,
    ablations: Sequence[str] = ABLATIONS,
    top_k: Sequence[int] = TOP_K,
    report: bool = True,
) -> pd.DataFrame:
    """Fit and score every model (and every baseline) on every fold of ``split``.

    Parameters
    ----------
    dataset
        An expression Dataset (vector target).
    models
        Registered model names (or unfitted model instances) to run.
    split
        Folds over ``dataset`` (e.g. from :func:`cellresponse.splits.make_expression_split`).
    out
        Output directory (created).
    seed
        Seeds models with a ``random_state`` and the ablation shuffles.
    model_params
        Hyperparameters per model name.
    include_baselines
        Also run every registered expression baseline the dataset supports.
    ablations
        Any of ``"shuffle_drug"``, ``"shuffle_dose_time"``: each model is scored again
        on the test fold with that input permuted (a valid but wrong compound / dose).
    top_k
        k for the top-k up/down gene precision.
    report
        Build ``report.html``.

    Returns
    -------
    pandas.DataFrame
        The results table (also written to ``results.csv``).

    Raises
    ------
    ValueError
        If the dataset is not an expression dataset, the split was made on another
        dataset, or an ablation name is unknown.
    """
    if dataset.task != "expression" or not dataset.is_vector_target:
        raise ValueError(f"dataset {dataset.name!r} is a {dataset.task!r} dataset; need an expression dataset")
    if split.dataset_fingerprint != dataset.fingerprint():
        raise ValueError(
            f"split was made on dataset {split.dataset_fingerprint}, not this one ({dataset.fingerprint()})"
        )
    unknown = [a for a in ablations if a not in ABLATIONS]
    if unknown:
        raise ValueError(f"unknown ablations {unknown}; choose from {ABLATIONS}")
    params = dict(model_params or {})
    specs: list[str | ResponseModel] = list(models)
    if include_baselines:
        names = {s if isinstance(s, str) else s.registry_name for s in specs}
        specs += [b for b in default_expression_baselines(dataset) if b not in names]
    out_dir = Path(out)
    (out_dir / "predictions").mkdir(parents=True, exist_ok=True)

    n, n_genes = dataset.y.shape
    tested = np.concatenate([f.test for f in split.folds])
    if len(np.unique(tested)) != len(tested):
        raise ValueError("test folds overlap; each observation must be tested at most once")
    row_fold = np.full(n, -1)
    for f in split.folds:
        row_fold[f.test] = f.fold
    preds: dict[str, np.ndarray] = {}
    per_sig: dict[str, pd.DataFrame] = {}
    rows: list[pd.DataFrame] = []
    baseline_names: list[str] = []
    curves: list[pd.DataFrame] = []
    curve_genes = list(np.argsort(-np.abs(dataset.y).mean(0), kind="stable")[:3])
    drug_pool = list(dataset.perturbation_view("morgan").ids) if "morgan" in dataset.perturbation_views else None
    rng_master = np.random.default_rng(seed)
    fold_rngs = {f.fold: np.random.default_rng([seed, f.fold, 7]) for f in split.folds}
    del rng_master

    for f in split.folds:
        train, test = dataset[f.train], dataset[f.test]
        valid = dataset[f.valid] if len(f.valid) else None
        reference = train.y.astype(np.float64).mean(0)
        groups = {"compound": test.perturbations, "cell_line": test.cell_lines}
        shuffled: dict[str, Dataset] = {}
        rng = fold_rngs[f.fold]
        for abl in ablations:
            try:
                shuffled[abl] = (
                    shuffle_drug(test, rng=rng, pool=drug_pool)
                    if abl == "shuffle_drug"
                    else shuffle_dose_time(test, rng=rng, pool=dataset.obs)
                )
            except ValueError:
                continue  # e.g. one (dose, time) pair only: the ablation is undefined
        for spec in specs:
            name, model = _instantiate(spec, params, seed)
            if _is_baseline(model) and name not in baseline_names:
                baseline_names.append(name)
            start = time.perf_counter()
            model.fit(train, valid=valid)
            fit_s = time.perf_counter() - start
            pred = model.predict(test)
            if f is split.folds[-1] and (not _is_baseline(model) or name == "expr_ridge"):
                curves.append(dose_curves(model, test, name=name, genes=curve_genes))
            store = preds.setdefault(name, np.full((n, n_genes), np.nan, np.float32))
            store[f.test] = pred
            sig = per_signature_metrics(test.y, pred, reference=reference, top_k=top_k)
            sig.index = f.test
            per_sig[name] = pd.concat([per_sig.get(name, pd.DataFrame()), sig])
            scored = score_expression(test.y, pred, reference=reference, groups=groups, top_k=top_k)
            rows.append(scored.assign(model=name, fold=f.fold))
            rows.append(
                pd.DataFrame(
                    [
                        {
                            "model": name,
                            "fold": f.fold,
                            "metric": "fit_seconds",
                            "group_by": "all",
                            "group": "all",
                            "value": fit_s,
                        }
                    ]
                )
            )
            for abl, data_abl in shuffled.items():
                pred_abl = model.predict(data_abl)
                scored = score_expression(test.y, pred_abl, reference=reference, top_k=top_k)
                rows.append(scored.assign(model=f"{name}|{abl}", fold=f.fold))

    results = pd.concat(rows, ignore_index=True)[RESULT_COLUMNS]
    results.to_csv(out_dir / "results.csv", index=False)
    tests = _paired_tests(per_sig, dataset, baseline_names)
    tests.to_csv(out_dir / "tests.csv", index=False)
    ablation = ablation_table(results)
    ablation.to_csv(out_dir / "ablation.csv", index=False)

    obs = dataset.obs.iloc[tested].assign(row=tested, fold=row_fold[tested])
    obs.to_csv(out_dir / "predictions" / "obs.csv", index=False)
    np.save(out_dir / "predictions" / "y_true.npy", dataset.y[tested], allow_pickle=False)
    for name, arr in preds.items():
        np.save(out_dir / "predictions" / f"{name}.npy", arr[tested], allow_pickle=False)
    if curves:
        pd.concat(curves, ignore_index=True).to_csv(out_dir / "predictions" / "dose_curves.csv", index=False)
    (out_dir / "predictions" / "genes.json").write_text(json.dumps(list(dataset.target_names or ())))

    config = _config(dataset, split, specs, params, seed, ablations, top_k, baseline_names)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2, default=str))
    if report:
        from cellresponse.report._expression import build_expression_report

        build_expression_report(out_dir)
    return results


def dose_curves(
    model: ResponseModel,
    test: Dataset,
    *,
    name: str,
    genes: Sequence[int],
    n_compounds: int = 4,
    n_doses: int = 25,
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
    data = _replace_obs(test, obs, y=np.zeros((len(obs), test.y.shape[1]), np.float32))
    pred = model.predict(data)
    names = list(test.target_names or [f"g{i}" for i in range(test.y.shape[1])])
    rows = [
        obs[[c for c in ("perturbation", "cell_line", "time", "dose") if c in obs.columns]]
        .rename(columns={"perturbation": "compound"})
        .assign(model=name, gene=names[g], value=pred[:, g])
        for g in genes
    ]
    return pd.concat(rows, ignore_index=True)


def best_baseline(results: pd.DataFrame, baselines: Sequence[str], *, metric: str = PRIMARY_METRIC) -> str | None:
    """The baseline with the best overall mean ``metric`` across folds."""
    sub = results[(results["group_by"] == "all") & (results["metric"] == metric) & results["model"].isin(baselines)]
    if sub.empty:
        return None
    means = sub.groupby("model")["value"].mean()
    return str(means.idxmin() if metric in LOWER_IS_BETTER_EXPR else means.idxmax())


def _paired_tests(per_sig: Mapping[str, pd.DataFrame], dataset: Dataset, baselines: Sequence[str]) -> pd.DataFrame:
    cols = [
        "model",
        "reference",
        "metric",
        "level",
        "n",
        "median_diff",
        "pvalue",
        "model_mean",
        "reference_mean",
    ]
    if not baselines:
        return pd.DataFrame(columns=cols)
    means = {m: float(df[PRIMARY_METRIC].mean()) for m, df in per_sig.items() if m in baselines}
    ref = max(means, key=lambda m: means[m] if np.isfinite(means[m]) else -np.inf)
    rows = []
    compounds = pd.Series(dataset.perturbations)
    for name, df in per_sig.items():
        if name == ref:
            continue
        ref_df = per_sig[ref]
        for metric in TEST_METRICS:
            hib = metric not in LOWER_IS_BETTER_EXPR
            for level in ("signature", "compound"):
                a, b = df[metric], ref_df[metric]
                if level == "compound":
                    a = a.groupby(compounds.iloc[a.index].to_numpy()).mean()
                    b = b.groupby(compounds.iloc[b.index].to_numpy()).mean()
                res = paired_test(a, b, higher_is_better=hib)
                rows.append(
                    {
                        "model": name,
                        "reference": ref,
                        "metric": metric,
                        "level": level,
                        **res,
                        "model_mean": float(a.mean()),
                        "reference_mean": float(b.mean()),
                    }
                )
    return pd.DataFrame(rows, columns=cols)


def ablation_table(results: pd.DataFrame) -> pd.DataFrame:
    """Overall metric per model: intact vs. each shuffle ablation, and the drop.

    ``drop`` is intact - shuffled for higher-is-better metrics and shuffled - intact for
    RMSE, so a positive drop always means the shuffled input hurt.
    """
    overall = results[(results["group_by"] == "all") & (results["metric"] != "fit_seconds")]
    means = overall.groupby(["model", "metric"])["value"].mean().reset_index()
    split_name = means["model"].str.split("|", n=1, expand=True)
    means["base"] = split_name[0]
    means["condition"] = split_name[1].fillna("intact") if split_name.shape[1] > 1 else "intact"
    intact = means[means["condition"] == "intact"].set_index(["base", "metric"])["value"]
    rows = []
    for base, metric, cond, val in means[["base", "metric", "condition", "value"]].itertuples(index=False):
        if cond == "intact" or (base, metric) not in intact.index:
            continue
        ref = float(intact.loc[(base, metric)])
        drop = (val - ref) if metric in LOWER_IS_BETTER_EXPR else (ref - val)
        rows.append(
            {
                "model": base,
                "condition": cond,
                "metric": metric,
                "intact": ref,
                "shuffled": float(val),
                "drop": float(drop),
            }
        )
    return pd.DataFrame(rows, columns=["model", "condition", "metric", "intact", "shuffled", "drop"])


def _config(
    dataset: Dataset,
    split: Split,
    specs: Sequence[str | ResponseModel],
    params: Mapping[str, Any],
    seed: int,
    ablations: Sequence[str],
    top_k: Sequence[int],
    baselines: Sequence[str],
) -> dict[str, Any]:
    from cellresponse import __version__
    from cellresponse.models.base import _jsonable

    models = {}
    for spec in specs:
        name, model = _instantiate(spec, params, seed)
        models[name] = _jsonable(model.get_params(deep=False))
    info = {k: v for k, v in dataset.info.items() if k != "ground_truth"}
    return {
        "task": "expression",
        "cellresponse_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "dataset": {
            **dataset.summary(),
            "fingerprint": dataset.fingerprint(),
            "info": _jsonable(info),
            "synthetic": bool(dataset.info.get("synthetic", False)),
        },
        "split": {**split.describe(), "hash": split.hash},
        "split_hash": split.hash,
        "target": dataset.target,
        "perturbation_kind": dataset.perturbation_kind,
        "primary_metric": PRIMARY_METRIC,
        "naive_baselines": [n for n in baselines if getattr(get_model_class(n), "is_naive_baseline", False)],
        "models": models,
        "baselines": list(baselines),
        "ablations": list(ablations),
        "top_k": list(top_k),
        "metrics": {
            "pearson": "per-signature Pearson across genes, mean over signatures",
            "spearman": "per-signature Spearman across genes",
            "delta_pearson": "Pearson of (y - train mean signature) vs (prediction - train mean)",
            "rmse": "per-signature RMSE across genes",
            "precision_up@k / precision_down@k": ("share of predicted top-k up/down genes in the true top-k"),
        },
    }


__all__ = [
    "ABLATIONS",
    "RESULT_COLUMNS",
    "ablation_table",
    "best_baseline",
    "default_expression_baselines",
    "dose_curves",
    "run_expression_benchmark",
    "shuffle_dose_time",
    "shuffle_drug",
]
