"""``cellresponse de``: differential expression from a count/expression matrix + sample table.

Parses flags into a :class:`cellresponse.pipeline.DEConfig` and runs
:func:`cellresponse.pipeline.run_de`, which writes to ``--out``: ``de_results.csv``
(common DE schema), ``plots/`` (volcano, MA, PCA, heatmap as PNG and SVG),
``report.html`` (self-contained) and ``run.json``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cellresponse.cli._args import add_output_flags, existing, split_list
from cellresponse.cli._errors import note_output

if TYPE_CHECKING:
    from cellresponse.pipeline import DEConfig

# The same as cellresponse.de.DE_METHODS, spelled out so that building the parser does
# not import the analysis code (a test checks the two agree).
METHODS = ("deseq2", "welch", "mannwhitney")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "de",
        help="differential expression (DESeq2, Welch t, Mann-Whitney) with plots and a report",
        description=(
            "Differential expression between two levels of a sample-table column. Raw "
            "counts: --method deseq2 (design may include covariates such as donor). "
            "Normalised/log data: --method welch or mannwhitney (optionally --pair-by)."
        ),
    )
    p.add_argument("--config", help="TOML file with DEConfig keys; flags override it")
    p.add_argument("--counts", help="matrix (CSV/TSV, genes x samples) or .h5ad")
    p.add_argument("--samples", help="sample table (CSV/TSV); optional with .h5ad")
    p.add_argument("--sample-column", help="sample-ID column of the table (default: first)")
    p.add_argument("--strip-suffix", help="suffix to strip from the table's sample IDs")
    p.add_argument("--genes-in-columns", action="store_true", help="the matrix has samples as rows")
    p.add_argument("--method", choices=METHODS, help="test (default deseq2)")
    p.add_argument("--design", help="DESeq2 formula, e.g. '~ donor + condition'")
    p.add_argument("--contrast", help="FACTOR,TEST,REFERENCE, e.g. dex,trt,untrt (log2fc>0 = up in TEST)")
    p.add_argument("--pair-by", help="column pairing samples (welch/mannwhitney only)")
    p.add_argument("--linear", action="store_true", help="welch/mannwhitney input is linear, not log2")
    p.add_argument("--min-count", type=int, help="gene filter: minimum count (default 10)")
    p.add_argument("--min-samples", type=int, help="... in at least this many samples (default: smallest group)")
    p.add_argument("--alpha", type=float, help="FDR level for summaries and plots (default 0.1)")
    p.add_argument("--no-shrink", action="store_true", help="skip apeGLM LFC shrinkage")
    p.add_argument("--n-cpus", type=int, help="worker processes for pydeseq2 (default 1)")
    p.add_argument("--formats", help="plot file formats (default png,svg)")
    p.add_argument("--out", help="output directory (default results/de)")
    add_output_flags(p)
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> DEConfig:
    """Merge ``--config`` and flags into a :class:`DEConfig` (checked when it runs)."""
    from cellresponse.config import load_config
    from cellresponse.pipeline import DEConfig

    return load_config(
        DEConfig,
        args.config,
        {
            "counts": args.counts,
            "samples": args.samples,
            "sample_column": args.sample_column,
            "strip_suffix": args.strip_suffix,
            "genes_in_rows": False if args.genes_in_columns else None,
            "method": args.method,
            "design": args.design,
            "contrast": split_list(args.contrast),
            "pair_by": args.pair_by,
            "log_scale": False if args.linear else None,
            "min_count": args.min_count,
            "min_samples": args.min_samples,
            "alpha": args.alpha,
            "shrink": False if args.no_shrink else None,
            "n_cpus": args.n_cpus,
            "formats": split_list(args.formats),
            "out": args.out,
        },
    )


def run(args: argparse.Namespace) -> int:
    from cellresponse.pipeline import run_de

    cfg = config_from_args(args)
    note_output(cfg.out)
    analysis = run_de(cfg, existing=existing(args))
    s, settings = analysis.summary(), analysis.settings
    print(
        f"cellresponse de: {s['method']} {settings.formula} {s['contrast'][1]} vs {s['contrast'][2]}: "
        f"{s['n_tested']} genes tested ({analysis.n_genes_before} before filtering), "
        f"{s['n_significant']} at padj < {settings.alpha} ({s['n_up']} up, {s['n_down']} down); "
        f"results in {cfg.out}/"
    )
    for note in analysis.result.notes:
        print(f"  note: {note}")
    return 0
