"""One differential-expression analysis: align, check the contrast, filter, test.

:func:`differential_expression` is what ``cellresponse de`` computes, as a library
function: it returns a :class:`DEAnalysis` and writes nothing (see
:func:`cellresponse.pipeline.run_de` for the run that writes tables, plots and a report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from cellresponse.de._deseq2 import deseq2
from cellresponse.de._result import DEResult
from cellresponse.de._stats import TestMethod, two_group_test
from cellresponse.de._validate import align_samples, check_groups, filter_low_counts

#: Tests :func:`differential_expression` can run: DESeq2 on counts, Welch t or
#: Mann-Whitney (Wilcoxon) on normalised / log data.
DE_METHODS = ("deseq2", "welch", "mannwhitney")


@dataclass(frozen=True)
class DESettings:
    """What to compare and how: the settings of :func:`differential_expression`.

    Parameters
    ----------
    contrast
        ``(FACTOR, TEST, REFERENCE)``: sample-table column and its two levels;
        log2 fold change > 0 means higher in ``TEST``.
    method
        One of :data:`DE_METHODS`.
    design
        DESeq2 formula (default ``"~ FACTOR"``); may add covariates such as a donor.
    pair_by
        Column pairing samples (``welch`` / ``mannwhitney`` only; for DESeq2 put it in
        the design).
    log_scale
        ``welch`` / ``mannwhitney`` input is log2 already (False: linear, logged here).
    min_count, min_samples
        DESeq2 gene filter: at least ``min_count`` counts in at least ``min_samples``
        samples (default: the smaller group's size, as the DESeq2 vignette).
    alpha
        FDR level of summaries, plots and DESeq2's independent filtering.
    shrink
        apeGLM shrinkage of DESeq2 fold changes.
    n_cpus
        Worker processes for pydeseq2.

    Raises
    ------
    ValueError
        For an unknown method, a contrast that is not three items, or ``pair_by`` with
        DESeq2.
    """

    contrast: tuple[str, str, str]
    method: str = "deseq2"
    design: str | None = None
    pair_by: str | None = None
    log_scale: bool = True
    min_count: int = 10
    min_samples: int | None = None
    alpha: float = 0.1
    shrink: bool = True
    n_cpus: int = 1

    def __post_init__(self) -> None:
        if self.method not in DE_METHODS:
            raise ValueError(f"method must be one of {DE_METHODS}, got {self.method!r}")
        if not self.contrast or len(self.contrast) != 3:
            given = list(self.contrast) if self.contrast else None
            raise ValueError(f"contrast must be FACTOR,TEST,REFERENCE (3 items), got {given!r}")
        object.__setattr__(self, "contrast", tuple(str(c) for c in self.contrast))
        if self.pair_by is not None and self.method == "deseq2":
            raise ValueError(
                "pair_by is for welch/mannwhitney; for deseq2 put the pairing column in "
                f"the design, e.g. '~ {self.pair_by} + {self.contrast[0]}'"
            )

    @property
    def formula(self) -> str:
        """The design formula, ``"~ FACTOR"`` unless one was given."""
        return self.design if self.design is not None else f"~ {self.contrast[0]}"


@dataclass(frozen=True)
class DEAnalysis:
    """Result of :func:`differential_expression`.

    Attributes
    ----------
    result
        The test result (:class:`DEResult`, table in the common DE schema).
    samples
        The sample table aligned to the tested samples.
    n_genes_before
        Genes in the input, before the low-count filter.
    notes
        What the analysis did that a reader should know (e.g. the filter), followed by
        the test's own notes.
    settings
        The settings used.
    """

    result: DEResult
    samples: pd.DataFrame
    n_genes_before: int
    notes: tuple[str, ...]
    settings: DESettings

    def summary(self) -> dict[str, Any]:
        """:meth:`DEResult.summary` at the settings' ``alpha``."""
        return self.result.summary(alpha=self.settings.alpha)


def differential_expression(counts: pd.DataFrame, samples: pd.DataFrame, *, settings: DESettings) -> DEAnalysis:
    """Differential expression between two levels of a sample-table column.

    Samples are aligned between ``counts`` and ``samples``, the contrast is checked
    against the table, low-count genes are filtered (DESeq2 only) and the test runs.

    Parameters
    ----------
    counts
        Samples x genes: raw counts for DESeq2, normalised / log values otherwise.
    samples
        Sample table indexed by sample ID, with the contrast factor (and any design or
        pairing column).
    settings
        The contrast, the method and its options.

    Returns
    -------
    DEAnalysis

    Raises
    ------
    ValueError
        If the samples do not align, a contrast level does not occur, or DESeq2 gets
        values that are not non-negative integer counts.
    """
    factor, test_level, ref_level = settings.contrast
    counts, samples = align_samples(counts, samples)
    groups = check_groups(samples, factor=factor, test_level=test_level, reference_level=ref_level)
    n_before = counts.shape[1]
    notes: list[str] = []
    result: DEResult
    if settings.method == "deseq2":
        min_samples = settings.min_samples or int(groups.value_counts()[[test_level, ref_level]].min())
        counts = filter_low_counts(counts, min_count=settings.min_count, min_samples=min_samples)
        notes.append(
            f"kept {counts.shape[1]} of {n_before} genes with >= {settings.min_count} counts "
            f"in >= {min_samples} samples"
        )
        result = deseq2(
            counts,
            samples,
            design=settings.formula,
            contrast=(factor, test_level, ref_level),
            shrink=settings.shrink,
            alpha=settings.alpha,
            n_cpus=settings.n_cpus,
        )
    else:
        method: TestMethod = "welch" if settings.method == "welch" else "mannwhitney"
        result = two_group_test(
            counts,
            samples,
            contrast=(factor, test_level, ref_level),
            method=method,
            log_scale=settings.log_scale,
            pair_by=settings.pair_by,
        )
    return DEAnalysis(result, samples, n_before, (*notes, *result.notes), settings)


__all__ = ["DE_METHODS", "DEAnalysis", "DESettings", "differential_expression"]
