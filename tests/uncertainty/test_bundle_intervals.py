"""Bundles written by ``train`` serve intervals and novelty: ``predict_response``, the
precomputed table of the service and ``cellresponse predict --model BUNDLE``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cellresponse import pipeline
from cellresponse.cli import main
from cellresponse.pipeline import QueryError, predict_response, read_bundle
from cellresponse.uncertainty import load_calibrated

INTERVAL_COLUMNS = [
    "lower",
    "upper",
    "level",
    "novelty_drug",
    "novelty_drug_train_pairs",
    "novelty_cell_line",
    "novelty_tissue_unseen",
    "flag",
]


@pytest.fixture
def calibrated_bundle(response_ds, tmp_path):
    pipeline.train(response_ds, model="ridge_per_drug", out=tmp_path / "b", valid_fraction=0.25, cv_folds=0)
    return read_bundle(tmp_path / "b")


def _pairs(bundle, n_cells=3):
    cells = bundle.cell_lines()[:n_cells]
    drugs = list(bundle.perturbations().index)
    return pd.DataFrame({"cell_line": np.repeat(cells, len(drugs)), "drug": np.tile(drugs, len(cells))})


def test_a_calibrated_bundle_predicts_the_saved_models_intervals(calibrated_bundle, response_ds):
    bundle = calibrated_bundle
    assert bundle.calibration is not None and bundle.calibration["intervals"] and bundle.summary()["has_calibration"]
    pairs = _pairs(bundle)
    out = predict_response(bundle, pairs, level=0.8)
    assert list(out.columns) == ["cell_line", "drug", "prediction", *INTERVAL_COLUMNS] and out.attrs["intervals"]
    assert (out["lower"] < out["prediction"]).all() and (out["upper"] > out["prediction"]).all()
    assert (out["level"] == 0.8).all() and out["flag"].isna().all()  # known lines and drugs: inside the domain
    assert (out["novelty_drug"] == 0).all() and (out["novelty_cell_line"] == 0).all()
    # the same numbers as the calibrated model saved in the bundle, on the dataset's own rows
    rows = np.arange(0, len(response_ds), 7)
    sub = response_ds[rows]
    got = predict_response(bundle, pd.DataFrame({"cell_line": sub.cell_lines, "drug": sub.perturbations}), level=0.8)
    want = load_calibrated(bundle.path).predict_table(sub, level=0.8)
    for col in ("prediction", "lower", "upper"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-6)
    np.testing.assert_allclose(got["novelty_cell_line"], want["cell_line_novelty"])
    wider = predict_response(bundle, pairs, level=0.95)
    assert ((wider["upper"] - wider["lower"]) >= (out["upper"] - out["lower"]) - 1e-9).all()


def test_unknown_rows_get_no_interval_and_a_bad_level_names_the_field(calibrated_bundle):
    drug = calibrated_bundle.perturbations().index[0]
    pairs = pd.DataFrame({"cell_line": [calibrated_bundle.cell_lines()[0], "NOPE"], "drug": [drug, drug]})
    out = predict_response(calibrated_bundle, pairs, on_unknown="nan")
    assert out["lower"].notna().tolist() == [True, False] and out["status"].tolist() == ["ok", "unknown cell line"]
    for level in (0.0, 1.0, 1.5, float("nan")):
        with pytest.raises(QueryError, match=r"level") as err:
            predict_response(calibrated_bundle, pairs.iloc[:1], level=level)
        assert err.value.field == "level"


def test_the_service_table_carries_the_intervals(calibrated_bundle):
    from cellresponse.service._state import ServedModel

    served = ServedModel("b", calibrated_bundle)
    served.warm(max_table_pairs=10_000)
    pairs = _pairs(calibrated_bundle, n_cells=2)
    cols = served.lookup(list(pairs["cell_line"]), list(pairs["drug"]))
    assert cols is not None and {"lower", "upper", "level", "flag", "novelty_drug"} <= set(cols)
    direct = predict_response(calibrated_bundle, pairs)
    np.testing.assert_allclose(cols["lower"], direct["lower"])


def test_a_bundle_without_calibration_predicts_points_and_says_why(response_ds, tmp_path, capsys):
    pipeline.train(response_ds, model="drug_mean", out=tmp_path / "p", valid_fraction=0.0, cv_folds=0)
    bundle = read_bundle(tmp_path / "p")
    assert bundle.calibration is None and bundle.calibrated() is None
    out = predict_response(bundle, _pairs(bundle, n_cells=1))
    assert list(out.columns) == ["cell_line", "drug", "prediction"] and not out.attrs["intervals"]
    assert "no calibration" in out.attrs["note"]
    _pairs(bundle, n_cells=1).to_csv(tmp_path / "pairs.csv", index=False)
    assert main(["predict", "--model", str(tmp_path / "p"), "--pairs", str(tmp_path / "pairs.csv")]) == 0
    assert "no calibration" in capsys.readouterr().err


def test_cli_predict_on_a_bundle_prints_intervals_at_the_level(calibrated_bundle, tmp_path, capsys):
    _pairs(calibrated_bundle, n_cells=1).to_csv(tmp_path / "pairs.csv", index=False)
    args = ["predict", "--model", str(calibrated_bundle.path), "--pairs", str(tmp_path / "pairs.csv")]
    assert main([*args, "--level", "0.8", "--out", str(tmp_path / "out.csv")]) == 0
    table = pd.read_csv(tmp_path / "out.csv")
    assert {"lower", "upper", "flag", "novelty_cell_line"} <= set(table.columns) and (table["level"] == 0.8).all()
    assert main([*args, "--level", "2"]) != 0
    assert "level must be in (0, 1)" in capsys.readouterr().err
