"""Build the embedded L1000 A375 subset in ``src/cellresponse/_embedded/lincs_a375/``.

Usage::

    python benchmarks/make_embedded_lincs.py [--root /path/to/shared/data]

Content: the ``lincs_a375`` dataset as the data root builds it (cmapPy LJP005 plate, A375,
24 h, Level 4 robust z-scores clipped to [-10, 10], the 47 compounds with a SMILES x 6
doses = 280 signatures over the 978 landmark genes), the A375 basal profile (TranSiGen) and
the compounds' SMILES (chemCPA / dhimmel maps). Values are written with 4 significant
digits; gzip without a timestamp keeps the bytes reproducible.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import pandas as pd

from cellresponse.datasets import load_dataset

OUT = Path(__file__).resolve().parents[1] / "src" / "cellresponse" / "_embedded" / "lincs_a375"

LICENSE = """# lincs_a375 — embedded L1000 A375 plate (data terms)

Small real subset for the offline expression task (`load_dataset("lincs_a375_demo")`, the
service's default expression model), built by `benchmarks/make_embedded_lincs.py` from
`shared/data/lincs_l1000_small/` (see its PROVENANCE.md).

- **Signatures** (`signatures.csv.gz`): LINCS L1000 plate LJP005 (A375, 24 h), the
  `test_l1000_highprecision.gctx` test fixture of cmapPy
  (https://github.com/cmap/cmapPy, snapshot `d1652c3223e49e68e3a71634909342b4a6dbf361`),
  **BSD 3-Clause**, "Copyright (c) 2017, Connectivity Map (CMap) at the Broad Institute,
  Inc.". Level 4 robust z-scores against the plate population, clipped to [-10, 10];
  {n_sig} treatment wells ({n_cmp} compounds with a known SMILES x 6 doses, 0.04-10 µM)
  over the 978 landmark genes (gene symbols and Entrez ids from the same file,
  `genes.csv`), written with 4 significant digits.
- **Basal profile** (`basal.csv`): the A375 row of TranSiGen's `modz_x1.pickle`
  (https://github.com/myzhengSIMM/TranSiGen, snapshot `e7582e7794f13d4dfddfb15e95e3ba7cd24bc07a`),
  **MIT License**, "Copyright (c) 2023 myzheng-SIMM"; genes matched by Entrez id through
  TranSiGen's `landmark_geneinfo.csv`.
- **SMILES** (`compounds.csv`): chemCPA `embeddings/lincs_drugs_smiles.csv`
  (https://github.com/theislab/chemCPA, **MIT License**), with the dhimmel/lincs
  `pertinfo.tsv.gz` for the rest (LINCS data and derivatives under **CC BY 4.0**;
  attribute LINCS L1000 and https://github.com/dhimmel/lincs).
- Please cite: Subramanian A. et al. A Next Generation Connectivity Map: L1000 Platform and
  the First 1,000,000 Profiles. *Cell* 171, 1437–1452 (2017).

Skipped when the subset was built (no SMILES in either map): {skipped}.
"""


def _write_gz(frame: pd.DataFrame, path: Path, **kwargs: object) -> None:
    text = frame.to_csv(**kwargs)  # type: ignore[call-overload]
    with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(text.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=None, help="data root (default: CELLRESPONSE_DATA)")
    args = parser.parse_args()
    ds = load_dataset("lincs_a375", root=args.root)
    OUT.mkdir(parents=True, exist_ok=True)
    genes = list(ds.target_names or ())
    keys = ds.obs[["cell_line", "perturbation", "dose", "time", "n_signatures", "pert_id", "sig_id"]]
    values = pd.DataFrame(ds.y, columns=genes)
    _write_gz(pd.concat([keys.reset_index(drop=True), values], axis=1), OUT / "signatures.csv.gz", index=False,
              float_format="%.4g")  # fmt: skip
    basal = ds.cell_view("basal").to_frame()
    basal.index.name = "cell_line"
    basal.to_csv(OUT / "basal.csv", float_format="%.6g")
    meta = ds.perturbation_meta[["smiles", "pert_ids"]].copy()
    meta.index.name = "compound"
    meta.to_csv(OUT / "compounds.csv")
    skipped = ", ".join(ds.info["skipped"].get("compound_without_smiles", [])) or "none"
    (OUT / "LICENSE_DATA.md").write_text(
        LICENSE.format(n_sig=len(ds), n_cmp=ds.obs["perturbation"].nunique(), skipped=skipped)
    )
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {OUT}: {len(ds)} signatures x {len(genes)} genes, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
