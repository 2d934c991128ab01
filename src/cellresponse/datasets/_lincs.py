"""Expression-task datasets built from the real LINCS L1000 subsets in ``lincs_l1000_small/``.

Observations are keyed by (cell line, compound, dose µM, time h); the target is the
signature over the 978 landmark genes (named by gene symbol). Cell view ``basal``: basal
(control) expression per cell line; compound view ``morgan``: Morgan fingerprints.

Traps in the raw files that these builders handle (see the folder's PROVENANCE.md):

- one compound under several Broad IDs (atorvastatin = 3 BRD ids, with different
  stereo SMILES): compounds are keyed by ``pert_iname`` so a leave-compound-out split
  cannot see the same drug under another ID;
- ``pert_idose`` strings in several spellings (``10 uM``, ``10.0 um``, ``500 nM``) and
  ``-666`` for "not applicable";
- times such as ``"6 h & 4 h"`` (co-treatment) that are not one duration: skipped and
  reported;
- compounds without SMILES and cell lines without a basal profile: skipped and
  reported in ``info["skipped"]`` (or raise, with ``on_missing="raise"``);
- the basal table's columns are positions, named by ``landmark_geneinfo.csv``; genes
  are aligned to the signatures through Entrez ids, not by position.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cellresponse._paths import data_root
from cellresponse._types import PathLike
from cellresponse._util import examples
from cellresponse.chem import MorganSettings, morgan_fingerprints_with_skipped
from cellresponse.data import Dataset, DrugResolver, FeatureView
from cellresponse.io import (
    parse_dose_time,
    read_basal_profiles,
    read_compound_smiles,
    read_csv_checked,
    read_gct,
    read_sig_info,
)

logger = logging.getLogger("cellresponse")

OnMissing = Literal["raise", "skip"]
LINCS_DIR = "lincs_l1000_small"


def _lincs_dir(root: PathLike | None) -> Path:
    path = data_root(root) / LINCS_DIR
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist; the LINCS subsets live in <data root>/{LINCS_DIR}")
    return path


def _smiles_map(base: Path) -> pd.Series:
    """BRD id -> SMILES: chemCPA's map first, dhimmel's pertinfo for the rest."""
    meta = base / "smiles_and_metadata"
    first = read_compound_smiles(meta / "chemCPA_lincs_drugs_smiles.csv.gz")
    second = read_compound_smiles(meta / "dhimmel_pertinfo.tsv.gz")
    return pd.concat([first, second[~second.index.isin(first.index)]])


def _basal(base: Path) -> pd.DataFrame:
    """TranSiGen basal profiles (cell lines x Entrez ids)."""
    tg = base / "transigen_example"
    return read_basal_profiles(tg / "basal_expression_modz_x1_n165x978.csv.gz", gene_info=tg / "landmark_geneinfo.csv")


def _check_on_missing(on_missing: str) -> None:
    if on_missing not in ("raise", "skip"):
        raise ValueError(f"on_missing must be 'raise' or 'skip', got {on_missing!r}")


@dataclass(frozen=True)
class LincsTables:
    """The tables a LINCS dataset is built from.

    Parameters
    ----------
    values
        Signatures x probes.
    meta
        Per signature: ``cell_id``, ``pert_id``, ``pert_iname``, ``dose``, ``time``.
    gene_ids
        Probe -> (``entrez``, ``symbol``), indexed by probe.
    smiles
        BRD id -> SMILES.
    basal
        Basal expression, cell lines x Entrez ids.
    """

    values: pd.DataFrame
    meta: pd.DataFrame
    gene_ids: pd.DataFrame
    smiles: pd.Series
    basal: pd.DataFrame


def _assemble(
    tables: LincsTables,
    *,
    on_missing: OnMissing,
    name: str,
    info: dict[str, Any],
    morgan: MorganSettings,
) -> Dataset:
    """Filter, aggregate replicates and build the Dataset."""
    values, meta, gene_ids, smiles, basal = tables.values, tables.meta, tables.gene_ids, tables.smiles, tables.basal
    _check_on_missing(on_missing)
    skipped: dict[str, Any] = {}
    keep = np.ones(len(meta), dtype=bool)

    bad_dt = meta["dose"].isna() | meta["time"].isna()
    if bad_dt.any():
        skipped["unparsed_dose_or_time"] = meta.index[bad_dt].tolist()
        keep &= ~bad_dt.to_numpy()

    nan_sig = ~np.isfinite(values.to_numpy()).all(axis=1)
    if nan_sig.any():
        ids = meta.index[nan_sig].tolist()
        if on_missing == "raise":
            raise ValueError(f"{name}: {len(ids)} signature(s) contain NaN: {examples(ids)}")
        skipped["nan_signature"] = ids
        keep &= ~nan_sig

    # Compound identity = pert_iname; SMILES from any of its BRD ids.
    compound = meta["pert_iname"].astype(str)
    pert_smiles = meta["pert_id"].map(smiles)
    cmp_smiles = pert_smiles.groupby(compound).first()
    no_smiles = sorted(set(compound[keep]) - set(cmp_smiles.dropna().index))
    if no_smiles:
        brd = meta.loc[compound.isin(no_smiles), "pert_id"].unique().tolist()
        if on_missing == "raise":
            raise KeyError(
                f"{name}: {len(no_smiles)} compound(s) have no SMILES: {examples(no_smiles)} (BRD ids {examples(brd)})"
            )
        skipped["compound_without_smiles"] = no_smiles
        keep &= ~compound.isin(no_smiles).to_numpy()

    cmp_smiles = cmp_smiles.dropna()
    fp, bad_smiles = morgan_fingerprints_with_skipped(
        cmp_smiles[cmp_smiles.index.isin(compound[keep])],
        radius=morgan.radius,
        n_bits=morgan.n_bits,
        on_invalid="skip",
    )
    if bad_smiles:
        skipped["invalid_smiles"] = bad_smiles
        keep &= ~compound.isin(bad_smiles).to_numpy()

    cells = meta["cell_id"].astype(str)
    no_basal = sorted(set(cells[keep]) - set(basal.index))
    if no_basal:
        if on_missing == "raise":
            raise KeyError(f"{name}: {len(no_basal)} cell line(s) have no basal profile: {examples(no_basal)}")
        skipped["cell_line_without_basal"] = no_basal
        skipped["n_signatures_without_basal"] = int((cells.isin(no_basal) & keep).sum())
        keep &= ~cells.isin(no_basal).to_numpy()

    if not keep.any():
        raise ValueError(f"{name}: no signature left after skipping {sorted(skipped)}")
    for key, val in skipped.items():
        n = val if isinstance(val, int) else len(val)
        logger.warning("%s: skipped %s: %d (%s)", name, key, n, examples(val) if isinstance(val, list) else n)

    # Gene alignment via Entrez ids.
    entrez = gene_ids["entrez"].astype(str)
    missing_genes = sorted(set(entrez) - set(basal.columns))
    if missing_genes:
        raise ValueError(
            f"{name}: {len(missing_genes)} signature genes have no basal column: {examples(missing_genes)}"
        )
    symbols = gene_ids["symbol"].astype(str).to_numpy()
    if pd.Index(symbols).has_duplicates:
        symbols = np.array([f"{s}_{e}" for s, e in zip(symbols, entrez, strict=True)])

    sub = meta.loc[keep]
    keys = pd.DataFrame(
        {
            "cell_line": cells[keep].to_numpy(),
            "perturbation": compound[keep].to_numpy(),
            "dose": sub["dose"].to_numpy(float),
            "time": sub["time"].to_numpy(float),
        }
    )
    y_all = values.loc[sub.index, gene_ids.index].to_numpy(np.float64)
    keys["dose"] = keys["dose"].round(6)
    codes = keys.groupby(["cell_line", "perturbation", "dose", "time"], sort=False).ngroup().to_numpy()
    counts = np.bincount(codes)
    sums = np.zeros((len(counts), y_all.shape[1]))
    np.add.at(sums, codes, y_all)
    y = sums / counts[:, None]
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    obs = keys.iloc[first].reset_index(drop=True)
    obs["sig_id"] = pd.Series(sub.index.astype(str)).groupby(codes).agg("|".join).to_numpy()
    obs["n_signatures"] = counts
    obs["pert_id"] = sub["pert_id"].to_numpy()[first]
    if int((counts > 1).sum()):
        info["replicates_averaged"] = int((counts > 1).sum())

    used_cells = sorted(obs["cell_line"].unique())
    basal_view = FeatureView(
        "basal",
        pd.Index(used_cells),
        basal.loc[used_cells, entrez.to_numpy()].to_numpy(np.float32),
        pd.Index(symbols),
    )
    used_cmp = sorted(obs["perturbation"].unique())
    fp = fp.subset(ids=used_cmp)
    pert_meta = pd.DataFrame(
        {
            "name": used_cmp,
            "smiles": cmp_smiles.reindex(used_cmp).to_numpy(),
            "pert_ids": ["|".join(sorted(meta.loc[compound == c, "pert_id"].astype(str).unique())) for c in used_cmp],
            # the key other screens' drugs resolve to (cellresponse.data.DrugResolver)
            "drug_key": [DrugResolver().key(c) for c in used_cmp],
        },
        index=pd.Index(used_cmp),
    )
    info = {
        **info,
        "skipped": skipped,
        "synthetic": False,
        "compound_id": "pert_iname",
        "n_signatures_used": int(keep.sum()),
    }
    return Dataset(
        obs=obs,
        y=y.astype(np.float32),
        target="signature",
        task="expression",
        perturbation_kind="compound",
        cell_views={"basal": basal_view},
        perturbation_views={"morgan": fp},
        cell_meta=pd.DataFrame(index=pd.Index(used_cells)),
        perturbation_meta=pert_meta,
        target_names=tuple(symbols),
        name=name,
        info=info,
    )


def load_lincs_a375_plate(
    *,
    root: PathLike | None = None,
    level: Literal[3, 4] = 4,
    include_poscon: bool = False,
    clip: float | None = 10.0,
    on_missing: OnMissing = "skip",
    radius: int = 2,
    n_bits: int = 2048,
) -> Dataset:
    """The cmapPy LJP005 plate: A375, 24 h, 55 compounds x 6 doses (real L1000 data).

    Parameters
    ----------
    root
        Data root (default :func:`cellresponse._paths.data_root`).
    level
        4 (default): robust z-scores vs. the plate population from the GCTX file,
        signature-like. 3: log2 expression from the GCT file, minus the mean DMSO
        profile of the plate (a per-plate control-subtracted signature).
    include_poscon
        Also keep the positive-control wells (``trt_poscon``).
    clip
        Clip values to ``[-clip, clip]`` as Level-5 signatures are (the Level-4 file
        reaches -60); None keeps them.
    on_missing
        ``"skip"`` (report in ``info["skipped"]``) or ``"raise"`` for compounds without
        SMILES, cell lines without a basal profile and NaN signatures.
    radius, n_bits
        Morgan fingerprint settings.

    Returns
    -------
    Dataset
        ``task="expression"``; obs keyed by (cell line, compound, dose, time).
    """
    base = _lincs_dir(root)
    plate = base / "cmapPy_LJP005_A375_24H"
    if level == 4:
        gct = read_gct(plate / "test_l1000_highprecision.gctx")
        values = gct.signatures()
    elif level == 3:
        gct = read_gct(plate / "test_l1000.gct.gz")
        raw = gct.signatures()
        dmso = gct.col_meta["pert_type"] == "ctl_vehicle"
        values = raw - raw.loc[dmso].mean(axis=0)
    else:
        raise ValueError(f"level must be 3 or 4, got {level!r}")
    meta = parse_dose_time(gct.col_meta, where=gct.src)
    types = ["trt_cp", "trt_poscon"] if include_poscon else ["trt_cp"]
    meta = meta[meta["pert_type"].isin(types)]
    values = values.loc[meta.index]
    if clip is not None:
        values = values.clip(-clip, clip)
    genes = pd.DataFrame(
        {
            "entrez": gct.row_meta["pr_gene_id"].astype(str),
            "symbol": gct.row_meta["pr_gene_symbol"].astype(str),
        }
    )
    info = {
        "source": str(plate),
        "level": level,
        "clip": clip,
        "basal_source": "transigen_example/basal_expression_modz_x1 (log2)",
        "license": "BSD-3-Clause (cmapPy); MIT (TranSiGen basal); MIT (chemCPA SMILES)",
    }
    tables = LincsTables(values, meta, genes, _smiles_map(base), _basal(base))
    return _assemble(
        tables, on_missing=on_missing, name="lincs_a375_plate", info=info, morgan=MorganSettings(radius, n_bits)
    )


def load_lincs_272(
    *,
    root: PathLike | None = None,
    on_missing: OnMissing = "skip",
    radius: int = 2,
    n_bits: int = 2048,
) -> Dataset:
    """The cmapR 272 Level-5 signatures (3 compounds, 65 cell lines; real L1000 data).

    Replicate signatures of one (cell line, compound, dose, time) are averaged. With the
    TranSiGen basal table 32 of the 65 cell lines have a basal profile; the rest are
    skipped and reported (``info["skipped"]``). Meant for leave-cell-line-out.
    """
    base = _lincs_dir(root)
    src = base / "cmapR_example"
    meta = read_sig_info(src / "modz_n272x978_col_meta.csv", id_column="id")
    sig = read_csv_checked(src / "modz_n272x978_signatures.csv.gz", what="LINCS signatures", index_col=0)
    missing = meta.index.difference(sig.index)
    if len(missing):
        raise ValueError(f"{src}: {len(missing)} metadata ids have no signature: {examples(missing)}")
    rows = read_csv_checked(
        src / "modz_n272x978_row_meta.csv", what="LINCS row metadata", dtype={"id": str, "pr_gene_id": str}
    )
    rows = rows.set_index("id")
    genes = pd.DataFrame({"entrez": rows["pr_gene_id"], "symbol": rows["pr_gene_symbol"]}).loc[sig.columns]
    info = {
        "source": str(src),
        "level": 5,
        "basal_source": "transigen_example/basal_expression_modz_x1 (log2)",
        "license": "BSD-3-Clause (cmapR); MIT (TranSiGen basal); MIT (chemCPA SMILES)",
    }
    tables = LincsTables(sig.loc[meta.index], meta, genes, _smiles_map(base), _basal(base))
    return _assemble(tables, on_missing=on_missing, name="lincs_272", info=info, morgan=MorganSettings(radius, n_bits))


__all__ = ["LincsTables", "load_lincs_272", "load_lincs_a375_plate"]
