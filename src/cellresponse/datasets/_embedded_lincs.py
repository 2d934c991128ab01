"""The embedded L1000 A375 plate shipped as package data (works without CELLRESPONSE_DATA).

Built by ``benchmarks/make_embedded_lincs.py`` from the ``lincs_a375`` dataset; see
``cellresponse/_embedded/lincs_a375/LICENSE_DATA.md`` for sources and terms. The result
has the layout of :func:`cellresponse.datasets._lincs.load_lincs_a375_plate`: observations
keyed by (cell line, compound, dose µM, time h), a 978-gene signature target, a ``basal``
cell view and a ``morgan`` compound view computed here from the SMILES.
"""

from __future__ import annotations

import io
from importlib import resources
from importlib.resources.abc import Traversable

import numpy as np
import pandas as pd

from cellresponse.chem import morgan_fingerprints_with_skipped
from cellresponse.data import Dataset, FeatureView
from cellresponse.datasets._assemble import BuildOptions

LINCS_DIR = "lincs_a375"
KEY_COLUMNS = ("cell_line", "perturbation", "dose", "time", "n_signatures", "pert_id", "sig_id")


def lincs_demo_files() -> Traversable:
    """The package-data folder holding the embedded A375 plate."""
    return resources.files("cellresponse").joinpath("_embedded", LINCS_DIR)


def _read(name: str, **kwargs: object) -> pd.DataFrame:
    res = lincs_demo_files().joinpath(name)
    if not res.is_file():
        raise FileNotFoundError(
            f"embedded L1000 file {name} is missing from the installed package "
            "(rebuild with benchmarks/make_embedded_lincs.py)"
        )
    compression = "gzip" if name.endswith(".gz") else None
    return pd.read_csv(io.BytesIO(res.read_bytes()), compression=compression, **kwargs)  # type: ignore[call-overload]


def build_lincs_a375_demo(options: BuildOptions) -> Dataset:
    """The A375 24 h kinase-inhibitor plate (47 compounds x 6 doses, 978 genes), offline."""
    if options.cell_views not in (None, ("basal",)):
        raise ValueError(f"dataset 'lincs_a375_demo' has only the cell view 'basal'; asked for {options.cell_views}")
    table = _read("signatures.csv.gz", dtype={"cell_line": str, "perturbation": str, "pert_id": str, "sig_id": str})
    genes = [c for c in table.columns if c not in KEY_COLUMNS]
    obs = table[list(KEY_COLUMNS)].copy()
    y = table[genes].to_numpy(np.float32)
    basal = _read("basal.csv", dtype={"cell_line": str}).set_index("cell_line")
    if list(basal.columns) != genes:
        raise ValueError("embedded basal.csv and signatures.csv.gz name different genes; rebuild the subset")
    compounds = _read("compounds.csv", dtype=str).set_index("compound")
    fp, skipped = morgan_fingerprints_with_skipped(
        compounds["smiles"], radius=options.morgan.radius, n_bits=options.morgan.n_bits, on_invalid="skip"
    )
    if skipped:
        raise ValueError(f"embedded compounds with an invalid SMILES: {skipped}")
    meta = pd.DataFrame(
        {"name": compounds.index, "smiles": compounds["smiles"], "pert_ids": compounds["pert_ids"]},
        index=compounds.index,
    )
    cells = sorted(obs["cell_line"].unique())
    return Dataset(
        obs=obs,
        y=y,
        target="signature",
        task="expression",
        perturbation_kind="compound",
        cell_views={"basal": FeatureView("basal", basal.loc[cells].index, basal.loc[cells].to_numpy(), genes)},
        perturbation_views={"morgan": fp},
        cell_meta=pd.DataFrame({"tissue": ["skin"] * len(cells)}, index=pd.Index(cells)),
        perturbation_meta=meta,
        target_names=tuple(genes),
        name="lincs_a375_demo",
        info={
            "source": f"cellresponse/_embedded/{LINCS_DIR}/ (LINCS L1000 plate LJP005, cmapPy test fixture)",
            "level": 4,
            "clip": 10.0,
            "synthetic": False,
            "compound_id": "pert_iname",
            "morgan": {"radius": options.morgan.radius, "n_bits": options.morgan.n_bits},
            "license": "BSD-3-Clause (cmapPy); MIT (TranSiGen basal); MIT (chemCPA SMILES); see LICENSE_DATA.md",
        },
    )


__all__ = ["build_lincs_a375_demo", "lincs_demo_files"]
