"""``cellresponse de``: differential expression from a count/expression matrix + sample table.

Writes to ``--out``: ``de_results.csv`` (common DE schema), ``plots/`` (volcano, MA,
PCA, heatmap as PNG and SVG), ``report.html`` (self-contained) and ``run.json``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cellresponse.cli._analysis_io import write_run_json

METHODS = ("deseq2", "welch", "mannwhitney")


@dataclass
class DEConfig:
    """Resolved settings of one ``cellresponse de`` run (TOML keys = field names)."""

    counts: str = ""
    samples: str | None = None
    sample_column: str | None = None
    strip_suffix: str | None = None
    genes_in_rows: bool = True
    method: str = "deseq2"
    design: str | None = None
    contrast: list[str] | None = None
    pair_by: str | None = None
    log_scale: bool = True
    min_count: int = 10
    min_samples: int | None = None
    alpha: float = 0.1
    shrink: bool = True
    n_cpus: int = 1
    formats: list[str] | None = None
    out: str = "results/de"


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
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> DEConfig:
    """Merge ``--config`` and flags into a :class:`DEConfig`, checking what is required."""
    from cellresponse.cli._analysis_io import split_list
    from cellresponse.config import load_config

    cfg = load_config(
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
    if not cfg.counts:
        raise ValueError("--counts is required (a matrix file or .h5ad)")
    if cfg.method not in METHODS:
        raise ValueError(f"--method must be one of {METHODS}, got {cfg.method!r}")
    if cfg.contrast is None or len(cfg.contrast) != 3:
        raise ValueError(f"--contrast must be FACTOR,TEST,REFERENCE (3 items), got {cfg.contrast!r}")
    if cfg.design is None:
        cfg.design = f"~ {cfg.contrast[0]}"
    if cfg.pair_by is not None and cfg.method == "deseq2":
        raise ValueError(
            "--pair-by is for welch/mannwhitney; for deseq2 put the pairing column in "
            f"--design, e.g. '~ {cfg.pair_by} + {cfg.contrast[0]}'"
        )
    cfg.formats = cfg.formats or ["png", "svg"]
    return cfg


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    result, n_before = run_de(cfg)
    s = result.summary(alpha=cfg.alpha)
    print(
        f"cellresponse de: {s['method']} {cfg.design} {s['contrast'][1]} vs {s['contrast'][2]}: "
        f"{s['n_tested']} genes tested ({n_before} before filtering), "
        f"{s['n_significant']} at padj < {cfg.alpha} ({s['n_up']} up, {s['n_down']} down); "
        f"results in {cfg.out}/"
    )
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def run_de(cfg: DEConfig) -> tuple[Any, int]:
    """Run one DE analysis from a config and write every output; return (result, n_genes)."""
    from cellresponse.de import (
        align_samples,
        check_groups,
        deseq2,
        filter_low_counts,
        two_group_test,
    )
    from cellresponse.io._counts import read_count_data

    if cfg.contrast is None or cfg.design is None:
        raise ValueError("contrast and design must be resolved (use config_from_args)")
    factor, test_level, ref_level = cfg.contrast
    counts, samples = read_count_data(
        cfg.counts,
        cfg.samples,
        genes_in_rows=cfg.genes_in_rows,
        sample_column=cfg.sample_column,
        strip_suffix=cfg.strip_suffix,
    )
    counts, samples = align_samples(counts, samples)
    groups = check_groups(samples, factor=factor, test_level=test_level, reference_level=ref_level)
    n_before = counts.shape[1]
    notes: list[str] = []
    if cfg.method == "deseq2":
        min_samples = cfg.min_samples or int(groups.value_counts()[[test_level, ref_level]].min())
        counts = filter_low_counts(counts, min_count=cfg.min_count, min_samples=min_samples)
        notes.append(
            f"kept {counts.shape[1]} of {n_before} genes with >= {cfg.min_count} counts in >= {min_samples} samples"
        )
        result = deseq2(
            counts,
            samples,
            design=cfg.design,
            contrast=(factor, test_level, ref_level),
            shrink=cfg.shrink,
            alpha=cfg.alpha,
            n_cpus=cfg.n_cpus,
        )
    else:
        result = two_group_test(
            counts,
            samples,
            contrast=(factor, test_level, ref_level),
            method=cfg.method,  # type: ignore[arg-type]
            log_scale=cfg.log_scale,
            pair_by=cfg.pair_by,
        )
    write_de_outputs(result, samples=samples, cfg=cfg, extra_notes=notes)
    return result, n_before


def write_de_outputs(result: Any, *, samples: Any, cfg: DEConfig, extra_notes: list[str]) -> None:
    """Write the results table, plots, report and run.json for a DE result."""
    from cellresponse.plotting import figure_to_base64_png, save_figure
    from cellresponse.plotting._de import heatmap_top_genes, ma_plot, pca_samples, volcano
    from cellresponse.report._analysis import render_de_report

    out = Path(cfg.out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out / "de_results.csv", index=False)
    factor = result.contrast[0]
    labels = samples[factor].astype(str).rename(factor)
    figs = {
        "volcano": volcano(result.table, alpha=cfg.alpha),
        "ma": ma_plot(result.table, alpha=cfg.alpha),
        "pca": pca_samples(result.log_expression, labels),
        "heatmap": heatmap_top_genes(result.log_expression, result.table, labels),
    }
    embedded = {}
    for name, fig in figs.items():
        save_figure(fig, out / "plots" / name, formats=cfg.formats or ("png", "svg"))
        embedded[name] = figure_to_base64_png(fig)
    inputs = [cfg.counts, cfg.samples]
    top = result.table.head(50)
    html = render_de_report(
        title=f"Differential expression: {result.contrast[1]} vs {result.contrast[2]}",
        summary=result.summary(alpha=cfg.alpha),
        figures=embedded,
        tables={"Top 50 genes by p-value": top},
        notes=[*extra_notes, *result.notes],
        run_info={"counts": cfg.counts, "samples": cfg.samples, "design": result.design},
    )
    (out / "report.html").write_text(html)
    write_run_json(
        out,
        command="de",
        config=cfg,
        inputs=inputs,
        extra={
            "summary": result.summary(alpha=cfg.alpha),
            "notes": [*extra_notes, *result.notes],
            "backend_params": result.params,
        },
    )
