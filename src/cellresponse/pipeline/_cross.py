"""The dataset of a cross-study benchmark: ``--train-dataset A --test-dataset B`` joined."""

from __future__ import annotations

from cellresponse.config import BenchmarkConfig
from cellresponse.data import Dataset


def load_cross_study(cfg: BenchmarkConfig) -> Dataset:
    """The dataset of a cross-study config: ``train_dataset`` and ``test_dataset`` joined.

    Raises
    ------
    ValueError
        If only one of the two is given, they are the same, or the studies share no drug
        or gene (named by :func:`cellresponse.datasets.join_studies`).
    """
    from cellresponse.datasets import join_studies, load_dataset

    if not (cfg.train_dataset and cfg.test_dataset):
        raise ValueError(
            "cross-study evaluation needs both --train-dataset and --test-dataset "
            f"(got train {cfg.train_dataset!r}, test {cfg.test_dataset!r})"
        )
    if cfg.test_lines not in ("all", "unseen"):
        raise ValueError(f"--test-lines must be 'all' or 'unseen', got {cfg.test_lines!r}")
    if cfg.train_dataset == cfg.test_dataset:
        raise ValueError(f"--train-dataset and --test-dataset are both {cfg.train_dataset!r}; use --split instead")
    train = load_dataset(cfg.train_dataset, target=cfg.target, cell_views=cfg.cell_views)
    test = load_dataset(cfg.test_dataset, target=cfg.test_target, cell_views=cfg.cell_views)
    return join_studies(train, test, align=cfg.align)  # type: ignore[arg-type]


__all__ = ["load_cross_study"]
