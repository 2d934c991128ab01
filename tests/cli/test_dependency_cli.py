"""``cellresponse benchmark --task dependency``: per-gene AUROC, gene sets, members, report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse.cli import main
from cellresponse.data import FeatureView
from cellresponse.datasets import _registry
from cellresponse.datasets._dependency import dependency_dataset
from cellresponse.results import read_results


def _panel(options: object) -> object:
    """40 lines (4 tissues) x 20 genes of dependency classes driven by 30 expression features."""
    rng = np.random.default_rng(0)
    lines = [f"ACH-{i:06d}" for i in range(46)]
    genes = [f"G{g}" for g in range(20)]
    expr = rng.normal(size=(46, 30)).astype(np.float32)
    w = rng.normal(scale=0.6, size=(30, 20)) * (rng.random((30, 20)) < 0.3)
    effect = expr[:40] @ w + rng.normal(scale=0.3, size=(40, 20)) + rng.normal(scale=0.5, size=20)
    classes = np.digitize(-effect, [0.0, 1.0]).astype(float)
    tissues = np.array(["lung", "skin", "blood", "breast"])[np.arange(40) % 4]
    return dependency_dataset(
        pd.DataFrame(classes, index=lines[:40], columns=genes),
        cell_views={"expression": FeatureView("expression", lines, expr, [f"F{j}" for j in range(30)])},
        cell_meta=pd.DataFrame({"tissue": tissues}, index=lines[:40]),
        target_kind="classes",
        gene_meta=pd.DataFrame({"gene_set": ["selective"] * 15 + ["common_essential"] * 5}, index=genes),
        name="tiny_dependency",
    )


@pytest.fixture
def tiny_dataset(monkeypatch, tmp_path):
    monkeypatch.setitem(_registry._DATASETS, "tiny_dependency", (_panel, ("dependency_class",), "test panel"))
    monkeypatch.setenv("CELLRESPONSE_CACHE", str(tmp_path / "cache"))


def test_dependency_benchmark_cli(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "dep"
    rc = main(["benchmark", "--task", "dependency", "--dataset", "tiny_dependency", "--split", "lto",
               "--folds", "2", "--models", "leap,ridge_per_drug", "--min-group-size", "5",
               "--param", "leap.representations=['raw','pca']", "--param", "leap.predictors=['ridge','knn']",
               "--param", "leap.seeds=[0]", "--param", "leap.n_components=4",
               "--param", "ridge_per_drug.n_top_genes=20", "--out", str(out), "--no-progress"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    res = read_results(out)
    pooled = res.summary
    # Generic per-gene metrics and the dependency scorer's AUROC, per fold and across folds.
    assert {"per_gene_pearson_mean", "per_gene_auroc_mean"} <= set(pooled["metric"])
    assert (res.results[(res.results["fold"] == 0) & (res.results["metric"] == "auroc")]["group_by"] == "gene").all()
    auc = pooled[(pooled["metric"] == "auroc") & (pooled["group_by"] == "gene")]["value"]
    assert len(auc) and auc.between(0, 1).all()
    # Constant-within-fold baselines rank no line above another: AUROC exactly 0.5.
    gm = pooled[(pooled["model"] == "drug_mean") & (pooled["metric"] == "per_gene_auroc_mean")]["value"]
    assert np.allclose(gm, 0.5)
    # Gene-set breakdown for models and ensemble members.
    sets = pooled[pooled["group_by"] == "gene_set"]
    assert {"all", "selective", "common_essential"} <= set(sets["group"])
    assert any(m.startswith("leap/expression:raw") for m in sets["model"])
    # Paired tests over genes: vs the baselines and vs the best member, per gene set.
    auroc_tests = res.stats[res.stats["metric"] == "per_gene_auroc"]
    assert "selective" in set(auroc_tests["subset"]) and set(auroc_tests["over"]) == {"gene"}
    assert auroc_tests[auroc_tests["model"] == "leap"]["reference"].str.startswith("leap/").any()
    # Members stay out of the leaderboard; the combiner table is written per fold.
    cfg = res.config
    assert not any("/" in m for m in cfg["models"]) and not any("/" in m for m in res.leaderboard.index)
    combiner = pd.read_csv(out / "extras" / "leap.combiner.csv")
    assert set(combiner["fold"]) == {0, 1} and {"raw", "pca"} <= set(combiner["representation"].dropna())
    html = (out / "report.html").read_text()
    assert "Ensemble members: leap" in html and "Scores by gene set" in html
