"""``cellresponse biomarkers``: which features go with response to each drug.

Input: gdsctools' files (``--ic50`` IC50 matrix, ``--features`` genomic features with
``TISSUE_FACTOR`` and ``MSI_FACTOR``, ``--drug-decode`` names) or a registered dataset and
one of its cell-line views (``--dataset gdsc2 --view expression``). Parses flags into a
:class:`cellresponse.pipeline.BiomarkerConfig` and runs
:func:`cellresponse.pipeline.run_biomarkers`, which writes to ``--out``:
``associations.csv.gz``, ``skipped.csv``, ``covariates.csv``, ``points.csv``, ``plots/``
(volcano, box plots), ``report.html`` and ``run.json``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cellresponse.cli._args import split_list

if TYPE_CHECKING:
    from cellresponse.pipeline import BiomarkerConfig


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "biomarkers",
        help="drug x feature associations with tissue/MSI covariates (gdsctools-style ANOVA), volcano and report",
        description=(
            "Test every drug against every feature (response ~ tissue + MSI + feature), pan-cancer and per "
            "tissue, with effect sizes, p-values and FDR over all tests."
        ),
    )
    p.add_argument("--config", help="TOML file with BiomarkerConfig keys; flags override it")
    p.add_argument("--ic50", help="gdsctools IC50 matrix (COSMIC_ID x Drug_<id>_IC50)")
    p.add_argument("--features", help="gdsctools genomic features (COSMIC_ID, TISSUE_FACTOR, MSI_FACTOR, ...)")
    p.add_argument("--drug-decode", help="DRUG_ID,DRUG_NAME table labelling the drugs")
    p.add_argument("--dataset", help="a registered response dataset instead of files (see `cellresponse data list`)")
    p.add_argument("--target", help="target of --dataset (default: its first)")
    p.add_argument("--view", help="cell-line view of --dataset whose features are tested, e.g. expression")
    p.add_argument("--msi-feature", help="feature column holding MSI status (default MSI_FACTOR)")
    p.add_argument("--min-group", type=int, help="lines with and without a binary feature (default 3)")
    p.add_argument("--min-msi", type=int, help="lines per MSI level for MSI to be a covariate (default 2)")
    p.add_argument("--min-measurements", type=int, help="measured lines a drug needs (default 6)")
    p.add_argument("--no-tissue", action="store_true", help="no tissue covariate")
    p.add_argument("--no-msi", action="store_true", help="no MSI covariate")
    p.add_argument("--per-tissue", action="store_true", help="also test within each tissue")
    p.add_argument("--tissues", help="comma-separated tissues for --per-tissue (default: all)")
    p.add_argument("--fdr", type=float, help="FDR level of summaries and plots (default 0.05)")
    p.add_argument("--n-boxplots", type=int, help="top associations drawn as box plots (default 6)")
    p.add_argument("--highlight", help="comma-separated DRUG:FEATURE pairs to list with rank and FDR")
    p.add_argument("--out", help="output directory (default results/biomarkers)")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> BiomarkerConfig:
    """Merge ``--config`` and flags into a :class:`BiomarkerConfig` (checked when it runs)."""
    from cellresponse.config import load_config
    from cellresponse.pipeline import BiomarkerConfig

    return load_config(
        BiomarkerConfig,
        args.config,
        {
            "ic50": args.ic50,
            "features": args.features,
            "drug_decode": args.drug_decode,
            "dataset": args.dataset,
            "target": args.target,
            "view": args.view,
            "msi_feature": args.msi_feature,
            "min_group": args.min_group,
            "min_msi": args.min_msi,
            "min_measurements": args.min_measurements,
            "tissue_covariate": False if args.no_tissue else None,
            "msi_covariate": False if args.no_msi else None,
            "per_tissue": True if args.per_tissue else None,
            "tissues": split_list(args.tissues),
            "fdr": args.fdr,
            "n_boxplots": args.n_boxplots,
            "highlight": split_list(args.highlight),
            "out": args.out,
        },
    )


def run(args: argparse.Namespace) -> int:
    from cellresponse.pipeline import run_biomarkers

    cfg = config_from_args(args)
    result = run_biomarkers(cfg)
    s = result.summary(fdr=cfg.fdr)
    skipped = ", ".join(f"{k} {v}" for k, v in s["skipped_tests"].items()) or "none"
    print(
        f"cellresponse biomarkers: {s['n_tests']} tests ({s['n_drugs']} drugs x {s['n_features']} features, "
        f"scopes {', '.join(s['scopes']) or 'none'}); {s['n_significant_pancan']} pan-cancer associations at "
        f"FDR < {cfg.fdr:g}; tests not run: {skipped}; results in {cfg.out}/ (report.html)"
    )
    top = result.table[result.table["scope"] == "pancan"].head(10)
    if len(top):
        print(top[["drug", "feature", "n", "effect", "pvalue", "fdr"]].to_string(index=False))
    return 0
