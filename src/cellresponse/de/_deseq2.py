"""DESeq2 on raw counts through pydeseq2 (optional dependency, imported lazily)."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from cellresponse.de._result import DEResult, finish_table
from cellresponse.de._validate import align_samples, check_groups, check_integer_counts

#: pydeseq2 warnings that describe a property of the design, not a fault. They are turned
#: into ``DEResult.notes`` so they appear in reports; every other warning is re-raised.
_KNOWN_WARNINGS: tuple[str, ...] = (
    r"residual degrees of freedom is less than 3",
    r"dispersion trend curve fitting did not converge",
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def design_factors(design: str) -> list[str]:
    """Column names used by a Wilkinson formula such as ``"~ donor + condition"``.

    Examples
    --------
    >>> design_factors("~ donor + condition")
    ['donor', 'condition']
    """
    if not design.strip().startswith("~"):
        raise ValueError(f"design must be a formula starting with '~', got {design!r}")
    names = [n for n in _NAME.findall(design) if n not in {"C", "I"}]
    return list(dict.fromkeys(names))


def deseq2(
    counts: pd.DataFrame,
    samples: pd.DataFrame,
    *,
    design: str,
    contrast: tuple[str, str, str],
    shrink: bool = True,
    alpha: float = 0.1,
    n_cpus: int = 1,
) -> DEResult:
    """DESeq2 (size factors, dispersions, Wald test) with optional apeGLM shrinkage.

    Parameters
    ----------
    counts
        Samples x genes raw integer counts (pre-filter low counts with
        :func:`filter_low_counts` first; it also makes the fit faster).
    samples
        Sample table indexed by sample ID, with every column the design names.
    design
        Formula over sample-table columns, the contrast factor last, e.g.
        ``"~ donor + condition"`` for a paired (donor-blocked) design.
    contrast
        ``(factor, test_level, reference_level)``; ``log2fc > 0`` = up in test_level.
    shrink
        Also compute apeGLM-shrunk fold changes (``log2fc_shrunk``); ``log2fc`` keeps
        the unshrunk MLE. Shrinkage is the slowest step.
    alpha
        Target FDR for DESeq2's independent filtering.
    n_cpus
        Worker processes for pydeseq2.

    Returns
    -------
    DEResult
        Common schema; genes removed by Cooks-distance or independent filtering have
        NaN ``padj`` (and NaN ``pvalue`` for Cooks outliers), as in DESeq2.

    Raises
    ------
    ImportError
        If pydeseq2 is not installed.
    ValueError
        If counts are not non-negative integers, the sample table does not match the
        matrix, a group has fewer than two samples, or the design is malformed.
    KeyError
        If a design or contrast column is missing from the sample table.
    """
    try:
        from pydeseq2.dds import DeseqDataSet
        from pydeseq2.default_inference import DefaultInference
        from pydeseq2.ds import DeseqStats
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("method 'deseq2' needs pydeseq2: pip install 'cellresponse[de]'") from err

    factor, test_level, ref_level = contrast
    counts, samples = align_samples(counts, samples)
    counts = check_integer_counts(counts)
    check_groups(samples, factor=factor, test_level=test_level, reference_level=ref_level)
    factors = design_factors(design)
    missing = [f for f in factors if f not in samples.columns]
    if missing:
        raise KeyError(
            f"design {design!r} uses columns {missing} that the sample table lacks; "
            f"columns: {', '.join(map(str, samples.columns))}"
        )
    if factor not in factors:
        raise ValueError(f"contrast factor {factor!r} does not appear in design {design!r}")
    if (counts.sum(axis=0) == 0).all():
        raise ValueError("every gene has zero counts")

    meta = pd.DataFrame(index=samples.index)
    for f in factors:
        col = samples[f]
        if col.isna().any():
            raise ValueError(f"design column {f!r} is missing for samples {', '.join(col.index[col.isna()][:5])}")
        if pd.api.types.is_numeric_dtype(col) and f != factor:
            meta[f] = col.astype(float)
        else:
            levels = sorted(col.astype(str).unique())
            if f == factor:  # reference first so the coefficient is "<factor>[T.<test>]"
                levels = [ref_level, test_level] + [v for v in levels if v not in (ref_level, test_level)]
            meta[f] = pd.Categorical(col.astype(str), categories=levels)
    continuous = [f for f in factors if pd.api.types.is_float_dtype(meta[f])]

    from threadpoolctl import threadpool_limits

    inference = DefaultInference(n_cpus=n_cpus)
    notes: list[str] = []
    # pydeseq2 runs thousands of tiny per-gene L-BFGS/IRLS fits; multithreaded BLAS only
    # adds synchronisation cost to each (measured 3-10x slower), so pin BLAS to 1 thread
    # and parallelise over genes with n_cpus instead.
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dds = DeseqDataSet(
            counts=counts,
            metadata=meta,
            design=design,
            continuous_factors=continuous or None,
            refit_cooks=True,
            inference=inference,
            quiet=True,
        )
        dds.deseq2()
        stats = DeseqStats(
            dds,
            contrast=[factor, test_level, ref_level],
            alpha=alpha,
            inference=inference,
            quiet=True,
        )
        stats.summary()
        res = stats.results_df.copy()
        shrunk = pd.Series(np.nan, index=res.index)
        if shrink:
            coeff = f"{factor}[T.{test_level}]"
            if coeff not in dds.varm["LFC"].columns:
                raise ValueError(f"cannot shrink: coefficient {coeff!r} not among {list(dds.varm['LFC'].columns)}")
            stats.lfc_shrink(coeff=coeff)
            shrunk = stats.results_df["log2FoldChange"]
    for w in caught:
        msg = str(w.message)
        if any(re.search(pat, msg) for pat in _KNOWN_WARNINGS):
            notes.append(f"pydeseq2: {msg}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    table = pd.DataFrame(
        {
            "gene": res.index.astype(str),
            "base_mean": res["baseMean"].to_numpy(),
            "log2fc": res["log2FoldChange"].to_numpy(),
            "log2fc_shrunk": shrunk.reindex(res.index).to_numpy(),
            "lfc_se": res["lfcSE"].to_numpy(),
            "statistic": res["stat"].to_numpy(),
            "pvalue": res["pvalue"].to_numpy(),
            "padj": res["padj"].to_numpy(),
        }
    )
    size_factors = pd.Series(np.asarray(dds.obs["size_factors"]), index=counts.index)
    normed = counts.to_numpy(dtype=float) / size_factors.to_numpy()[:, None]
    log_expr = pd.DataFrame(np.log2(normed + 1.0), index=counts.index, columns=counts.columns)
    params: dict[str, Any] = {
        "method": "deseq2",
        "design": design,
        "contrast": list(contrast),
        "shrink": shrink,
        "alpha": alpha,
        "size_factors": {k: float(v) for k, v in size_factors.items()},
    }
    return DEResult(
        table=finish_table(table),
        method="deseq2",
        design=design,
        contrast=(factor, test_level, ref_level),
        log_expression=log_expr,
        notes=tuple(dict.fromkeys(notes)),
        params=params,
    )


__all__ = ["deseq2", "design_factors"]
