"""``cellresponse benchmark``: dataset x split x models x folds -> results + report, any task."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from cellresponse.cli._args import add_output_flags, existing, fraction, int_at_least, seed, split_list
from cellresponse.cli._errors import note_output
from cellresponse.config import BenchmarkConfig, load_config, parse_param_overrides
from cellresponse.errors import InputError


def _int_list(text: str, flag: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip() != ""]
    except ValueError:
        raise InputError(f"{flag} {text!r}: expected comma-separated integers, e.g. 0,1", source=flag) from None
    if not values or min(values) < 0:
        raise InputError(f"{flag} {text!r}: expected fold numbers >= 0, e.g. 0,1", source=flag)
    return values


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "benchmark",
        help="cross-validate models beside the baselines and write an HTML report (any task)",
        description="Cross-validate models beside the task's baselines on a dataset and split.",
    )
    p.add_argument("--config", help="TOML file with BenchmarkConfig keys; flags override it")
    p.add_argument("--task", help="response, expression or dependency (default: the dataset's task)")
    p.add_argument("--dataset", help="dataset name (see `cellresponse data list`); default gdsc2")
    p.add_argument("--target", help="target, e.g. ln_ic50 or auc (default: the dataset's first)")
    p.add_argument("--split", help="split mode or alias (see `cellresponse data splits`); default: the task's")
    p.add_argument("--folds", type=int_at_least(2), help="number of outer folds (default 5)")
    p.add_argument("--only-folds", help="comma-separated outer folds to run (a shard; see `cellresponse merge`)")
    p.add_argument("--seed", type=seed, help="seed of the split, the inner validation parts and every model")
    p.add_argument("--valid-fraction", type=fraction, help="inner validation fraction of training groups")
    p.add_argument("--split-file", help="CSV with key columns (cell_line, drug, tissue, dose, ...) and fold")
    p.add_argument(
        "--allow-unassigned",
        action="store_true",
        help="with --split-file: leave dataset rows that no key covers out of every fold",
    )
    p.add_argument("--models", help="comma-separated model names (see `cellresponse data models`)")
    p.add_argument("--no-baselines", action="store_true", help="do not add the task's baselines")
    p.add_argument("--cell-views", help="comma-separated cell-line views to load (default: all)")
    p.add_argument("--ablations", help="comma-separated input shuffles to score (default: the task's; 'none')")
    p.add_argument(
        "--param",
        action="append",
        metavar="MODEL.PARAM=VALUE",
        help="model hyperparameter (TOML value), e.g. leap.seeds=[0,1] or mlp_all.trainer__lr=1e-4; "
        "leap.transductive=true also learns the ensemble's representations from the "
        "test lines' omics (off by default; recorded in config.json)",
    )
    p.add_argument(
        "--min-group-size", type=int_at_least(1), help="smallest drug/gene/compound/cell-line group that is scored"
    )
    p.add_argument("--train-dataset", help="cross-study: train on this dataset (e.g. gdsc2) ...")
    p.add_argument("--test-dataset", help="... and test on this one (e.g. ctrp_v2, ccle, pdxe), on the shared drugs")
    p.add_argument("--test-target", help="cross-study: the test dataset's target (default: its first)")
    p.add_argument("--test-lines", choices=["all", "unseen"], help="cross-study: test lines (default all; scored "
                   "on all and on those unseen in training)")  # fmt: skip
    p.add_argument("--align", choices=["none", "rank", "zscore"], help="cross-study: per-sample alignment of "
                   "expression over the shared genes (default none; rank for cell line -> PDX)")  # fmt: skip
    p.add_argument("--seeds", help="comma-separated split seeds: repeat the run per seed and report the spread")
    p.add_argument(
        "--explain",
        action="store_true",
        help="record each model's top features per drug (native attributions or permutation on the test folds) "
        "in extras/<model>.attributions.csv and the report",
    )
    p.add_argument(
        "--executor",
        choices=["serial", "processes", "ray"],
        help="where the (model, fold) cells run: in this process (serial, the default), in local worker "
        "processes, or on Ray (same results on each)",
    )
    p.add_argument("--workers", type=int_at_least(1), help="worker processes, or CPUs of a local Ray (default: all)")
    p.add_argument(
        "--ray-address", help="host:port of a running Ray cluster (`ray start --head`); default: a local Ray"
    )
    p.add_argument(
        "--tune",
        action="store_true",
        help="search each model's hyperparameters in every outer fold on its inner validation part "
        "(the model's search space, or [search_space.<model>] in --config)",
    )
    p.add_argument("--tune-trials", type=int_at_least(1), help="candidates tried per model and fold (default 20)")
    p.add_argument("--out", help="results directory (default results/benchmark)")
    add_output_flags(p, resume=True)
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> BenchmarkConfig:
    ablations = None
    if args.ablations is not None:
        ablations = [] if args.ablations.strip().lower() == "none" else [a for a in args.ablations.split(",") if a]
    overrides = {
        "task": args.task,
        "dataset": args.dataset,
        "target": args.target,
        "split": args.split,
        "folds": args.folds,
        "only_folds": _int_list(args.only_folds, "--only-folds") if args.only_folds else None,
        "seed": args.seed,
        "valid_fraction": args.valid_fraction,
        "split_file": args.split_file,
        "allow_unassigned": True if args.allow_unassigned else None,
        "models": split_list(args.models) if args.models is not None else None,
        "baselines": False if args.no_baselines else None,
        "cell_views": split_list(args.cell_views) if args.cell_views is not None else None,
        "min_group_size": args.min_group_size,
        "ablations": ablations,
        "out": args.out,
        "progress": False if args.no_progress else None,
        "train_dataset": args.train_dataset,
        "test_dataset": args.test_dataset,
        "test_target": args.test_target,
        "test_lines": args.test_lines,
        "align": args.align,
        "seeds": _int_list(args.seeds, "--seeds") if args.seeds else None,
        "explain": True if args.explain else None,
        "executor": args.executor,
        "workers": args.workers,
        "ray_address": args.ray_address,
        "tune": True if args.tune else None,
        "tune_trials": args.tune_trials,
    }
    cfg = load_config(BenchmarkConfig, args.config, overrides)
    for model, params in parse_param_overrides(args.param).items():
        cfg.model_params.setdefault(model, {}).update(params)
    return cfg


def run(args: argparse.Namespace) -> int:
    from cellresponse import pipeline

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    cfg = config_from_args(args)
    note_output(cfg.out)
    if cfg.seeds:
        runs = pipeline.benchmark_seeds(cfg, existing=existing(args))
        primary = runs.spread[runs.spread["metric"].str.startswith("per_") & runs.spread["metric"].str.endswith(
            "_pearson_mean")]  # fmt: skip
        print(f"cellresponse benchmark: {len(runs.labels)} seeds; runs and spread in {cfg.out}/ (report.html)")
        print(primary.set_index(["model", "metric"]).round(4).to_string())
        return 0
    result = pipeline.benchmark(cfg, existing=existing(args))
    print(f"cellresponse benchmark: {pipeline.config_summary(cfg, result)}")
    print(result.summary_table().round(3).to_string())
    return 1 if result.failures else 0
