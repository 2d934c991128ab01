"""``cellresponse enrich``: GO-BP over-representation of a gene list.

The gene list comes from a text file (one gene per line) or a DE result table
(``--de-results de_results.csv --alpha 0.1``: genes with ``padj < alpha``, optionally
only up/down; the universe then defaults to all tested genes). Writes ``enrichment.csv``,
``plots/dotplot.{png,svg}`` and ``run.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cellresponse.cli._analysis_io import write_run_json


@dataclass
class EnrichConfig:
    """Resolved settings of one ``cellresponse enrich`` run."""

    genes: str | None = None
    de_results: str | None = None
    alpha: float = 0.1
    direction: str = "both"
    universe: str | None = None
    gene_map: str | None = None
    min_size: int = 5
    max_size: int = 500
    exclude_evidence: list[str] | None = None
    out: str = "results/enrich"


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
    p.set_defaults(func=run)


def _read_list(path: str) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"gene list {p} does not exist")
    return [line.strip() for line in p.read_text().splitlines() if line.strip()]


def run(args: argparse.Namespace) -> int:
    from cellresponse.cli._analysis_io import split_list
    from cellresponse.config import load_config

    cfg = load_config(
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
    table = run_enrich(cfg)
    sig = int((table["padj"] < 0.05).sum())
    print(f"cellresponse enrich: {len(table)} terms tested, {sig} at padj < 0.05; "
          f"results in {cfg.out}/")  # fmt: skip
    cols = ["go_id", "term", "overlap", "term_size", "fold_enrichment", "padj"]
    print(table[cols].head(10).to_string(index=False))
    return 0


def run_enrich(cfg: EnrichConfig) -> Any:
    """Run GO enrichment for a config and write the outputs; return the table."""
    import pandas as pd

    from cellresponse.enrich import go_enrichment
    from cellresponse.ontology import load_go_bp
    from cellresponse.plotting import figure_to_base64_png, save_figure
    from cellresponse.plotting._enrich import enrichment_dotplot

    if (cfg.genes is None) == (cfg.de_results is None):
        raise ValueError("give exactly one of --genes and --de-results")
    mapping: dict[str, str] | None = None
    if cfg.gene_map is not None:
        gm = pd.read_csv(cfg.gene_map, dtype=str)
        if not {"id", "symbol"} <= set(gm.columns):
            raise ValueError(f"--gene-map {cfg.gene_map} needs columns id,symbol")
        mapping = dict(zip(gm["id"], gm["symbol"], strict=True))
    universe: list[str] | None = None
    if cfg.genes is not None:
        genes = _read_list(cfg.genes)
    else:
        de = pd.read_csv(cfg.de_results, dtype={"gene": str})
        for col in ("gene", "padj", "log2fc"):
            if col not in de.columns:
                raise ValueError(f"--de-results {cfg.de_results} lacks column {col!r}")
        sel = de["padj"] < cfg.alpha
        if cfg.direction == "up":
            sel &= de["log2fc"] > 0
        elif cfg.direction == "down":
            sel &= de["log2fc"] < 0
        genes = de.loc[sel, "gene"].tolist()
        universe = de.loc[de["pvalue"].notna(), "gene"].tolist()
    if mapping is not None:
        genes = [mapping[g] for g in genes if g in mapping]
        universe = [mapping[g] for g in universe if g in mapping] if universe else None
    if cfg.universe is not None:
        universe = _read_list(cfg.universe)
    go = load_go_bp(exclude_evidence=cfg.exclude_evidence or ())
    table = go_enrichment(genes, go, universe=universe, min_size=cfg.min_size, max_size=cfg.max_size)
    out = Path(cfg.out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "enrichment.csv", index=False)
    fig = enrichment_dotplot(table)
    save_figure(fig, out / "plots" / "dotplot")
    figure_to_base64_png(fig)  # closes the figure
    write_run_json(
        out,
        command="enrich",
        config=cfg,
        inputs=[cfg.genes, cfg.de_results, cfg.universe, cfg.gene_map],
        extra={"n_query_genes": len(genes), "n_terms_tested": len(table)},
    )
    return table
