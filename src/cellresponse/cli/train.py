"""``cellresponse train``: fit one model on a whole dataset and save it as a servable bundle (no pickle)."""

from __future__ import annotations

import argparse
from typing import Any

from cellresponse.cli._args import add_output_flags, existing, fraction, int_at_least, seed
from cellresponse.cli._errors import note_output


def add_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="fit a model on a dataset and save it to a directory")
    p.add_argument("--dataset", default="gdsc2")
    p.add_argument("--target")
    p.add_argument("--model", required=True, help="registered model name")
    p.add_argument("--param", action="append", metavar="PARAM=VALUE", help="hyperparameter")
    p.add_argument(
        "--valid-fraction",
        type=fraction,
        default=0.1,
        help="fraction of groups (cell lines; compounds for expression) held out for early stopping",
    )
    p.add_argument("--seed", type=seed, default=0, help="seed of the model and of the validation holdout")
    p.add_argument(
        "--cv-folds",
        type=int_at_least(0),
        default=3,
        help="cross-validate the model beside the task's naive baselines on this many group folds first "
        "(scores go into the bundle; 0 skips)",
    )
    p.add_argument("--name", help="the bundle's served name (default: the --out folder's name)")
    p.add_argument("--out", required=True, help="model directory (a bundle: cellresponse serve --model DIR)")
    add_output_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cellresponse import pipeline
    from cellresponse.config import parse_param_overrides
    from cellresponse.datasets import load_dataset
    from cellresponse.evaluate import seeded_params
    from cellresponse.models import check_model_params
    from cellresponse.results import prepare_output_dir

    params = parse_param_overrides([f"{args.model}.{p}" for p in args.param or []]).get(args.model, {})
    check_model_params(args.model, seeded_params(args.model, params, args.seed))  # before the data is loaded
    note_output(args.out)
    # the model directory is checked and locked before the dataset is loaded or anything fitted
    with prepare_output_dir(
        args.out, existing=existing(args), owned=pipeline.MODEL_FILES, what="model directory"
    ):  # fmt: skip
        data = load_dataset(args.dataset, target=args.target)
        pipeline.train(
            data,
            model=args.model,
            out=args.out,
            params=params,
            valid_fraction=args.valid_fraction,
            seed=args.seed,
            cv_folds=args.cv_folds,
            bundle_extras={"name": args.name} if args.name else None,
        )
    print(f"cellresponse train: {args.model} fitted on {len(data)} {args.dataset} pairs; saved to {args.out}")
    bundle = pipeline.read_bundle(args.out)
    scores = bundle.info.get("scores")
    if scores:
        primary = scores["primary_metric"]
        shown = ", ".join(
            f"{row['model']} {row[primary]:.3f}" for row in scores["table"] if row.get(primary) is not None
        )
        print(f"cellresponse train: {scores['method']}; {primary}: {shown}")
    return 0
