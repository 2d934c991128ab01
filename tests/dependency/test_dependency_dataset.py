"""The dependency Dataset builder, its bad-input errors, and dependency scoring."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from cellresponse.data import FeatureView
from cellresponse.datasets._dependency import (
    dependency_dataset,
    gene_sets,
    load_depmap_gene_effect,
    prepare_leave_tissue_out,
)
from cellresponse.metrics import (
    auroc,
    gene_sets_from_meta,
    paired_gene_tests,
    per_gene_scores,
    score_dependency,
)


def _view(lines, n=4, seed=0):
    rng = np.random.default_rng(seed)
    return FeatureView("expression", lines, rng.normal(size=(len(lines), n)), [f"F{i}" for i in range(n)])


def test_panel_is_a_dependency_dataset(dependency_panel):
    ds = dependency_panel
    assert ds.task == "dependency" and ds.perturbation_kind == "gene" and ds.target == "gene_effect"
    assert ds.info["coverage"]["lines_kept"] == 40
    assert ds.info["coverage"]["missing_entries_dropped"] == 1
    assert len(ds) == 40 * 25 - 1
    assert set(ds.tissues) == {"lung", "skin", "blood", "breast"}


def test_lines_without_omics_are_dropped_and_reported(caplog):
    matrix = pd.DataFrame({"G1": [0.1, -0.5, 0.3]}, index=["ACH-1", "ACH-2", "ACH-3"])
    with caplog.at_level(logging.WARNING, logger="cellresponse"):
        ds = dependency_dataset(matrix, cell_views={"expression": _view(["ACH-1", "ACH-3"])})
    assert set(ds.cell_lines) == {"ACH-1", "ACH-3"}
    assert ds.info["coverage"]["lines_without_expression"] == ["ACH-2"]
    assert "lack omics" in caplog.text
    with pytest.raises(ValueError, match=r"no labelled cell line has a row"):
        dependency_dataset(matrix, cell_views={"expression": _view(["ACH-9", "ACH-8"])})


def test_duplicated_genes_and_empty_rows_raise():
    dup = pd.DataFrame([[0.1, 0.2]], index=["ACH-1"], columns=["TP53", "TP53"])
    with pytest.raises(ValueError, match=r"duplicated gene.*TP53"):
        dependency_dataset(dup, cell_views={"expression": _view(["ACH-1"])})
    empty = pd.DataFrame({"G": [0.1, np.nan]}, index=["ACH-1", "ACH-2"])
    with pytest.raises(ValueError, match=r"no value for any gene: ACH-2"):
        dependency_dataset(empty, cell_views={"expression": _view(["ACH-1", "ACH-2"])})


def test_classes_where_continuous_expected():
    codes = pd.DataFrame({"G": [0.0, 1.0, 2.0]}, index=["A", "B", "C"])
    view = {"expression": _view(["A", "B", "C"])}
    with pytest.raises(ValueError, match=r"look like dependency classes.*target_kind='classes'"):
        dependency_dataset(codes, cell_views=view)
    ds = dependency_dataset(codes, cell_views=view, target_kind="classes")
    assert ds.target == "dependency_class" and ds.info["target_kind"] == "classes"
    with pytest.raises(ValueError, match=r"needs codes 0/1/2"):
        dependency_dataset(codes + 0.5, cell_views=view, target_kind="classes")


def test_leave_tissue_out_skips_small_lineages(dependency_panel, caplog):
    ds = dependency_panel
    meta = ds.cell_meta.copy()
    meta.loc[meta.index[:2], "tissue"] = "rare"
    from dataclasses import replace

    ds2 = replace(ds, cell_meta=meta)
    with caplog.at_level(logging.WARNING, logger="cellresponse"):
        out, report = prepare_leave_tissue_out(ds2, min_lines=5)
    assert report["skipped_tissues"] == {"rare": 2}
    assert "rare" not in set(out.tissues)
    with pytest.raises(ValueError, match=r"needs at least 10"):
        prepare_leave_tissue_out(ds2, min_lines=5, n_folds=10)


def test_gene_sets_labels():
    classes = pd.DataFrame({"SEL": [0, 1, 0, 2] * 5, "CE": [1, 2, 2, 2] * 5, "NONE": [0] * 20})
    labels = gene_sets(classes, common_essential=["CE"])
    assert labels.loc["SEL", "selective"] and not labels.loc["CE", "selective"]
    assert labels.loc["CE", "common_essential"] and not labels.loc["NONE", "selective"]


def test_public_depmap_files_end_to_end(tmp_path):
    lines = [f"ACH-{i:06d}" for i in range(6)]
    rng = np.random.default_rng(1)
    effect = pd.DataFrame(rng.normal(size=(6, 3)), columns=["A1BG (1)", "TP53 (7157)", "KRAS (3845)"])
    effect.insert(0, "", lines)
    effect.loc[5, ["A1BG (1)", "TP53 (7157)", "KRAS (3845)"]] = np.nan
    effect.to_csv(tmp_path / "CRISPRGeneEffect.csv", index=False)
    pd.DataFrame({"ModelID": lines, "OncotreeLineage": ["Lung", "Lung", "Skin", "Skin", "Bowel", "Bowel"]}).to_csv(
        tmp_path / "Model.csv", index=False
    )
    expr = pd.DataFrame(rng.normal(size=(5, 2)), columns=["TSPAN6 (7105)", "TNMD (64102)"])
    expr.insert(0, "", [*lines[:4], "ACH-999999"])
    expr.to_csv(tmp_path / "OmicsExpressionProteinCodingGenesTPMLogp1.csv", index=False)
    ds = load_depmap_gene_effect(
        tmp_path / "CRISPRGeneEffect.csv",
        model=tmp_path / "Model.csv",
        expression=tmp_path / "OmicsExpressionProteinCodingGenesTPMLogp1.csv",
    )
    assert sorted(set(ds.cell_lines)) == lines[:4]
    assert ds.info["dropped_empty_lines"] == [lines[5]]
    assert ds.info["coverage"]["lines_without_expression"] == [lines[4]]
    assert set(ds.tissues) == {"Lung", "Skin"}
    assert set(ds.perturbations) == {"A1BG", "TP53", "KRAS"}


def test_auroc_matches_sklearn():
    rng = np.random.default_rng(0)
    y = rng.random(50) < 0.3
    s = np.round(rng.normal(size=50) + y, 1)  # ties
    assert auroc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert np.isnan(auroc(np.zeros(5), np.arange(5)))


def test_per_gene_scores_and_sets():
    rng = np.random.default_rng(0)
    genes = np.repeat(["A", "B", "C"], 30)
    y = rng.integers(0, 3, size=90).astype(float)
    pred = y + rng.normal(scale=0.5, size=90)
    pred[genes == "C"] = rng.normal(size=30)
    table = per_gene_scores(y, pred, genes=genes)
    auc = table[table.metric == "auroc"].set_index("gene")["value"]
    assert auc["A"] > 0.8 and auc["B"] > 0.8 and abs(auc["C"] - 0.5) < 0.3
    long = score_dependency(y, pred, genes=genes, gene_sets={"sel": ["A", "B"]})
    assert set(long.columns) == {"metric", "group_by", "group", "value"}
    row = long[(long.metric == "per_gene_auroc_mean") & (long.group == "sel")]
    assert row["value"].iloc[0] == pytest.approx(auc[["A", "B"]].mean())
    with pytest.raises(ValueError, match=r"unknown dependency metric"):
        per_gene_scores(y, pred, genes=genes, metrics=("r2",))


def test_paired_gene_tests():
    genes = [f"g{i}" for i in range(20)]
    rows = [("good", g, "auroc", 0.7 + i * 0.001) for i, g in enumerate(genes)]
    rows += [("base", g, "auroc", 0.5) for g in genes]
    per_gene = pd.DataFrame(rows, columns=["model", "gene", "metric", "value"])
    res = paired_gene_tests(per_gene, reference="base")
    assert res.loc[0, "model"] == "good" and res.loc[0, "pvalue"] < 1e-3 and res.loc[0, "n"] == 20
    with pytest.raises(KeyError, match=r"reference model 'nope'"):
        paired_gene_tests(per_gene, reference="nope")


def test_gene_sets_from_meta(dependency_panel):
    sets = gene_sets_from_meta(dependency_panel.perturbation_meta)
    assert len(sets["common_essential"]) == 5
