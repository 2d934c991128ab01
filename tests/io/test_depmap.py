"""DepMap readers on small files written in the public layouts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.io import (
    parse_gene_columns,
    read_deepdep_table,
    read_depmap_expression,
    read_depmap_gene_dependency,
    read_depmap_gene_effect,
    read_depmap_model,
    read_egbench_gene_universe,
    read_oncodb_dependency_classes,
)


def _write_effect(path, *, first="", genes=("A1BG (1)", "TP53 (7157)", "KRAS (3845)"), rows=None):
    rows = rows or [
        ("ACH-000001", -0.1, -1.2, 0.05),
        ("ACH-000002", 0.2, np.nan, -2.0),
    ]
    frame = pd.DataFrame(rows, columns=[first, *genes])
    frame.to_csv(path, index=False)
    return path


def test_parse_gene_columns():
    symbols, entrez = parse_gene_columns(["A1BG (1)", "HLA-A (3105)", "plain"])
    assert symbols == ["A1BG", "HLA-A", "plain"]
    assert entrez == {"A1BG": 1, "HLA-A": 3105}


@pytest.mark.parametrize("first", ["", "ModelID"])
def test_gene_effect_layout(tmp_path, first):
    frame = read_depmap_gene_effect(_write_effect(tmp_path / "CRISPRGeneEffect.csv", first=first))
    assert list(frame.index) == ["ACH-000001", "ACH-000002"]
    assert list(frame.columns) == ["A1BG", "TP53", "KRAS"]
    assert frame.attrs["entrez"]["TP53"] == 7157
    assert frame.dtypes.iloc[0] == np.float32
    assert np.isnan(frame.loc["ACH-000002", "TP53"])


def test_gene_effect_duplicated_genes(tmp_path):
    path = _write_effect(tmp_path / "e.csv", genes=("A1BG (1)", "TP53 (7157)", "TP53 (9999)"))
    with pytest.raises(ValueError, match=r"duplicated gene column.*TP53"):
        read_depmap_gene_effect(path)


def test_gene_effect_all_nan_row(tmp_path):
    rows = [("ACH-000001", -0.1, -1.2, 0.05), ("ACH-000009", np.nan, np.nan, np.nan)]
    path = _write_effect(tmp_path / "e.csv", rows=rows)
    with pytest.raises(ValueError, match=r"all-NaN row.*ACH-000009"):
        read_depmap_gene_effect(path)
    frame = read_depmap_gene_effect(path, on_empty="drop")
    assert list(frame.index) == ["ACH-000001"]
    assert frame.attrs["dropped_empty_rows"] == ["ACH-000009"]


def test_gene_effect_non_numeric_names_row(tmp_path):
    rows = [("ACH-000001", -0.1, "oops", 0.05), ("ACH-000002", 0.2, 0.1, -2.0)]
    path = _write_effect(tmp_path / "e.csv", rows=rows)
    with pytest.raises(ValueError, match=r"TP53.*ACH-000001.*oops"):
        read_depmap_gene_effect(path)


def test_gene_dependency_range(tmp_path):
    good = _write_effect(tmp_path / "d.csv", rows=[("ACH-000001", 0.1, 0.9, 0.0)])
    assert read_depmap_gene_dependency(good).shape == (1, 3)
    bad = _write_effect(tmp_path / "bad.csv", rows=[("ACH-000001", 0.1, -1.5, 0.0)])
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*gene-effect"):
        read_depmap_gene_dependency(bad)


def test_expression_new_layout_keeps_default_entries(tmp_path):
    frame = pd.DataFrame(
        {
            "": [0, 1, 2],
            "SequencingID": ["CDS-1", "CDS-2", "CDS-3"],
            "ModelID": ["ACH-000001", "ACH-000001", "ACH-000002"],
            "IsDefaultEntryForModel": ["Yes", "No", "Yes"],
            "ModelConditionID": ["MC-1", "MC-2", "MC-3"],
            "IsDefaultEntryForMC": ["Yes", "Yes", "Yes"],
            "TSPAN6 (7105)": [1.0, 9.0, 2.0],
            "TNMD (64102)": [0.0, 9.0, 0.5],
        }
    )
    frame.to_csv(tmp_path / "OmicsExpressionProteinCodingGenesTPMLogp1.csv", index=False)
    out = read_depmap_expression(tmp_path / "OmicsExpressionProteinCodingGenesTPMLogp1.csv")
    assert list(out.index) == ["ACH-000001", "ACH-000002"]
    assert list(out.columns) == ["TSPAN6", "TNMD"]
    assert out.loc["ACH-000001", "TSPAN6"] == 1.0


def test_expression_old_layout(tmp_path):
    path = _write_effect(tmp_path / "expr.csv", genes=("TSPAN6 (7105)", "TNMD (64102)", "DPM1 (8813)"))
    assert read_depmap_expression(path).shape == (2, 3)


def test_model_csv(tmp_path):
    pd.DataFrame(
        {
            "ModelID": ["ACH-000001", "ACH-000002"],
            "CellLineName": ["NIH:OVCAR-3", "HL-60"],
            "OncotreeLineage": ["Ovary/Fallopian Tube", ""],
        }
    ).to_csv(tmp_path / "Model.csv", index=False)
    model = read_depmap_model(tmp_path / "Model.csv")
    assert model.loc["ACH-000001", "tissue"] == "Ovary/Fallopian Tube"
    assert model.loc["ACH-000002", "tissue"] == "unknown"
    pd.DataFrame({"ModelID": ["ACH-1", "ACH-1"]}).to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(ValueError, match=r"duplicated ModelID.*ACH-1"):
        read_depmap_model(tmp_path / "dup.csv")


def _write_classes(path, values):
    frame = pd.DataFrame(
        {"gene_name": ["A1BG", "TP53"], "entrez_id": [1, 7157], "X_LUNG": values[0], "Y_SKIN": values[1]}
    )
    frame.to_csv(path, index=False)
    return path


def test_oncodb_classes(tmp_path):
    frame = read_oncodb_dependency_classes(_write_classes(tmp_path / "c.csv", [[0, 2], [1, None]]))
    assert list(frame.index) == ["X_LUNG", "Y_SKIN"]
    assert frame.loc["X_LUNG", "TP53"] == 2
    assert np.isnan(frame.loc["Y_SKIN", "TP53"])
    assert frame.attrs["entrez"] == {"A1BG": 1, "TP53": 7157}
    with pytest.raises(ValueError, match=r"not in \{0, 1, 2\}"):
        read_oncodb_dependency_classes(_write_classes(tmp_path / "bad.csv", [[0, 5], [1, 0]]))


def test_deepdep_table_duplicates(tmp_path):
    text = "Gene\tCCL_A\tCCL_B\nA1BG\t1\t2\nACE\t3\t4\nACE\t5\t6\n"
    (tmp_path / "t.txt").write_text(text)
    with pytest.raises(ValueError, match=r"duplicated gene.*ACE"):
        read_deepdep_table(tmp_path / "t.txt")
    out = read_deepdep_table(tmp_path / "t.txt", duplicates="mean")
    assert out.loc["CCL_A", "ACE"] == 4.0
    assert out.attrs["merged_duplicate_genes"] == 1


def test_egbench_universe(tmp_path):
    pd.DataFrame({"gene_symbol": ["A", "B"], "official_common_essential": [1, 0], "strongly_selective": [0, 1]}).to_csv(
        tmp_path / "u.csv", index=False
    )
    u = read_egbench_gene_universe(tmp_path / "u.csv")
    assert u["common_essential"].tolist() == [True, False]
    assert u["strongly_selective"].tolist() == [False, True]
