"""Bundles and the library functions behind the service (no HTTP)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cellresponse import pipeline
from cellresponse.datasets import load_dataset
from cellresponse.enrich import ConnectivityQuery
from cellresponse.models import load_model
from cellresponse.pipeline import QueryError


def test_bundle_records_features_provenance_and_scores(bundles):
    ridge = bundles["gdsc2-demo-ridge"]
    info = ridge.info
    demo = load_dataset("gdsc2_demo")
    assert info["provenance"]["dataset_fingerprint"] == demo.fingerprint()
    assert info["provenance"]["n_train"] == len(demo) and info["provenance"]["valid_fraction"] == 0.0
    assert info["features"]["cell_views"]["expression"]["n_features"] == 1000
    assert info["model"]["params"]["n_top_genes"] == 2000
    scores = info["scores"]
    assert scores["split_mode"] == "cell_line" and scores["n_folds"] == 3
    names = {row["model"] for row in scores["table"]}
    assert {"ridge_per_drug", "tissue_drug_mean", "mean_effects"} <= names
    assert scores["best_baseline"] == "tissue_drug_mean" and scores["test"]["reference"] == "tissue_drug_mean"
    expr = bundles["a375-expr-ridge"]
    assert len(expr.target_names or []) == 978 and expr.ranges()["dose"]["max"] == 10.0
    assert expr.fingerprint == {"radius": 2, "n_bits": 2048}
    # the model expr_ridge is itself a task baseline: it is tested against the best other one
    assert expr.info["scores"]["test"]["reference"] != "expr_ridge"
    # a bundle is still a plain saved model
    assert load_model(ridge.path).registry_name == "ridge_per_drug"


def test_train_writes_a_bundle_with_extra_blocks(tmp_path):
    data = load_dataset("gdsc2_demo")
    pipeline.train(
        data,
        model="drug_mean",
        out=tmp_path / "m",
        cv_folds=0,
        bundle_extras={"name": "dm", "calibration": {"level": 0.9, "q": [1.5]}},
    )
    bundle = pipeline.read_bundle(tmp_path / "m")
    assert bundle.name == "dm" and bundle.calibration == {"level": 0.9, "q": [1.5]}
    assert bundle.info["scores"] is None and "not cross-validated" in bundle.info["scores_note"]
    assert bundle.summary()["has_calibration"] and not bundle.summary()["has_explanations"]
    with pytest.raises(ValueError, match="--cv-folds must be 0"):
        pipeline.train(data, model="drug_mean", out=tmp_path / "x", cv_folds=1)


def test_read_bundle_errors(tmp_path, bundles):
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        pipeline.read_bundle(tmp_path / "missing")
    load_dataset("gdsc2_demo")
    from cellresponse.models import make_model

    make_model("drug_mean").fit(load_dataset("gdsc2_demo")).save(tmp_path / "old")
    with pytest.raises(FileNotFoundError, match="saved before bundles existed"):
        pipeline.read_bundle(tmp_path / "old")
    src = bundles["gdsc2-demo-ridge"].path
    (tmp_path / "b").mkdir()
    doc = json.loads((src / "bundle.json").read_text())
    (tmp_path / "b" / "bundle.json").write_text(json.dumps({**doc, "format_version": 99}))
    with pytest.raises(ValueError, match="bundle format 99"):
        pipeline.read_bundle(tmp_path / "b")
    (tmp_path / "b" / "bundle.json").write_text(json.dumps(doc))
    with pytest.raises(FileNotFoundError, match=r"lacks model\.json"):
        pipeline.read_bundle(tmp_path / "b")


def test_predict_response_equals_the_model_on_the_dataset(bundles):
    bundle = bundles["gdsc2-demo-ridge"]
    demo = load_dataset("gdsc2_demo")
    rows = demo[np.arange(0, len(demo), 37)]
    got = pipeline.predict_response(bundle, pd.DataFrame({"cell_line": rows.cell_lines, "drug": rows.perturbations}))
    want = bundle.model().predict(rows)
    np.testing.assert_allclose(got["prediction"], want, rtol=1e-6)


def test_cell_line_names_resolve_to_ids(bundles):
    bundle = bundles["gdsc2-demo-ridge"]
    meta = bundle.reference().cell_meta
    cid = bundle.cell_lines()[0]
    name = meta.loc[cid, "name"]
    out = pipeline.predict_response(bundle, pd.DataFrame({"cell_line": [name, cid], "drug": ["Docetaxel"] * 2}))
    assert out["cell_line"].tolist() == [name, cid] and out["prediction"].iloc[0] == out["prediction"].iloc[1]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"omics": {"expression": pd.DataFrame({"A": [1.0]}, index=["N"])}},
            "omics.expression",
            "features are missing",
        ),
        ({"omics": {"cnv": pd.DataFrame({"A": [1.0]}, index=["N"])}}, "omics", "reads no cell-line view 'cnv'"),
        ({"smiles": {"x": "CCO"}}, "smiles", "reads no drug features"),
        ({"on_unknown": "zero"}, "on_unknown", "'error' or 'nan'"),
    ],
)
def test_predict_response_bad_input(bundles, kwargs, field, message):
    pairs = pd.DataFrame({"cell_line": ["N"], "drug": ["Docetaxel"]})
    with pytest.raises(QueryError, match=message) as err:
        pipeline.predict_response(bundles["gdsc2-demo-ridge"], pairs, **kwargs)
    assert err.value.field == field


def test_new_omics_rows_need_every_view_and_finite_values(bundles):
    bundle = bundles["gdsc2-demo-enet"]
    ref = bundle.reference()
    known = bundle.cell_lines()[0]
    frames = {v: f.to_frame().loc[[known]].rename(index={known: "N"}) for v, f in ref.cell_views.items()}
    pairs = pd.DataFrame({"cell_line": ["N", known], "drug": ["Docetaxel"] * 2})
    out = pipeline.predict_response(bundle, pairs, omics=frames)
    assert out["prediction"].iloc[0] == pytest.approx(out["prediction"].iloc[1], rel=1e-5)
    with pytest.raises(QueryError, match="need rows in every view"):
        pipeline.predict_response(bundle, pairs, omics={"expression": frames["expression"]})
    bad = frames["mutation"].copy()
    bad.iloc[0, 2] = np.inf
    with pytest.raises(QueryError, match="non-finite value"):
        pipeline.predict_response(bundle, pairs, omics={**frames, "mutation": bad})


def test_expression_queries_match_predict_signature(bundles):
    from cellresponse.models.expression import predict_signature

    bundle = bundles["a375-expr-ridge"]
    smiles = bundle.perturbations().loc["vemurafenib", "smiles"]
    by_id = pipeline.predict_expression(bundle, compound="vemurafenib", cell_line="A375", dose=1.11, time=24)
    by_smiles = pipeline.predict_expression(bundle, smiles=smiles, cell_line="A375", dose=1.11, time=24)
    direct = predict_signature(bundle.model(), smiles=smiles, cell_line="A375", dose=1.11, time=24)
    np.testing.assert_allclose(by_id.to_numpy(), direct.to_numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(by_smiles.to_numpy(), direct.to_numpy(), rtol=1e-5, atol=1e-6)
    curve = pipeline.expression_dose_curve(
        bundle, compound="vemurafenib", cell_line="A375", time=24, genes=["dusp6"], doses=[0.1, 1.11, 10]
    )
    assert list(curve.columns) == ["DUSP6"] and curve.loc[1.11, "DUSP6"] == pytest.approx(by_id["DUSP6"], abs=1e-5)


@pytest.mark.parametrize(
    ("dose", "time", "field", "message"),
    [
        (float("inf"), 24, "dose", "finite number"),
        (float("nan"), 24, "dose", "finite number"),
        (0.0, 24, "dose", r"must lie in \[1e-06, 10000\]"),
        (1.0, -3, "time", "must lie in"),
    ],
)
def test_dose_and_time_are_finite_and_in_range(bundles, dose, time, field, message):
    with pytest.raises(QueryError, match=message) as err:
        pipeline.predict_expression(
            bundles["a375-expr-ridge"], compound="vemurafenib", cell_line="A375", dose=dose, time=time
        )
    assert err.value.field == field


def test_repurpose_library_upload_and_missing_genes(bundles):
    bundle = bundles["a375-expr-ridge"]
    smiles = bundle.perturbations()["smiles"]
    sig = pipeline.predict_expression(bundle, compound="dasatinib", cell_line="A375", dose=10, time=24)
    order = sig.sort_values()
    query = ConnectivityQuery(up=(*order.index[-30:], "NOT_A_GENE"), down=tuple(order.index[:30]))
    with pytest.raises(QueryError, match="NOT_A_GENE") as err:
        pipeline.repurpose(bundle, query, cell_line="A375", dose=10, time=24)
    assert err.value.field == "up"
    result = pipeline.repurpose(bundle, query, cell_line="A375", dose=10, time=24, allow_missing_genes=True)
    assert result.genes_dropped == ["NOT_A_GENE"] and result.table["compound"].iloc[0] == "dasatinib"
    lib = {"dasa": smiles["dasatinib"], "vem": smiles["vemurafenib"], "asp": "CC(=O)Oc1ccccc1C(=O)O"}
    ranked = pipeline.repurpose(
        bundle, query, cell_line="A375", dose=10, time=24, library=lib, allow_missing_genes=True, mode="reverse"
    ).table
    assert set(ranked["compound"]) == set(lib) and ranked["compound"].iloc[-1] == "dasa"
    with pytest.raises(QueryError, match="invalid SMILES") as err:
        pipeline.repurpose(
            bundle, query, cell_line="A375", dose=10, time=24, library={"x": "C1CC(("}, allow_missing_genes=True
        )
    assert err.value.field == "library"


def test_embedded_a375_plate_matches_the_data_root(real_data_root):
    demo = load_dataset("lincs_a375_demo")
    full = load_dataset("lincs_a375", root=real_data_root)
    assert demo.y.shape == full.y.shape == (280, 978) and demo.target_names == full.target_names
    np.testing.assert_allclose(demo.y, full.y, atol=5e-4 * np.abs(full.y).max())
    assert (
        demo.obs[["cell_line", "perturbation"]].to_numpy() == full.obs[["cell_line", "perturbation"]].to_numpy()
    ).all()
    np.testing.assert_array_equal(
        demo.perturbation_view("morgan").values,
        full.perturbation_view("morgan").lookup(demo.perturbation_view("morgan").ids),
    )


def test_embedded_plate_is_package_data_and_small():
    from pathlib import Path

    import cellresponse

    folder = Path(cellresponse.__file__).parent / "_embedded" / "lincs_a375"
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 2_000_000 and (folder / "LICENSE_DATA.md").is_file()
    assert "BSD 3-Clause" in (folder / "LICENSE_DATA.md").read_text()
    pyproject = (Path(cellresponse.__file__).parents[2] / "pyproject.toml").read_text()
    assert '"_embedded/*/*"' in pyproject and '"service/static/*"' in pyproject


def test_a_failed_cross_validation_is_recorded_not_fatal(tmp_path):
    from cellresponse.data.synthetic import make_response_dataset

    data = make_response_dataset(n_cell_lines=3, n_genes=5, n_drugs=2, random_state=0)
    pipeline.train(data, model="drug_mean", out=tmp_path / "m", valid_fraction=0.0, cv_folds=5)
    bundle = pipeline.read_bundle(tmp_path / "m")
    assert bundle.info["scores"] is None and bundle.info["scores_note"].startswith("cross-validation failed")


def test_interval_and_novelty_columns_flow_into_response_rows():
    """Columns a calibrated bundle's predictions carry reach the JSON rows unchanged."""
    from cellresponse.service._routes import _rows

    cols = {
        "prediction": np.array([1.5, np.nan]),
        "lower": np.array([1.0, np.nan]),
        "upper": np.array([2.0, np.nan]),
        "level": np.array([0.9, 0.9]),
        "flag": np.array(["", "outside domain"], dtype=object),
        "novelty_drug": np.array([0.2, 0.95]),
    }
    rows = _rows(["a", "b"], ["d1", "d2"], cols)
    assert rows[0] == {
        "cell_line": "a",
        "drug": "d1",
        "prediction": 1.5,
        "lower": 1.0,
        "upper": 2.0,
        "level": 0.9,
        "flag": "",
        "novelty": {"drug": 0.2},
    }
    assert (
        rows[1]["prediction"] is None and rows[1]["flag"] == "outside domain" and rows[1]["novelty"] == {"drug": 0.95}
    )
