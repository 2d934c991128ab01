"""Library functions behind ``cellresponse de``, ``explore`` and ``enrich``.

Each analysis is a config dataclass (its fields are the TOML keys of ``--config``) and a
``run_*`` function that reads the inputs the config names, computes (through
:mod:`cellresponse.de`, :mod:`cellresponse.explore`, :mod:`cellresponse.enrich`), and
writes tables, figures, an HTML report and ``run.json`` (the resolved config, package
version and input hashes) into ``config.out``. The CLI parses flags into the config,
calls the function and prints; from Python the same call gives the same outputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from cellresponse._types import PathLike
from cellresponse.de import DEAnalysis, DESettings, differential_expression
from cellresponse.enrich import DIRECTIONS, de_query, go_enrichment, translate_genes
from cellresponse.errors import InputError
from cellresponse.explore import (
    DEFAULT_MODELS,
    PRESETS,
    CVScheme,
    ExploreAnalysis,
    ExploreSettings,
    LabelledSamples,
    explore_classification,
    labelled_samples,
    preset_samples,
)
from cellresponse.io import (
    read_count_data,
    read_counts,
    read_csv_checked,
    read_gene_list,
    read_gene_map,
    read_sample_table,
)
from cellresponse.results import Existing, atomic_write_bytes, prepare_output_dir

RUN_JSON = "run.json"
#: What each analysis writes into its output directory (what --overwrite may replace).
DE_OUTPUTS = ("de_results.csv", "plots", "report.html", RUN_JSON)
EXPLORE_OUTPUTS = (
    "embedding.csv",
    "univariate.csv",
    "cv_scores.csv",
    "best_params.csv",
    "cv_summary.csv",
    "top_genes.csv",
    "permutation.json",
    "plots",
    "report.html",
    RUN_JSON,
)
ENRICH_OUTPUTS = ("enrichment.csv", "plots", RUN_JSON)


# ------------------------------------------------------------------ run record
def file_sha256(path: PathLike) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_run_json(
    out: PathLike,
    *,
    command: str,
    config: Any,
    inputs: Iterable[PathLike | None],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``out/run.json``: command, resolved config, package and Python version, and
    the SHA-256 and size of every input file (``None`` inputs are skipped)."""
    from cellresponse import __version__

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        cfg = dataclasses.asdict(config)
    else:
        cfg = dict(config)
    record = {
        "command": command,
        "cellresponse_version": __version__,
        "python": sys.version.split()[0],
        "config": cfg,
        "inputs": {
            str(Path(p).resolve()): {"sha256": file_sha256(p), "bytes": Path(p).stat().st_size}
            for p in inputs
            if p is not None
        },
    }
    if extra:
        record.update(extra)
    path = Path(out) / RUN_JSON
    atomic_write_bytes(path, (json.dumps(record, indent=2, default=str) + "\n").encode())
    return path


def _write_csv(frame: pd.DataFrame, path: Path, *, index: bool = False) -> None:
    """A table written atomically (a temporary file, then a rename)."""
    atomic_write_bytes(path, frame.to_csv(index=index).encode("utf-8"))


def _save_figures(figures: Mapping[str, Any], stems: Mapping[str, Path], *, formats: Iterable[str]) -> dict[str, str]:
    """Save each figure as ``<stem>.<fmt>``; return caption -> base64 PNG for the report.

    The figures are closed afterwards.
    """
    from cellresponse.plotting import figure_to_base64_png, save_figure

    embedded = {}
    for caption, fig in figures.items():
        save_figure(fig, stems[caption], formats=tuple(formats))
        embedded[caption] = figure_to_base64_png(fig)
    return embedded


def _check_ranges(rules: Iterable[tuple[str, Any, bool, str]]) -> None:
    """Raise for the first ``(flag, value, ok, expected)`` rule that fails."""
    for flag, value, ok, expected in rules:
        if not ok:
            raise InputError(f"{flag} must be {expected}, got {value!r}", source=flag)


# ------------------------------------------------------------------------- de
@dataclass
class DEConfig:
    """Settings of one ``cellresponse de`` run (TOML keys = field names).

    ``counts`` is a genes x samples matrix (CSV/TSV, or samples x genes with
    ``genes_in_rows=False``) or an ``.h5ad``; ``samples`` the sample table (optional with
    ``.h5ad``). ``contrast`` is ``[FACTOR, TEST, REFERENCE]``; the other analysis fields
    are those of :class:`cellresponse.de.DESettings`. Plots are written in ``formats``.
    """

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

    def settings(self) -> DESettings:
        """The analysis settings (validated: method, contrast, pairing)."""
        return DESettings(
            contrast=cast(tuple[str, str, str], tuple(self.contrast or ())),
            method=self.method,
            design=self.design,
            pair_by=self.pair_by,
            log_scale=self.log_scale,
            min_count=self.min_count,
            min_samples=self.min_samples,
            alpha=self.alpha,
            shrink=self.shrink,
            n_cpus=self.n_cpus,
        )

    def resolved(self) -> DEConfig:
        """A checked copy with the defaults that depend on other fields filled in: the
        design (``~ FACTOR``) and the plot formats (PNG and SVG).

        Raises
        ------
        ValueError
            If ``counts`` is empty or the analysis settings are invalid.
        """
        if not self.counts:
            raise InputError("counts is required (--counts: a matrix file or .h5ad)", source="--counts")
        _check_ranges(
            [
                ("--min-count", self.min_count, self.min_count >= 0, "an integer >= 0"),
                (
                    "--min-samples",
                    self.min_samples,
                    self.min_samples is None or self.min_samples >= 1,
                    "an integer >= 1",
                ),
                ("--alpha", self.alpha, 0 < self.alpha < 1, "a number in (0, 1)"),
                ("--n-cpus", self.n_cpus, self.n_cpus >= 1, "an integer >= 1"),
            ]
        )
        return dataclasses.replace(self, design=self.settings().formula, formats=list(self.formats or ["png", "svg"]))


def run_de(cfg: DEConfig, *, existing: Existing = "refuse") -> DEAnalysis:
    """Run one differential-expression analysis and write its outputs to ``cfg.out``.

    Writes ``de_results.csv`` (common DE schema), ``plots/`` (volcano, MA, PCA,
    heatmap in ``cfg.formats``), ``report.html`` (self-contained) and ``run.json``.

    Returns
    -------
    DEAnalysis
        The result, the aligned sample table, the gene count before filtering and the
        notes shown in the report.

    Raises
    ------
    ValueError, KeyError, FileNotFoundError
        For an invalid config, unreadable inputs, or a contrast the sample table does
        not support.
    OutputError
        If ``cfg.out`` is a file, not writable, or not empty and ``existing`` is
        ``"refuse"`` (``"overwrite"`` replaces the outputs of an earlier run); checked
        before any input is read.
    """
    cfg = cfg.resolved()
    with prepare_output_dir(cfg.out, existing=existing, owned=DE_OUTPUTS, what="output directory"):
        return _run_de(cfg)


def _run_de(cfg: DEConfig) -> DEAnalysis:
    from cellresponse.plotting import de_figures
    from cellresponse.report import render_analysis_report

    counts, samples = read_count_data(
        cfg.counts,
        cfg.samples,
        genes_in_rows=cfg.genes_in_rows,
        sample_column=cfg.sample_column,
        strip_suffix=cfg.strip_suffix,
    )
    analysis = differential_expression(counts, samples, settings=cfg.settings())
    result = analysis.result
    out = Path(cfg.out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    _write_csv(result.table, out / "de_results.csv")
    factor = result.contrast[0]
    labels = analysis.samples[factor].astype(str).rename(factor)
    figures = de_figures(result.table, result.log_expression, labels, alpha=cfg.alpha)
    stems = {name: out / "plots" / name for name in figures}
    embedded = _save_figures(figures, stems, formats=cfg.formats or ("png", "svg"))
    html = render_analysis_report(
        "de",
        title=f"Differential expression: {result.contrast[1]} vs {result.contrast[2]}",
        summary=analysis.summary(),
        figures=embedded,
        tables={"Top 50 genes by p-value": result.table.head(50)},
        notes=analysis.notes,
        run_info={"counts": cfg.counts, "samples": cfg.samples, "design": result.design},
    )
    atomic_write_bytes(out / "report.html", html.encode("utf-8"))
    write_run_json(
        out,
        command="de",
        config=cfg,
        inputs=[cfg.counts, cfg.samples],
        extra={"summary": analysis.summary(), "notes": list(analysis.notes), "backend_params": result.params},
    )
    return analysis


# -------------------------------------------------------------------- explore
@dataclass
class ExploreConfig:
    """Settings of one ``cellresponse explore`` run (TOML keys = field names).

    Input: ``matrix`` (samples x genes CSV/TSV, first column = sample ID) and ``labels``
    (sample ID, then a ``label_column``), or a built-in ``preset`` (see
    :data:`cellresponse.explore.PRESETS`); classes smaller than ``min_class_size`` are
    dropped. The other fields are those of :class:`cellresponse.explore.ExploreSettings`
    (``seed`` and ``n_jobs`` go into its :class:`~cellresponse.explore.CVScheme`).
    """

    matrix: str | None = None
    labels: str | None = None
    label_column: str | None = None
    preset: str | None = None
    min_class_size: int = 20
    models: list[str] | None = None
    k_grid: list[int] | None = None
    selector: str = "f_classif"
    outer_folds: int = 5
    inner_folds: int = 3
    n_permutations: int = 20
    embedding: str = "pca"
    seed: int = 0
    n_jobs: int = 2
    progress: bool = True
    out: str = "results/explore"

    def settings(self) -> ExploreSettings:
        """The analysis settings."""
        return ExploreSettings(
            models=tuple(self.models or DEFAULT_MODELS),
            k_grid=tuple(self.k_grid or (100, 500)),
            selector=cast(Any, self.selector),
            cv=CVScheme(self.outer_folds, self.inner_folds, self.seed, self.n_jobs),
            n_permutations=self.n_permutations,
            embedding=cast(Any, self.embedding),
            progress=self.progress,
        )

    def resolved(self) -> ExploreConfig:
        """A checked copy.

        Raises
        ------
        ValueError
            Without an input (``matrix`` and ``labels``, or ``preset``), or for an
            unknown preset.
        """
        if self.preset is None and (self.matrix is None or self.labels is None):
            raise ValueError("give --matrix and --labels, or --preset gdsc-tissue")
        if self.preset is not None and self.preset not in PRESETS:
            raise InputError(f"--preset must be one of {PRESETS}, got {self.preset!r}", source="--preset")
        k_grid = list(self.k_grid or [])
        _check_ranges(
            [
                ("--min-class-size", self.min_class_size, self.min_class_size >= 2, "an integer >= 2"),
                ("--k-grid", self.k_grid, self.k_grid is None or (bool(k_grid) and min(k_grid) >= 1),
                 "numbers of genes >= 1, e.g. 100,500"),
                ("--outer-folds", self.outer_folds, self.outer_folds >= 2, "an integer >= 2"),
                ("--inner-folds", self.inner_folds, self.inner_folds >= 2, "an integer >= 2"),
                ("--n-permutations", self.n_permutations, self.n_permutations >= 0, "an integer >= 0"),
                ("--seed", self.seed, 0 <= self.seed < 2**32, "an integer in [0, 2**32)"),
                ("--n-jobs", self.n_jobs, self.n_jobs >= 1 or self.n_jobs == -1, "an integer >= 1 (or -1: all cores)"),
            ]
        )  # fmt: skip
        return dataclasses.replace(self)

    def load(self) -> LabelledSamples:
        """Read the labelled matrix the config names (files or preset)."""
        if self.preset is not None:
            return preset_samples(self.preset, min_class_size=self.min_class_size)
        if self.matrix is None or self.labels is None:
            raise ValueError("give --matrix and --labels, or --preset gdsc-tissue")
        return labelled_samples(
            read_counts(self.matrix, genes_in_rows=False),
            read_sample_table(self.labels),
            column=self.label_column,
            min_class_size=self.min_class_size,
            sources=(self.matrix, self.labels),
        )


def run_explore(cfg: ExploreConfig, *, existing: Existing = "refuse") -> ExploreAnalysis:
    """Run one exploratory classification and write its outputs to ``cfg.out``.

    Writes ``embedding.csv``, ``univariate.csv``, ``cv_scores.csv``,
    ``best_params.csv``, ``cv_summary.csv``, ``top_genes.csv``, ``permutation.json``
    (unless ``n_permutations`` is 0), ``plots/`` (PNG and SVG), ``report.html`` and
    ``run.json``.

    Raises
    ------
    ValueError, KeyError, FileNotFoundError
        For an invalid config, unreadable inputs, or labels that cannot be scored
        (e.g. a class smaller than the outer folds).
    """
    cfg = cfg.resolved()
    with prepare_output_dir(cfg.out, existing=existing, owned=EXPLORE_OUTPUTS, what="output directory"):
        return _run_explore(cfg)


def _run_explore(cfg: ExploreConfig) -> ExploreAnalysis:
    from cellresponse.plotting import explore_figures
    from cellresponse.report import render_analysis_report

    inputs = cfg.load()
    if cfg.k_grid and max(cfg.k_grid) > inputs.x.shape[1]:
        raise InputError(
            f"--k-grid {','.join(map(str, cfg.k_grid))}: the matrix has {inputs.x.shape[1]} genes, so no k can "
            f"exceed {inputs.x.shape[1]}",
            source="--k-grid",
        )
    analysis = explore_classification(inputs.x, inputs.y, settings=cfg.settings())
    out = Path(cfg.out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    _write_csv(analysis.embedding.assign(label=analysis.labels), out / "embedding.csv", index=True)
    _write_csv(analysis.univariate, out / "univariate.csv")
    _write_csv(analysis.cv.scores, out / "cv_scores.csv")
    _write_csv(analysis.cv.best_params, out / "best_params.csv")
    cv_summary = analysis.cv_summary()
    _write_csv(cv_summary, out / "cv_summary.csv")
    _write_csv(analysis.top_genes, out / "top_genes.csv")
    perm = analysis.permutation
    notes = list(inputs.notes)
    if perm is not None:
        atomic_write_bytes(out / "permutation.json", (json.dumps(perm, indent=2, default=str) + "\n").encode())
        notes.append(
            f"permutation test ({analysis.best_model}, {perm['n_permutations']} permutations): "
            f"balanced accuracy {perm['score']:.3f} vs {perm['permutation_mean']:.3f} "
            f"+/- {perm['permutation_std']:.3f} under permuted labels, p = {perm['pvalue']:.3g}"
        )
    figures = explore_figures(
        analysis.embedding,
        analysis.labels,
        explained=analysis.explained,
        scores=analysis.cv.scores,
        top_genes=analysis.top_genes,
        best_model=analysis.best_model,
        permutation=perm,
    )
    # files are numbered in report order and named by the caption's first word
    stems = {name: out / "plots" / f"{i + 1}_{name.split()[0].lower()}" for i, name in enumerate(figures)}
    embedded = _save_figures(figures, stems, formats=("png", "svg"))
    summary = analysis.summary()
    html = render_analysis_report(
        "explore",
        title="Exploratory classification",
        summary=summary,
        figures=embedded,
        tables={
            "Nested-CV summary (outer folds)": cv_summary,
            "Top genes": analysis.top_genes,
            "Univariate scores, all samples (descriptive)": analysis.univariate.head(30),
        },
        notes=notes,
        run_info={"inputs": ", ".join(inputs.sources)},
    )
    atomic_write_bytes(out / "report.html", html.encode("utf-8"))
    write_run_json(
        out,
        command="explore",
        config=cfg,
        inputs=inputs.sources,
        extra={"summary": summary, "permutation": perm, "notes": notes},
    )
    return analysis


# --------------------------------------------------------------------- enrich
@dataclass
class EnrichConfig:
    """Settings of one ``cellresponse enrich`` run (TOML keys = field names).

    The query is a gene list (``genes``: one symbol per line) or the genes of a DE
    result (``de_results``) with ``padj < alpha`` in ``direction``; the universe then
    defaults to every tested gene. ``universe`` (a gene list) overrides it; ``gene_map``
    (CSV ``id,symbol``) translates DE gene IDs to symbols. Terms between ``min_size``
    and ``max_size`` genes are tested; ``exclude_evidence`` drops GO evidence codes.
    """

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

    def resolved(self) -> EnrichConfig:
        """A checked copy.

        Raises
        ------
        ValueError
            Unless exactly one of ``genes`` and ``de_results`` is given, or for an
            unknown direction.
        """
        if (self.genes is None) == (self.de_results is None):
            raise ValueError("give exactly one of --genes and --de-results")
        if self.direction not in DIRECTIONS:
            raise InputError(f"--direction must be one of {DIRECTIONS}, got {self.direction!r}", source="--direction")
        _check_ranges(
            [
                ("--alpha", self.alpha, 0 < self.alpha <= 1, "a number in (0, 1]"),
                ("--min-size", self.min_size, self.min_size >= 1, "an integer >= 1"),
                ("--max-size", self.max_size, self.max_size >= self.min_size,
                 f"an integer >= --min-size ({self.min_size})"),
            ]
        )  # fmt: skip
        return dataclasses.replace(self)


def run_enrich(cfg: EnrichConfig, *, existing: Existing = "refuse") -> pd.DataFrame:
    """Run GO-BP enrichment of a gene list and write its outputs to ``cfg.out``.

    Writes ``enrichment.csv`` (see :data:`cellresponse.enrich.ENRICH_COLUMNS`),
    ``plots/dotplot.{png,svg}`` and ``run.json`` (with the number of query genes).

    Returns
    -------
    pandas.DataFrame
        The enrichment table, most significant terms first.

    Raises
    ------
    ValueError, FileNotFoundError
        For an invalid config, unreadable inputs, or query genes outside the universe.
    """
    cfg = cfg.resolved()
    with prepare_output_dir(cfg.out, existing=existing, owned=ENRICH_OUTPUTS, what="output directory"):
        return _run_enrich(cfg)


def _run_enrich(cfg: EnrichConfig) -> pd.DataFrame:
    from cellresponse.ontology import load_go_bp
    from cellresponse.plotting import enrichment_dotplot, save_figure

    mapping = read_gene_map(cfg.gene_map) if cfg.gene_map is not None else None
    universe: list[str] | None = None
    if cfg.genes is not None:
        genes = read_gene_list(cfg.genes)
    else:
        table = read_csv_checked(cast(str, cfg.de_results), what="DE results table", dtype={"gene": str})
        genes, universe = de_query(
            table, alpha=cfg.alpha, direction=cast(Any, cfg.direction), source=f"--de-results {cfg.de_results}"
        )
    if mapping is not None:
        genes = translate_genes(genes, mapping)
        universe = translate_genes(universe, mapping) if universe else None
    if cfg.universe is not None:
        universe = read_gene_list(cfg.universe)
    go = load_go_bp(exclude_evidence=cfg.exclude_evidence or ())
    result = go_enrichment(genes, go, universe=universe, min_size=cfg.min_size, max_size=cfg.max_size)
    out = Path(cfg.out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    _write_csv(result, out / "enrichment.csv")
    save_figure(enrichment_dotplot(result), out / "plots" / "dotplot", close=True)
    write_run_json(
        out,
        command="enrich",
        config=cfg,
        inputs=[cfg.genes, cfg.de_results, cfg.universe, cfg.gene_map],
        extra={"n_query_genes": len(genes), "n_terms_tested": len(result)},
    )
    return result


__all__ = [
    "RUN_JSON",
    "DEConfig",
    "EnrichConfig",
    "ExploreConfig",
    "file_sha256",
    "run_de",
    "run_enrich",
    "run_explore",
    "write_run_json",
]
