"""Prediction tasks as plug-ins: each task is declared once and run by the one engine.

Built-in tasks: ``response`` (drug sensitivity), ``expression`` (L1000 signatures) and
``dependency`` (gene essentiality). A new task is one module with a :class:`Task`
subclass decorated with :func:`register_task` (other packages: the
``cellresponse.tasks`` entry-point group).
"""

from cellresponse.tasks._ablations import (
    ABLATIONS,
    PERMUTABLE,
    RANDOMIZATION_TESTS,
    check_ablations,
    permute_input,
    register_ablation,
    shuffle_dose_time,
    shuffle_drug,
)
from cellresponse.tasks._base import (
    ABLATION_SEP,
    MEMBER_SEP,
    ScoreContext,
    Section,
    Table,
    Task,
    base_name,
    fold_summary,
    is_top_level,
    per_group_table,
    stats_frame,
)
from cellresponse.tasks._calibration import calibration_fold_rows, calibration_sections, calibration_summary
from cellresponse.tasks._registry import available_tasks, check_split_mode, get_task, register_task

__all__ = [
    "ABLATIONS",
    "ABLATION_SEP",
    "MEMBER_SEP",
    "PERMUTABLE",
    "RANDOMIZATION_TESTS",
    "ScoreContext",
    "Section",
    "Table",
    "Task",
    "available_tasks",
    "base_name",
    "calibration_fold_rows",
    "calibration_sections",
    "calibration_summary",
    "check_ablations",
    "check_split_mode",
    "fold_summary",
    "get_task",
    "is_top_level",
    "per_group_table",
    "permute_input",
    "register_ablation",
    "register_task",
    "shuffle_dose_time",
    "shuffle_drug",
    "stats_frame",
]
