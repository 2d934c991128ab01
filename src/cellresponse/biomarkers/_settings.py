"""Settings of the association analysis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AssociationSettings:
    """Settings of :func:`associations` (gdsctools' defaults where it has one).

    Parameters
    ----------
    min_group
        A binary feature is tested for a drug only if at least this many of the drug's
        lines carry it and at least this many do not (gdsctools:
        ``feature_factor_threshold = 3``).
    min_msi
        MSI is a covariate for a drug only if each MSI level has at least this many of its
        lines (gdsctools: ``MSI_factor_threshold = 2``); otherwise it is dropped for that
        drug and the drop is reported (gdsctools skips the drug's tests instead).
    min_measurements
        A drug (in a scope) with fewer measured lines is not tested (gdsctools:
        ``minimum_nonna_ic50 = 6``).
    tissue_covariate, msi_covariate
        Use the tissue / MSI covariates when the inputs have them.
    per_tissue
        Also test within each tissue (one scope per tissue; tissue is then no covariate).
    tissues
        Restrict the per-tissue analyses to these tissues (default: every tissue).
    """

    min_group: int = 3
    min_msi: int = 2
    min_measurements: int = 6
    tissue_covariate: bool = True
    msi_covariate: bool = True
    per_tissue: bool = False
    tissues: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("min_group", "min_msi", "min_measurements"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.min_measurements < 3:
            raise ValueError(f"min_measurements must be >= 3 (a slope and its error), got {self.min_measurements}")


__all__ = ["AssociationSettings"]
