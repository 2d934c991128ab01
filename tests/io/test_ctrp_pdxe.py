"""Readers of the CTRP v2 and PDXE files: real files and malformed ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cellresponse.errors import InputError
from cellresponse.io import (
    read_ctrp_cell_lines,
    read_ctrp_compounds,
    read_ctrp_curves,
    read_ctrp_experiments,
    read_ctrp_smiles,
    read_pdxe_calls,
    read_pdxe_expression,
    read_pdxe_response,
)


def test_ctrp_files(data_dir: Path) -> None:
    base = data_dir / "ctrp_v2"
    curves = read_ctrp_curves(base / "ctrp_v2_auc_curves_post_qc.csv.gz")
    assert len(curves) == 395_263 and curves["auc"].between(0.06, 29.4).all()  # not normalised
    experiments = read_ctrp_experiments(base / "Experiment_info.csv")
    assert len(experiments) == 907 and experiments.nunique() == 887  # repeated dates collapsed
    lines = read_ctrp_cell_lines(base / "cancer_cell_line_info.csv")
    assert lines.loc[lines["ccl_name"] == "22RV1", "ccle_name"].item() == "22RV1_PROSTATE"
    assert (lines["ccle_name"] == "").sum() == (lines["cancer_type"] == "").sum() > 0
    assert len(read_ctrp_compounds(base / "compound_info.csv")) == 545
    assert len(read_ctrp_smiles(base / "ctrp_v2_compound_smiles_lincs_namematch.csv")) == 163


def test_pdxe_files(data_dir: Path) -> None:
    base = data_dir / "pdx_novartis_pdxe"
    arms = read_pdxe_response(base / "pdxe_response_metrics.csv.gz")
    assert len(arms) == 3699 and arms["patient_id"].nunique() == 213
    assert arms["mrecist"].value_counts().to_dict() == {"PD": 2167, "SD": 1152, "PR": 270, "CR": 110}
    assert (arms["treatment_type"] == "combo").sum() == 968
    fpkm = read_pdxe_expression(base / "pdxe_rnaseq_fpkm.csv.gz")
    assert fpkm.shape == (191, 22_665) and fpkm.index[0].startswith("X-")
    calls = read_pdxe_calls(base / "pdxe_mutation_cn_calls.csv.gz")
    braf = calls[(calls["gene"] == "BRAF") & calls["call"].str.contains("Mut")]
    assert braf["patient_id"].isin(arms.loc[arms["tumor_type"] == "CM", "patient_id"]).sum() == 18


def test_ctrp_bad_input(tmp_path: Path) -> None:
    curves = tmp_path / "curves.csv"
    curves.write_text("experiment_id,area_under_curve,master_cpd_id\n1,10.5,7\n1,11.0,7\n")
    with pytest.raises(InputError, match=r"repeated \(experiment, compound\) pairs, e.g. \[\[1, 7\]\]"):
        read_ctrp_curves(curves)
    curves.write_text("experiment_id,area_under_curve,master_cpd_id\n1,high,7\n")
    with pytest.raises(InputError, match=r"'area_under_curve' must be numeric.*'high'"):
        read_ctrp_curves(curves)
    expt = tmp_path / "expt.csv"
    expt.write_text("expt_id,master_ccl_id,experiment_date\n1,5,2012\n1,6,2013\n")
    with pytest.raises(InputError, match="several cell lines"):
        read_ctrp_experiments(expt)


def test_pdxe_bad_input(tmp_path: Path) -> None:
    header = "tumor_type,patient_id,treatment,treatment_type,treatment_target,BestResponse,BestAvgResponse,"
    header += "TimeToDouble,Day_Last,ResponseCategory\n"
    path = tmp_path / "arms.csv"
    path.write_text(header + "BRCA,X-1,BYL719,single,PIK3CA,1,2,3,4,XX-->PD\n")
    with pytest.raises(InputError, match=r"data row 1 is 'XX-->PD'; its first token must be one of") as err:
        read_pdxe_response(path)
    assert err.value.source == str(path) and err.value.row == 1
    path.write_text(header + "BRCA,X-1,BYL719,single,PIK3CA,1,2,3,4,PD\n" * 2)
    with pytest.raises(InputError, match="repeated"):
        read_pdxe_response(path)
    fpkm = tmp_path / "fpkm.csv"
    fpkm.write_text("gene,X-1\nTP53,-1\n")
    with pytest.raises(InputError, match=">= 0"):
        read_pdxe_expression(fpkm)
    ok = read_pdxe_response(_arms(tmp_path, header))
    assert ok["mrecist"].tolist() == ["SD"] and np.isclose(ok["best_avg_response"].item(), 2.0)


def _arms(tmp_path: Path, header: str) -> Path:
    path = tmp_path / "ok.csv"
    path.write_text(header + "BRCA,X-1,BYL719,single,PIK3CA,1,2,3,4,SD-->PD\n")
    return path
