"""``cellresponse biomarkers`` end to end: gdsctools-format files (a real slice) and a
registered dataset's view; outputs, report and errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cellresponse.cli import main

KNOWN = ["BRAF_mut", "BCR-ABL_mut", "TP53_mut", "EGFR_mut"]


@pytest.fixture(scope="module")
def gdsctools_files(real_data_root, tmp_path_factory):
    """Slices of the real gdsctools files, in their own format: 6 drugs x 40 features."""
    base = real_data_root / "gdsc_gdsctools"
    out = tmp_path_factory.mktemp("gdsctools")
    ic50 = pd.read_csv(base / "IC50_v17.csv.gz")
    ic50[["COSMIC_ID", *[f"Drug_{d}_IC50" for d in (1047, 1036, 1013, 119, 1, 134)]]].to_csv(
        out / "ic50.csv", index=False
    )
    feats = pd.read_csv(base / "genomic_features_v17.csv.gz")
    frequent = feats.columns[3:].tolist()[:36]
    feats[["COSMIC_ID", "TISSUE_FACTOR", "MSI_FACTOR", *dict.fromkeys(KNOWN + frequent)]].to_csv(
        out / "features.csv", index=False
    )
    return out / "ic50.csv", out / "features.csv", base / "DRUG_DECODE.csv"


def test_gdsctools_files_give_tables_plots_report_and_highlights(gdsctools_files, tmp_path, capsys):
    ic50, feats, decode = gdsctools_files
    out = tmp_path / "bm"
    code = main(
        [
            "biomarkers",
            "--ic50",
            str(ic50),
            "--features",
            str(feats),
            "--drug-decode",
            str(decode),
            "--per-tissue",
            "--tissues",
            "skin,leukemia",
            "--n-boxplots",
            "3",
            "--highlight",
            "1047:TP53_mut,1036:BRAF_mut,999:EGFR_mut",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "pan-cancer associations at FDR < 0.05" in printed and "TP53_mut" in printed
    table = pd.read_csv(out / "associations.csv.gz", dtype={"drug": str})
    assert set(table["scope"]) == {"pancan", "skin", "leukemia"}
    assert table[(table["scope"] == "pancan") & (table["drug"] == "1047")].iloc[0]["feature"] == "TP53_mut"
    for name in ("skipped.csv", "covariates.csv", "points.csv", "highlight.csv", "report.html", "run.json"):
        assert (out / name).is_file(), name
    assert {p.name for p in (out / "plots").glob("*.png")} == {"volcano.png", "01.png", "02.png", "03.png", "04.png"}
    points = pd.read_csv(out / "points.csv", dtype={"drug": str})
    assert points.groupby(["drug", "feature"]).ngroups == 3
    high = pd.read_csv(out / "highlight.csv", dtype={"drug": str})
    nutlin = high[(high["drug"] == "1047") & (high["scope"] == "pancan")].iloc[0]
    assert nutlin["drug_name"] == "Nutlin-3a" and nutlin["rank"] == 1 and nutlin["fdr"] < 1e-20
    assert high[high["drug"] == "999"]["scope"].tolist() == ["drug not in the inputs"]
    html = (out / "report.html").read_text()
    assert "Pan-cancer volcano" in html and "Highlighted pairs" in html and "Nutlin-3a" in html
    assert "C(tissue) + msi + feature" in html
    run = json.loads((out / "run.json").read_text())
    assert run["command"] == "biomarkers" and run["summary"]["n_tests"] == len(table)


def test_a_dataset_view_is_tested_with_its_tissues(tmp_path):
    out = tmp_path / "demo"
    assert main(["biomarkers", "--dataset", "gdsc2_demo", "--view", "mutation", "--out", str(out)]) == 0
    table = pd.read_csv(out / "associations.csv.gz")
    assert len(table) > 0 and set(table["feature_type"]) == {"binary"}
    assert set(table["covariates"]) <= {"tissue", "none"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --ic50 and --features"),
        (["--ic50", "x.csv"], "--ic50 and --features go together"),
        (["--dataset", "gdsc2_demo"], "needs --view"),
        (["--dataset", "gdsc2_demo", "--view", "mutation", "--fdr", "2"], "fdr must be in"),
        (["--dataset", "gdsc2_demo", "--view", "mutation", "--highlight", "nocolon"], "expected DRUG:FEATURE"),
        (["--dataset", "gdsc2_demo", "--view", "mutation", "--min-group", "0"], "min_group must be a positive"),
    ],
)
def test_bad_configs_are_one_line_errors(argv, message, tmp_path, capsys):
    assert main(["biomarkers", *argv, "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
