"""Library functions for benchmarks beyond one dataset and one seed.

- :func:`benchmark_seeds`: one benchmark repeated over split seeds (``--seeds 0,1,2``),
  each run a results directory of its own, with the spread of every figure;
- :func:`compare_runs`: models ranked across several results directories (datasets) by
  the Friedman test and the Nemenyi critical difference;
- :func:`randomization_test`: the training-time randomization test (each input permuted
  across entities in the whole dataset, every model refit).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellresponse._types import PathLike
from cellresponse.config import BenchmarkConfig
from cellresponse.data import Dataset
from cellresponse.results import (
    Existing,
    RunSet,
    atomic_write_bytes,
    group_spread,
    read_results,
    read_run_set,
    run_figures,
    spread,
    write_run_set,
)


def _rank_table(blocks: pd.DataFrame, *, title: str, highlight: Sequence[str]) -> tuple[pd.DataFrame, str | None]:
    """Friedman / Nemenyi ranks of ``blocks`` (rows x models) and the CD diagram as base64."""
    from cellresponse.metrics import friedman_nemenyi
    from cellresponse.plotting import critical_difference, figure_to_base64_png

    models = [c for c in blocks.columns if blocks[c].notna().any()]
    if len(models) < 2:
        return pd.DataFrame(columns=["model", "rank"]), None
    comp = friedman_nemenyi(blocks[models])
    table = comp.ranks.rename("rank").rename_axis("model").reset_index()
    table = table.assign(n_blocks=comp.n_blocks, cd=comp.cd, friedman_statistic=comp.statistic,
                         friedman_pvalue=comp.pvalue)  # fmt: skip
    if comp.n_blocks < 2:
        return table, None
    fig = critical_difference(comp.ranks, cd=comp.cd, title=f"{title} (Friedman p = {comp.pvalue:.2g})",
                              highlight=highlight)  # fmt: skip
    return table, figure_to_base64_png(fig)


def _write_report(out: Path, *, title: str, description: str, runs: list[dict[str, Any]], tables: dict, fig) -> None:
    from cellresponse.report import render_analysis_report

    html = render_analysis_report(
        "runs",
        title=title,
        summary={"description": description, "runs": runs},
        figures={"critical difference": fig} if fig else {},
        tables=tables,
    )
    atomic_write_bytes(out / "report.html", html.encode("utf-8"))


def benchmark_seeds(cfg: BenchmarkConfig, *, data: Dataset | None = None, existing: Existing = "refuse") -> RunSet:
    """Repeat the benchmark of ``cfg`` for every seed of ``cfg.seeds`` and report the spread.

    Each seed's run is a complete results directory ``<out>/seed_<k>/`` (split, inner
    validation parts, ablation shuffles and model seeds all follow the seed). ``<out>``
    gets the set-of-runs layout (:mod:`cellresponse.results`): every across-fold figure
    of every run, its mean / sd / min / max over seeds, the per-drug spread, and the
    models' average ranks over drugs (per-drug Pearson averaged over seeds). ``existing``
    applies to each seed's directory (``"refuse"``, ``"overwrite"`` or ``"resume"``).

    Raises
    ------
    ValueError
        If ``cfg.seeds`` is empty or repeats a seed.
    """
    from cellresponse.pipeline._benchmark import benchmark, load_for_config

    seeds = [int(s) for s in (cfg.seeds or [])]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds must list distinct integers, got {cfg.seeds!r}")
    out = Path(cfg.out)
    data = load_for_config(cfg) if data is None else data
    runs, results = [], []
    for seed in seeds:
        label = f"seed_{seed}"
        run_cfg = dataclasses.replace(cfg, seed=seed, seeds=None, out=str(out / label))
        benchmark(run_cfg, data=data, existing=existing)
        runs.append({"label": label, "path": label, "seed": seed})
        results.append(read_results(out / label))
    return _summarize_runs(out, kind="seeds", runs=runs, results=results, config=cfg.to_dict())


def _summarize_runs(
    out: Path, *, kind: str, runs: list[dict[str, Any]], results: list, config: dict[str, Any]
) -> RunSet:
    figures = pd.concat([run_figures(r, e["label"]) for r, e in zip(results, runs, strict=True)], ignore_index=True)
    first = results[0].config
    kind_name = str(first["perturbation_kind"])
    models = list(first["models"])
    baselines = list(first["baselines"])
    spreads = spread(figures)
    groups = group_spread(results, metric="pearson", group_by=kind_name)
    if kind == "seeds":  # blocks: the groups (drugs), scores averaged over seeds
        long = pd.concat([r.summary[(r.summary["group_by"] == kind_name) & (r.summary["metric"] == "pearson")]
                          for r in results])  # fmt: skip
        blocks = long.groupby(["group", "model"])["value"].mean().unstack("model")
        title = f"mean rank over {kind_name}s (per-{kind_name} Pearson averaged over seeds)"
    else:  # blocks: the runs (datasets), the primary metric of each
        primary = str(first["primary_metric"])
        blocks = figures[figures["metric"] == primary].pivot_table(index="run", columns="model", values="value")
        title = f"mean rank over runs ({primary})"
    blocks = blocks[[m for m in models if m in blocks.columns]]
    ranks, fig = _rank_table(blocks, title=title, highlight=baselines)
    tables = {"runs": figures, "spread": spreads, "group_spread": groups, "ranks": ranks}
    write_run_set(out, kind=kind, runs=runs, tables=tables, config=config)
    primary = str(first["primary_metric"])
    shown = spreads[spreads["metric"].isin([primary, "normalized_pearson", "pearson", "rmse"])]
    _write_report(
        out,
        title=f"{len(runs)} runs ({kind})",
        description=(
            f"{len(runs)} benchmark runs ({kind}); every figure's mean, sd, min and max over runs are in "
            "spread.csv, each run's own report is linked below."
        ),
        runs=runs,
        tables={"spread of the headline figures": shown, "per-group spread": groups, "average ranks": ranks},
        fig=fig,
    )
    return read_run_set(out)


def compare_runs(runs: Mapping[str, PathLike], *, out: PathLike) -> RunSet:
    """Rank the models common to several results directories (e.g. one per dataset) by
    their primary metric: Friedman test over the runs, Nemenyi critical difference.

    Parameters
    ----------
    runs
        ``{label: results directory}``; at least two, with at least two models in common.
    out
        Folder of the set-of-runs layout (the runs stay where they are).

    Raises
    ------
    ValueError
        For fewer than two runs, or runs of different tasks.
    """
    if len(runs) < 2:
        raise ValueError(f"compare_runs needs at least two results directories, got {list(runs)}")
    results = [read_results(p) for p in runs.values()]
    tasks = {r.task for r in results}
    if len(tasks) > 1:
        raise ValueError(f"runs of different tasks cannot be ranked together: {sorted(tasks)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = [{"label": k, "path": str(Path(p).resolve())} for k, p in runs.items()]
    common = set.intersection(*(set(r.config["models"]) for r in results))
    for r in results:
        r.config["models"] = [m for m in r.config["models"] if m in common]
    return _summarize_runs(out, kind="comparison", runs=entries, results=results, config={"runs": dict(runs)})


def randomization_test(
    data: Dataset,
    *,
    models: Sequence[str],
    split: Any,
    out: PathLike,
    inputs: Sequence[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Training-time randomization: for each input, permute it across entities in the whole
    dataset (training, validation and test rows alike), refit every model and compare its
    per-drug Pearson with the intact run by a one-sided paired Wilcoxon test over drugs.

    The intact run (``<out>/intact``) also scores the test-time permutations, so the
    table has both: ``mode`` is ``test`` (model fitted on intact inputs, scored with the
    input permuted) or ``train`` (fitted and scored on permuted inputs: can the model
    learn anything from the input at all?).

    Returns
    -------
    pandas.DataFrame
        ``model, input, mode, intact, permuted, drop, n, pvalue``; also written to
        ``<out>/randomization.csv``.
    """
    from cellresponse.evaluate import RunOptions, run_benchmark
    from cellresponse.metrics import paired_wilcoxon
    from cellresponse.tasks import PERMUTABLE, per_group_table, permute_input

    inputs = list(PERMUTABLE if inputs is None else inputs)
    out = Path(out)
    quiet = RunOptions(include_baselines=False, progress=False, ablations=[f"permute_{w}" for w in inputs])
    intact = run_benchmark(data, models=models, split=split, out=out / "intact", seed=seed, options=quiet)
    kind = data.perturbation_kind
    base = per_group_table(intact.summary, metric="pearson", group_by=kind)
    rows = []
    for what in inputs:
        for model in models:
            name = f"{model}|permute_{what}"
            if name in base.columns:
                rows.append({"model": model, "input": what, "mode": "test",
                             **_compare(base[model], base[name], paired_wilcoxon)})  # fmt: skip
    for i, what in enumerate(inputs):
        try:
            permuted = permute_input(data, what, rng=np.random.default_rng([seed, 1000 + i]))
        except ValueError:  # the dataset lacks this input
            continue
        res = run_benchmark(permuted, models=models, split=split, out=out / f"train_{what}", seed=seed,
                            options=dataclasses.replace(quiet, ablations=()))  # fmt: skip
        table = per_group_table(res.summary, metric="pearson", group_by=kind)
        for model in models:
            if model in table.columns and model in base.columns:
                rows.append({"model": model, "input": what, "mode": "train",
                             **_compare(base[model], table[model], paired_wilcoxon)})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["model", "input", "mode", "intact", "permuted", "drop", "n", "pvalue"])
    atomic_write_bytes(out / "randomization.csv", frame.to_csv(index=False, float_format="%.6g").encode())
    return frame


def _compare(intact: pd.Series, permuted: pd.Series, test: Any) -> dict[str, float]:
    res = test(intact, permuted)
    return {
        "intact": res["model_mean"],
        "permuted": res["reference_mean"],
        "drop": res["model_mean"] - res["reference_mean"],
        "n": res["n"],
        "pvalue": res["pvalue"],
    }


__all__ = ["benchmark_seeds", "compare_runs", "randomization_test"]
