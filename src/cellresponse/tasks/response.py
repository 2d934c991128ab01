"""The drug-response task: one number (ln IC50, AUC, ...) per (cell line, drug) pair."""

from __future__ import annotations

from typing import ClassVar

from cellresponse.tasks._registry import register_task
from cellresponse.tasks._scalar import ScalarTask


@register_task("response")
class ResponseTask(ScalarTask):
    """Drug sensitivity of cell lines: leave-cell-line/drug/pair/tissue/both-out splits
    (and compound-structure splits where the drugs have SMILES), naive means beside every
    model, per-drug and normalized metrics, paired tests over drugs."""

    split_modes: ClassVar[tuple[str, ...]] = (
        "cell_line",
        "perturbation",
        "pair",
        "tissue",
        "both",
        "compound_scaffold",
        "compound_cluster",
        "cross_study",
    )
    default_split: ClassVar[str] = "cell_line"
    validation_mode: ClassVar[str] = "cell_line"
    default_models: ClassVar[tuple[str, ...]] = ("elastic_net", "ridge_per_drug", "lightgbm")


__all__ = ["ResponseTask"]
