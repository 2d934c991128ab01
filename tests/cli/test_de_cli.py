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
    base = ["de", "--counts", str(cpath), "--samples", str(spath), "--out", str(tmp_path / "out")]
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
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2
    assert "non-negative integer counts" in capsys.readouterr().err


@pytest.fixture
def explore_files(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b", "c"], 20)
    x = rng.normal(size=(60, 40))
    for i, c in enumerate("abc"):
        x[y == c, i] += 2
    ids = [f"s{i}" for i in range(60)]
    pd.DataFrame(x, index=pd.Index(ids, name="sample"), columns=[f"g{j}" for j in range(40)]).to_csv(tmp_path / "x.csv")
    pd.DataFrame({"sample": ids, "cls": y}).to_csv(tmp_path / "y.csv", index=False)
    return tmp_path / "x.csv", tmp_path / "y.csv"


EXPLORE_FLAGS = [
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
]


def test_explore_cli(explore_files, tmp_path):
    xpath, ypath = explore_files
    out = tmp_path / "ex"
    rc = main(["explore", "--matrix", str(xpath), "--labels", str(ypath), *EXPLORE_FLAGS, "--out", str(out)])
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


def _assert_same_outputs(cli_out: Path, py_out: Path, files: list[str]) -> dict:
    """The files are byte-identical and run.json differs only in the output folder."""
    for name in files:
        assert (cli_out / name).read_bytes() == (py_out / name).read_bytes(), name
    cli_run, py_run = (json.loads((d / "run.json").read_text()) for d in (cli_out, py_out))
    assert (cli_run["config"].pop("out"), py_run["config"].pop("out")) == (str(cli_out), str(py_out))
    assert cli_run == py_run
    return py_run


def test_de_from_python_matches_cli(count_files, tmp_path):
    from cellresponse.pipeline import DEConfig, run_de

    cpath, spath = count_files
    flags = ["--counts", str(cpath), "--samples", str(spath), "--method", "welch", "--contrast", "condition,drug,ctrl"]
    assert main(["de", *flags, "--linear", "--formats", "png", "--out", str(tmp_path / "cli")]) == 0
    cfg = DEConfig(
        counts=str(cpath),
        samples=str(spath),
        method="welch",
        contrast=["condition", "drug", "ctrl"],
        log_scale=False,
        formats=["png"],
        out=str(tmp_path / "py"),
    )
    analysis = run_de(cfg)
    plots = [f"plots/{name}.png" for name in ("volcano", "ma", "pca", "heatmap")]
    run = _assert_same_outputs(tmp_path / "cli", tmp_path / "py", ["de_results.csv", "report.html", *plots])
    # the run records the resolved config: the default design and the formats asked for
    assert run["config"]["design"] == "~ condition" and run["config"]["formats"] == ["png"]
    assert run["summary"] == analysis.summary() and run["notes"] == list(analysis.notes)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "py" / "de_results.csv"), analysis.result.table)


def test_explore_from_python_matches_cli(explore_files, tmp_path):
    from cellresponse.pipeline import ExploreConfig, run_explore

    xpath, ypath = explore_files
    out = tmp_path / "cli"
    assert main(["explore", "--matrix", str(xpath), "--labels", str(ypath), *EXPLORE_FLAGS, "--out", str(out)]) == 0
    cfg = ExploreConfig(
        matrix=str(xpath),
        labels=str(ypath),
        min_class_size=5,
        models=["logreg_l2", "linear_svm"],
        k_grid=[5, 10],
        outer_folds=3,
        inner_folds=2,
        n_permutations=3,
        n_jobs=1,
        progress=False,
        out=str(tmp_path / "py"),
    )
    analysis = run_explore(cfg)
    tables = ["cv_scores.csv", "cv_summary.csv", "best_params.csv", "univariate.csv", "top_genes.csv"]
    plots = ["plots/1_pca.png", "plots/2_nested-cv.png", "plots/3_top.png", "plots/4_permutation.png"]
    files = [*tables, *plots, "embedding.csv", "permutation.json", "report.html"]
    run = _assert_same_outputs(tmp_path / "cli", tmp_path / "py", files)
    assert run["summary"] == analysis.summary() and run["summary"]["best_model"] == analysis.best_model


def test_enrich_from_python_matches_cli(tmp_path, real_data_root):
    from cellresponse.pipeline import EnrichConfig, run_enrich

    genes = tmp_path / "genes.txt"
    genes.write_text("DUSP1\nKLF15\nPER1\nTSC22D3\nFKBP5\nZBTB16\nSGK1\nKLF9\nDDIT4\nFOXO3\n")
    assert main(["enrich", "--genes", str(genes), "--max-size", "300", "--out", str(tmp_path / "cli")]) == 0
    table = run_enrich(EnrichConfig(genes=str(genes), max_size=300, out=str(tmp_path / "py")))
    run = _assert_same_outputs(tmp_path / "cli", tmp_path / "py", ["enrichment.csv", "plots/dotplot.png"])
    assert run["n_terms_tested"] == len(table) and (table["term_size"] <= 300).all()


def test_enrich_de_results_through_a_gene_map(tmp_path, real_data_root):
    """The README's airway flow: DE genes keyed by Ensembl IDs, translated to symbols."""
    from cellresponse.pipeline import EnrichConfig, run_enrich

    up = ["DUSP1", "KLF15", "PER1", "TSC22D3", "FKBP5", "ZBTB16", "SGK1", "KLF9", "DDIT4", "FOXO3"]
    background = ["ACTB", "GAPDH", "TP53", "MYC", "EGFR", "KRAS", "PTEN", "RB1", "CDK4", "MDM2"]
    symbols = [*up, *background, "CDKN1A"]
    ids = [f"ENSG{i:011d}" for i in range(len(symbols))]
    de = pd.DataFrame(
        {
            "gene": ids,
            "log2fc": [2.0] * len(up) + [0.1] * len(background) + [-2.0],
            "pvalue": [1e-6] * len(up) + [0.5] * len(background) + [1e-6],
            "padj": [1e-5] * len(up) + [0.6] * len(background) + [1e-5],
        }
    )
    de.to_csv(tmp_path / "de_results.csv", index=False)
    pd.DataFrame({"id": ids[:-1], "symbol": symbols[:-1]}).to_csv(tmp_path / "map.csv", index=False)
    cfg = EnrichConfig(
        de_results=str(tmp_path / "de_results.csv"),
        direction="up",
        gene_map=str(tmp_path / "map.csv"),
        min_size=1,
        out=str(tmp_path / "en"),
    )
    table = run_enrich(cfg)
    run = json.loads((tmp_path / "en" / "run.json").read_text())
    assert run["n_query_genes"] == len(up)
    # the universe is the tested genes (translated): every term's size is counted within it
    assert table["universe_size"].iloc[0] <= len(symbols) - 1
    assert table.head(5)["term"].str.contains("corticosteroid|glucocorticoid|steroid").any()


def test_analysis_configs_check_their_settings(tmp_path):
    from cellresponse.pipeline import DEConfig, EnrichConfig, ExploreConfig, run_de, run_enrich, run_explore

    with pytest.raises(ValueError, match="counts is required"):
        run_de(DEConfig(contrast=["a", "b", "c"], out=str(tmp_path)))
    with pytest.raises(ValueError, match="FACTOR,TEST,REFERENCE"):
        run_de(DEConfig(counts="x.tsv", out=str(tmp_path)))
    resolved = DEConfig(counts="x.tsv", contrast=["dex", "trt", "untrt"]).resolved()
    assert (resolved.design, resolved.formats) == ("~ dex", ["png", "svg"])
    with pytest.raises(ValueError, match="--preset gdsc-tissue"):
        run_explore(ExploreConfig(matrix="x.csv", out=str(tmp_path)))
    with pytest.raises(ValueError, match="preset must be one of"):
        run_explore(ExploreConfig(preset="ccle", out=str(tmp_path)))
    with pytest.raises(ValueError, match="exactly one of --genes and --de-results"):
        run_enrich(EnrichConfig(out=str(tmp_path)))
    with pytest.raises(ValueError, match="direction must be one of"):
        run_enrich(EnrichConfig(genes="g.txt", direction="sideways", out=str(tmp_path)))
    assert not list(tmp_path.iterdir())  # nothing is written for a bad config


def test_cli_choices_are_the_library_choices():
    from cellresponse.cli import de as de_cli
    from cellresponse.cli import explore as explore_cli
    from cellresponse.de import DE_METHODS
    from cellresponse.explore import PRESETS

    assert de_cli.METHODS == DE_METHODS and explore_cli.PRESETS == PRESETS


def test_report_autoescapes():
    from cellresponse.report import render_analysis_report

    html = render_analysis_report(
        "de",
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
