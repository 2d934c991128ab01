"""``cellresponse train``: fit one model on a whole dataset and save it (no pickle)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="fit a model on a dataset and save it to a directory")
    p.add_argument("--dataset", default="gdsc2")
    p.add_argument("--target")
    p.add_argument("--model", required=True, help="registered model name")
    p.add_argument("--param", action="append", metavar="PARAM=VALUE", help="hyperparameter")
    p.add_argument(
        "--valid-fraction",
        type=float,
        default=0.1,
        help="fraction of groups (cell lines; compounds for expression) held out for early stopping and to "
        "calibrate the prediction intervals (0: a model without intervals)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the model and of the validation holdout")
    p.add_argument("--out", required=True, help="model directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cellresponse import pipeline
    from cellresponse.config import parse_param_overrides
    from cellresponse.datasets import load_dataset

    params = parse_param_overrides([f"{args.model}.{p}" for p in args.param or []]).get(args.model, {})
    data = load_dataset(args.dataset, target=args.target)
    pipeline.train(
        data, model=args.model, out=args.out, params=params, valid_fraction=args.valid_fraction, seed=args.seed
    )
    print(f"cellresponse train: {args.model} fitted on {len(data)} {args.dataset} pairs; saved to {args.out}")
    print(f"cellresponse train: {pipeline.describe_calibration(args.out)}")
    return 0
