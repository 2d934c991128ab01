"""The expression task behind ``cellresponse benchmark --task expression``."""

from __future__ import annotations

from cellresponse.config import BenchmarkConfig

EXPRESSION_DEFAULT_MODELS = ["expr_ridge", "expr_dosetime"]


def run_expression(cfg: BenchmarkConfig) -> int:
    """Load a LINCS dataset, split it with an expression split mode, run the benchmark."""
    from cellresponse.datasets import load_dataset
    from cellresponse.evaluate._expression import run_expression_benchmark
    from cellresponse.splits._expression import make_expression_split

    data = load_dataset(cfg.dataset, target=cfg.target)
    if data.task != "expression":
        raise ValueError(f"dataset {cfg.dataset!r} is a {data.task!r} dataset; --task expression needs a LINCS dataset")
    mode = {"lco": "cell_line", "ldo": "compound"}.get(cfg.split, cfg.split)
    split = make_expression_split(
        data, mode=mode, n_folds=cfg.folds or 5, seed=cfg.seed, valid_fraction=cfg.valid_fraction
    )
    models = [m for m in cfg.models if m.startswith("expr_")] or EXPRESSION_DEFAULT_MODELS
    table = run_expression_benchmark(
        data,
        models=models,
        split=split,
        out=cfg.out,
        seed=cfg.seed,
        model_params=cfg.model_params,
        include_baselines=cfg.baselines,
    )
    overall = table[(table["group_by"] == "all") & (table["metric"] == "pearson")].groupby("model")["value"].mean()
    print(f"cellresponse benchmark --task expression: {cfg.dataset} split={mode} hash={split.hash}; "
          f"results in {cfg.out}/ (report.html)")  # fmt: skip
    if len(overall):
        print("mean per-signature Pearson over folds:")
        print(overall.sort_values(ascending=False).round(3).to_string())
    return 0
