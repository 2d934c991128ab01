"""``cellresponse enrich``: GO-BP over-representation of a gene list.

The gene list comes from a text file (one gene per line) or a DE result table
(``--de-results de_results.csv --alpha 0.1``: genes with ``padj < alpha``, optionally
only up/down; the universe then defaults to all tested genes). Parses flags into a
:class:`cellresponse.pipeline.EnrichConfig` and runs
:func:`cellresponse.pipeline.run_enrich`, which writes ``enrichment.csv``,
``plots/dotplot.{png,svg}`` and ``run.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cellresponse.cli._args import add_output_flags, existing, split_list
from cellresponse.cli._errors import note_output

if TYPE_CHECKING:
    from cellresponse.pipeline import EnrichConfig


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "enrich",
        help="GO biological-process enrichment (hypergeometric, BH FDR) of a gene list",
        description="Over-representation of gene symbols in GO-BP terms, annotations propagated up is_a/part_of.",
    )
    p.add_argument("--config", help="TOML file with EnrichConfig keys; flags override it")
    p.add_argument("--genes", help="text file, one gene symbol per line")
    p.add_argument("--de-results", help="de_results.csv from `cellresponse de`")
    p.add_argument("--alpha", type=float, help="padj cut-off for --de-results (0.1)")
    p.add_argument("--direction", choices=["both", "up", "down"], help="for --de-results")
    p.add_argument("--universe", help="text file of background genes (default: see above)")
    p.add_argument(
        "--gene-map",
        help="CSV with columns id,symbol to translate DE gene IDs (e.g. Ensembl) to symbols",
    )
    p.add_argument("--min-size", type=int, help="smallest term tested (5)")
    p.add_argument("--max-size", type=int, help="largest term tested (500)")
    p.add_argument("--exclude-evidence", help="evidence codes to drop, e.g. IEA,ND")
    p.add_argument("--out", help="output directory (default results/enrich)")
    add_output_flags(p)
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> EnrichConfig:
    """Merge ``--config`` and flags into an :class:`EnrichConfig` (checked when it runs)."""
    from cellresponse.config import load_config
    from cellresponse.pipeline import EnrichConfig

    return load_config(
        EnrichConfig,
        args.config,
        {
            "genes": args.genes,
            "de_results": args.de_results,
            "alpha": args.alpha,
            "direction": args.direction,
            "universe": args.universe,
            "gene_map": args.gene_map,
            "min_size": args.min_size,
            "max_size": args.max_size,
            "exclude_evidence": split_list(args.exclude_evidence),
            "out": args.out,
        },
    )


def run(args: argparse.Namespace) -> int:
    from cellresponse.pipeline import run_enrich

    cfg = config_from_args(args)
    note_output(cfg.out)
    table = run_enrich(cfg, existing=existing(args))
    sig = int((table["padj"] < 0.05).sum())
    print(f"cellresponse enrich: {len(table)} terms tested, {sig} at padj < 0.05; "
          f"results in {cfg.out}/")  # fmt: skip
    cols = ["go_id", "term", "overlap", "term_size", "fold_enrichment", "padj"]
    print(table[cols].head(10).to_string(index=False))
    return 0
