"""`cellresponse de` / `explore` / `enrich` end to end on small files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cellresponse.cli import main


def _load_make_counts():
    """The seeded count generator of tests/de/conftest.py (no test packages here)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "de" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_de_synthetic_counts", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.make_counts


make_counts = _load_make_counts()


@pytest.fixture
def count_files(tmp_path):
    counts, samples = make_counts(n_genes=200, seed=3)
    cpath = tmp_path / "counts.tsv"
    counts.T.rename_axis("gene_id").to_csv(cpath, sep="\t")
    spath = tmp_path / "samples.csv"
    samples.rename_axis("sample").to_csv(spath)
    return cpath, spath


def test_de_deseq2_outputs(count_files, tmp_path, capsys):
    cpath, spath = count_files
    out = tmp_path / "out"
    rc = main(
        [
            "de",
            "--counts",
            str(cpath),
            "--samples",
            str(spath),
            "--design",
            "~ donor + condition",
            "--contrast",
            "condition,drug,ctrl",
            "--out",
            str(out),
            "--formats",
            "png",
        ]
    )
    assert rc == 0
    assert "at padj < 0.1" in capsys.readouterr().out
    table = pd.read_csv(out / "de_results.csv")
    from cellresponse.de import DE_COLUMNS, validate_de_table

    assert list(table.columns) == list(DE_COLUMNS)
    validate_de_table(table)
    assert table["log2fc_shrunk"].notna().any()
    for name in ("volcano", "ma", "pca", "heatmap"):
        assert (out / "plots" / f"{name}.png").is_file()
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4
    assert "residual degrees of freedom" in html
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["design"] == "~ donor + condition"
    assert len(run["inputs"]) == 2
    assert all(len(v["sha256"]) == 64 for v in run["inputs"].values())
    assert run["cellresponse_version"]


def test_de_welch_paired(count_files, tmp_path):
    cpath, spath = count_files
    out = tmp_path / "w"
    rc = main(
        [
            "de",
            "--counts",
            str(cpath),
            "--samples",
            str(spath),
            "--method",
            "mannwhitney",
            "--linear",
            "--pair-by",
            "donor",
            "--contrast",
            "condition,drug,ctrl",
            "--out",
            str(out),
            "--formats",
            "svg",
        ]
    )
    assert rc == 0
    assert (out / "plots" / "volcano.svg").is_file()
    assert json.loads((out / "run.json").read_text())["summary"]["method"] == "wilcoxon"


def test_de_user_errors(count_files, tmp_path, capsys):
    cpath, spath = count_files
    base = ["de", "--counts", str(cpath), "--samples", str(spath), "--out", str(tmp_path)]
    assert main([*base, "--contrast", "condition,drug"]) == 2
    assert "FACTOR,TEST,REFERENCE" in capsys.readouterr().err
    assert main([*base, "--contrast", "condition,drug,placebo"]) == 2
    assert "'placebo' does not occur" in capsys.readouterr().err
    bad = pd.read_csv(cpath, sep="\t", index_col=0).astype(float)
    bad.iloc[0, 0] = 0.5
    bad.to_csv(tmp_path / "bad.tsv", sep="\t")
    rc = main(
        [
            "de",
            "--counts",
            str(tmp_path / "bad.tsv"),
            "--samples",
            str(spath),
            "--contrast",
            "condition,drug,ctrl",
            "--out",
            str(tmp_path),
        ]
    )
    assert rc == 2
    assert "non-negative integer counts" in capsys.readouterr().err


def test_explore_cli(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b", "c"], 20)
    x = rng.normal(size=(60, 40))
    for i, c in enumerate("abc"):
        x[y == c, i] += 2
    ids = [f"s{i}" for i in range(60)]
    pd.DataFrame(x, index=pd.Index(ids, name="sample"), columns=[f"g{j}" for j in range(40)]).to_csv(tmp_path / "x.csv")
    pd.DataFrame({"sample": ids, "cls": y}).to_csv(tmp_path / "y.csv", index=False)
    out = tmp_path / "ex"
    rc = main(
        [
            "explore",
            "--matrix",
            str(tmp_path / "x.csv"),
            "--labels",
            str(tmp_path / "y.csv"),
            "--models",
            "logreg_l2,linear_svm",
            "--k-grid",
            "5,10",
            "--outer-folds",
            "3",
            "--inner-folds",
            "2",
            "--n-permutations",
            "3",
            "--n-jobs",
            "1",
            "--no-progress",
            "--min-class-size",
            "5",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    summary = pd.read_csv(out / "cv_summary.csv")
    assert set(summary["model"]) == {"logreg_l2", "linear_svm"}
    assert (summary.loc[summary["metric"] == "roc_auc_ovr_macro", "mean"] > 0.8).all()
    for f in (
        "cv_scores.csv",
        "best_params.csv",
        "top_genes.csv",
        "univariate.csv",
        "permutation.json",
        "embedding.csv",
        "report.html",
        "run.json",
    ):
        assert (out / f).is_file(), f
    assert (out / "report.html").read_text().count("data:image/png;base64,") == 4


def test_enrich_cli(tmp_path, real_data_root, capsys):
    genes = tmp_path / "genes.txt"
    genes.write_text("DUSP1\nKLF15\nPER1\nTSC22D3\nFKBP5\nZBTB16\nSGK1\nKLF9\nDDIT4\nFOXO3\n")
    out = tmp_path / "en"
    assert main(["enrich", "--genes", str(genes), "--out", str(out)]) == 0
    t = pd.read_csv(out / "enrichment.csv")
    assert (t["padj"] >= t["pvalue"]).all()
    assert (out / "plots" / "dotplot.png").is_file()
    assert json.loads((out / "run.json").read_text())["n_query_genes"] == 10


def test_report_autoescapes():
    from cellresponse.report._analysis import render_de_report

    html = render_de_report(
        title="<b>t</b>",
        summary={
            "method": "welch",
            "design": "x",
            "contrast": ["c", "a", "b"],
            "n_genes": 1,
            "n_tested": 1,
            "alpha": 0.1,
            "n_significant": 0,
            "n_up": 0,
            "n_down": 0,
        },
        figures={"f": "iVBORw0KGgo="},
        tables={"t": pd.DataFrame({"gene": ["<script>"]})},
        notes=["<script>alert(1)</script>"],
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "data:image/png;base64,iVBORw0KGgo=" in html
