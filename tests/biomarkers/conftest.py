"""Real gdsctools inputs (a slice, to stay fast) and a small seeded panel for edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.biomarkers import AssociationInputs, gdsctools_inputs

#: GDSC drug IDs of the slice: Nutlin-3a, PLX-4720, nilotinib, lapatinib, erlotinib, and a few others
DRUGS = ["1047", "1036", "1013", "119", "1", "1010", "1373", "134", "5", "30"]


@pytest.fixture(scope="session")
def gdsctools_full(real_data_root):
    base = real_data_root / "gdsc_gdsctools"
    return gdsctools_inputs(base / "IC50_v17.csv.gz", base / "genomic_features_v17.csv.gz")


@pytest.fixture(scope="session")
def gdsctools_slice(gdsctools_full):
    """10 drugs x the 80 most frequent features (with the known biomarkers) on every line."""
    full = gdsctools_full
    known = ["TP53_mut", "BRAF_mut", "BCR-ABL_mut", "EGFR_mut", "gain_cnaPANCAN301_(CDK12,ERBB2,MED24)"]
    frequent = full.features.sum().sort_values(ascending=False).index[:75].tolist()
    cols = list(dict.fromkeys(known + frequent))
    return AssociationInputs.align(full.responses[DRUGS], full.features[cols], tissue=full.tissue, msi=full.msi)


def toy_inputs(*, n: int = 60, seed: int = 0) -> AssociationInputs:
    """60 lines, 3 tissues, MSI, 2 drugs; feature ``A`` lowers drug d1's response by 2."""
    rng = np.random.default_rng(seed)
    lines = [f"L{i:02d}" for i in range(n)]
    tissue = pd.Series(np.array(["lung", "skin", "blood"])[np.arange(n) % 3], index=lines)
    msi = pd.Series((np.arange(n) % 7 == 0).astype(float), index=lines)
    feats = pd.DataFrame(
        {
            "A": (rng.random(n) < 0.3).astype(float),
            "B": (rng.random(n) < 0.3).astype(float),
            "expr": rng.normal(size=n),
        },
        index=lines,
    )
    y1 = 1.0 - 2.0 * feats["A"] + 0.5 * (tissue == "skin") + rng.normal(0, 0.5, n)
    y2 = 3.0 + 0.8 * feats["expr"] + rng.normal(0, 0.5, n)
    responses = pd.DataFrame({"d1": y1, "d2": y2}, index=lines)
    return AssociationInputs.align(responses, feats, tissue=tissue, msi=msi)


@pytest.fixture
def toy() -> AssociationInputs:
    return toy_inputs()
