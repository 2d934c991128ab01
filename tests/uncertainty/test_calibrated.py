"""Calibrated models through the Python API, ``train``/``predict`` and the command line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from cellresponse import pipeline
from cellresponse.cli import main
from cellresponse.models import make_model
from cellresponse.uncertainty import NOVELTY_COLUMNS, CalibratedModel, load_calibrated


def _parts(ds):
    lines = np.array(sorted(set(ds.cell_lines)))
    cal, new = np.isin(ds.cell_lines, lines[:10]), np.isin(ds.cell_lines, lines[10:14])
    return ds[~cal & ~new], ds[cal], ds[new]


def test_calibrated_model_predicts_intervals_and_novelty(response_ds):
    train, cal, new = _parts(response_ds)
    model = make_model("ridge_per_drug").fit(train)
    before = model.predict(new)
    cm = CalibratedModel.calibrate(model, train=train, calibration=cal)
    table = cm.predict_table(new, level=0.8)
    np.testing.assert_array_equal(model.predict(new), before)  # the model is used, never changed
    assert list(table.columns) == [
        "cell_line", "drug", "prediction", "lower", "upper", "level", *NOVELTY_COLUMNS, "domain_notes"
    ]  # fmt: skip
    np.testing.assert_allclose(table["prediction"], before, rtol=1e-6)
    assert (table["lower"] < table["prediction"]).all() and (table["upper"] > table["prediction"]).all()
    assert (table["level"] == 0.8).all() and cm.has_intervals
    wider = cm.predict_table(new, level=0.95)
    assert ((wider["upper"] - wider["lower"]) >= (table["upper"] - table["lower"]) - 1e-12).all()
    assert table["cell_line_novelty"].notna().all() and (table["perturbation_novelty"] == 0).all()


def test_save_and_load_keep_the_calibration(response_ds, tmp_path):
    train, cal, new = _parts(response_ds)
    cm = CalibratedModel.calibrate(make_model("ridge_per_drug").fit(train), train=train, calibration=cal)
    cm.save(tmp_path / "m")
    assert (tmp_path / "m" / "calibration" / "calibration.json").is_file()
    again = load_calibrated(tmp_path / "m")
    pd.testing.assert_frame_equal(cm.predict_table(new), again.predict_table(new), rtol=1e-6)


def test_a_model_saved_before_calibration_loads_and_says_it_has_no_intervals(response_ds, tmp_path):
    train, _, new = _parts(response_ds)
    make_model("ridge_per_drug").fit(train).save(tmp_path / "old")  # what earlier versions wrote
    cm = load_calibrated(tmp_path / "old")
    assert not cm.has_intervals and "no intervals" in cm.note
    table = cm.predict_table(new)
    assert table["lower"].isna().all() and table["upper"].isna().all() and table["prediction"].notna().all()
    assert table["out_of_domain"].isna().all()


def test_bad_input_to_the_api(response_ds, tmp_path):
    train, cal, new = _parts(response_ds)
    model = make_model("ridge_per_drug").fit(train)
    cm = CalibratedModel.calibrate(model, train=train, calibration=cal)
    for level in (0, 1, 1.2, -0.5):
        with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
            cm.predict_table(new, level=level)

    class NanModel:
        def predict(self, data):
            out = model.predict(data).astype(float)
            out[:3] = np.nan
            return out

    with pytest.raises(ValueError, match=r"3 of \d+ calibration residuals are NaN"):
        CalibratedModel.calibrate(NanModel(), train=train, calibration=cal)  # type: ignore[arg-type]
    dropped = CalibratedModel.calibrate(NanModel(), train=train, calibration=cal, nan_policy="drop")  # type: ignore[arg-type]
    assert dropped.calibrator is not None and dropped.calibrator.n_dropped_ == 3
    cm.save(tmp_path / "m")
    doc = json.loads((tmp_path / "m" / "calibration" / "calibration.json").read_text())
    doc["format_version"] = 99
    (tmp_path / "m" / "calibration" / "calibration.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="calibration format_version 99"):
        load_calibrated(tmp_path / "m")


def test_train_and_predict_carry_intervals(response_ds, tmp_path):
    pipeline.train(response_ds, model="ridge_per_drug", out=tmp_path / "m", valid_fraction=0.25, seed=0)
    meta = json.loads((tmp_path / "m" / "training.json").read_text())
    assert meta["calibration"]["intervals"] and meta["calibration"]["n_calibration"] > 0
    table = pipeline.predict(tmp_path / "m", response_ds, level=0.9)
    assert table.attrs["intervals"] and {"lower", "upper", "level", "out_of_domain"} <= set(table.columns)
    covered = ((table["lower"] <= response_ds.y) & (response_ds.y <= table["upper"])).mean()
    assert covered > 0.85  # mostly training data: easy
    pipeline.train(response_ds, model="ridge_per_drug", out=tmp_path / "none", valid_fraction=0)
    assert "--valid-fraction 0" in pipeline.describe_calibration(tmp_path / "none")
    assert pipeline.predict(tmp_path / "none", response_ds)["lower"].isna().all()


def test_cli_predict_with_level_and_an_old_model(response_ds, tmp_path, capsys, monkeypatch):
    from cellresponse.datasets import _registry

    name = "unc_cli_panel"
    monkeypatch.setitem(_registry._DATASETS, name, (lambda options: response_ds, ("ln_ic50",), "test panel"))
    assert main(["train", "--dataset", name, "--model", "drug_mean", "--out", str(tmp_path / "m")]) == 0
    assert "intervals calibrated on" in capsys.readouterr().out
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"cell_line": response_ds.cell_lines[:4], "drug": response_ds.perturbations[:4]}).to_csv(pairs)
    out = tmp_path / "p.csv"
    args = ["predict", "--model", str(tmp_path / "m"), "--dataset", name, "--pairs", str(pairs), "--out", str(out)]
    assert main([*args, "--level", "0.8"]) == 0
    table = pd.read_csv(out)
    assert (table["level"] == 0.8).all() and table["lower"].notna().all() and "out_of_domain" in table.columns
    assert main([*args, "--level", "1.5"]) != 0
    assert "level must be in (0, 1)" in capsys.readouterr().err
    shutil.rmtree(tmp_path / "m" / "calibration")  # as saved before calibration existed
    assert main(args) == 0
    assert "has no intervals" in capsys.readouterr().err
    assert pd.read_csv(out)["lower"].isna().all()


def test_expression_signature_intervals(synth, tmp_path):
    pipeline.train(synth, model="expr_ridge", out=tmp_path / "e", valid_fraction=0.3, seed=0)
    cm = load_calibrated(tmp_path / "e")
    assert cm.has_intervals
    smiles = "CC(=O)Oc1ccccc1C(=O)O"
    line = synth.cell_lines[0]
    table = cm.predict_signature(smiles=smiles, cell_line=line, dose=1.0, time=24.0, level=0.9)
    assert list(table.columns) == ["gene", "prediction", "lower", "upper", "level"]
    assert len(table) == synth.y.shape[1] and (table["upper"] > table["lower"]).all()
    assert 0 <= table.attrs["confidence"] <= 1 and "perturbation_novelty" in table.attrs["novelty"]


def test_train_with_nan_validation_predictions_saves_a_model_without_intervals(response_ds, tmp_path, monkeypatch):
    from cellresponse.models import get_model_class

    monkeypatch.setattr(get_model_class("drug_mean"), "_predict", lambda self, data: np.full(len(data), np.nan))
    pipeline.train(response_ds, model="drug_mean", out=tmp_path / "m", valid_fraction=0.25)
    meta = json.loads((tmp_path / "m" / "training.json").read_text())
    assert not meta["calibration"]["intervals"] and "no finite calibration residual" in meta["calibration"]["note"]
    assert not load_calibrated(tmp_path / "m").has_intervals


def test_dependency_classes_get_prediction_sets(tmp_path):
    from tests.conftest import make_dependency_panel

    ds = make_dependency_panel(n_lines=50, n_genes=10, classes=True)
    train, cal, new = _parts(ds)
    cm = CalibratedModel.calibrate(make_model("drug_mean").fit(train), train=train, calibration=cal)
    table = cm.predict_table(new, level=0.9)
    assert "prediction_set" in table.columns
    for row in table.itertuples():
        inside = [c for c in (0.0, 1.0, 2.0) if row.lower <= c <= row.upper]
        assert row.prediction_set == ";".join(f"{c:g}" for c in inside)
    covered = [f"{y:g}" in s.split(";") for y, s in zip(new.y, table["prediction_set"], strict=True)]
    assert np.mean(covered) > 0.7
