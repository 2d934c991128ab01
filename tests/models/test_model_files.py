"""A saved model verifies itself: a damaged, swapped or edited model is refused by name,
never loaded into wrong predictions."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file, save_file

from cellresponse.cli import main
from cellresponse.errors import InputError, MissingInputError, ModelFileError
from cellresponse.models import load_model, make_model
from cellresponse.models._manifest import document_checksum


@pytest.fixture(scope="module")
def saved(tmp_path_factory, _response_ds):
    root = tmp_path_factory.mktemp("models")
    ridge = make_model("ridge_per_drug", n_top_genes=10, one_hot_tissue=False).fit(_response_ds)
    ridge.save(root / "ridge")
    make_model("ridge_per_drug", n_top_genes=12, one_hot_tissue=False).fit(_response_ds).save(root / "ridge12")
    make_model("drug_mean").fit(_response_ds).save(root / "means")
    return root, ridge.predict(_response_ds)


@pytest.fixture
def model_dir(saved, tmp_path):
    shutil.copytree(saved[0] / "ridge", tmp_path / "m")
    return tmp_path / "m"


def _rewrite_arrays(path, change) -> None:
    arrays = dict(load_file(str(path / "arrays.safetensors")))
    change(arrays)
    save_file(arrays, str(path / "arrays.safetensors"))


def test_a_saved_model_loads_and_predicts_the_same(saved, model_dir, _response_ds):
    np.testing.assert_array_equal(load_model(model_dir).predict(_response_ds), saved[1])
    doc = json.loads((model_dir / "model.json").read_text())
    assert doc["file_version"] == 2 and doc["arrays"]["coef"]["shape"][0] == 8
    assert set(doc["domain"]["perturbations"]) == set(_response_ds.perturbations)


def test_truncated_arrays_are_refused(model_dir):
    _rewrite_arrays(model_dir, lambda a: a.update(coef=a["coef"][:1]))
    with pytest.raises(ModelFileError, match=r"array 'coef' has shape \[1, \d+\], expected \[8, \d+\]"):
        load_model(model_dir)


def test_nan_in_arrays_is_refused(model_dir):
    def poison(arrays):
        coef = arrays["coef"].copy()
        coef[0, 0] = np.nan
        arrays["coef"] = coef

    _rewrite_arrays(model_dir, poison)
    with pytest.raises(ModelFileError, match=r"array 'coef' holds 1 NaN/inf value\(s\), the saved model had 0"):
        load_model(model_dir)


def test_arrays_of_another_model_are_refused(saved, model_dir):
    shutil.copy(saved[0] / "means" / "arrays.safetensors", model_dir / "arrays.safetensors")
    with pytest.raises(ModelFileError, match=r"lacks arrays .*belongs to another model"):
        load_model(model_dir)
    shutil.copy(saved[0] / "ridge12" / "arrays.safetensors", model_dir / "arrays.safetensors")
    with pytest.raises(ModelFileError, match=r"has shape|differs from the saved one"):
        load_model(model_dir)


def test_edited_values_of_the_same_shape_are_refused(model_dir):
    _rewrite_arrays(model_dir, lambda a: a.update(intercept=a["intercept"] + 1.0))
    with pytest.raises(ModelFileError, match="array 'intercept' differs from the saved one"):
        load_model(model_dir)


@pytest.mark.parametrize("damage", ["random", "truncated", "empty"])
def test_unreadable_array_files_are_refused(model_dir, damage):
    path = model_dir / "arrays.safetensors"
    data = path.read_bytes()
    rng = np.random.default_rng(0)
    path.write_bytes({"random": rng.bytes(len(data)), "truncated": data[: len(data) // 2], "empty": b""}[damage])
    with pytest.raises(ModelFileError, match=r"arrays\.safetensors is not a readable array file"):
        load_model(model_dir)


def test_deleted_files_are_named(model_dir):
    (model_dir / "arrays.safetensors").unlink()
    with pytest.raises(ModelFileError, match=r"lacks arrays\.safetensors \(deleted\?\)"):
        load_model(model_dir)
    (model_dir / "model.json").unlink()
    with pytest.raises(MissingInputError, match="not a saved cellresponse model"):
        load_model(model_dir)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["params"].update(n_top_genes=5),
        lambda d: d["state"].update(global_mean=0.0),
        lambda d: d.update(model="drug_mean"),
    ],
)
def test_a_tampered_model_json_is_refused(model_dir, edit):
    doc = json.loads((model_dir / "model.json").read_text())
    edit(doc)
    (model_dir / "model.json").write_text(json.dumps(doc, indent=2))
    with pytest.raises(ModelFileError, match="was changed after it was saved"):
        load_model(model_dir)


def test_garbage_and_older_model_files_are_refused(model_dir):
    doc = json.loads((model_dir / "model.json").read_text())
    old = {k: v for k, v in doc.items() if k not in ("file_version", "checksum", "arrays", "domain")}
    (model_dir / "model.json").write_text(json.dumps(old))
    with pytest.raises(ModelFileError, match=r"model file format 1 .*reads format 2 only"):
        load_model(model_dir)
    (model_dir / "model.json").write_bytes(b"\x00\xff not json")
    with pytest.raises(ModelFileError, match="is not valid JSON"):
        load_model(model_dir)
    doc["model"] = "no_such_model"
    doc["checksum"] = document_checksum(doc)
    (model_dir / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="unknown model 'no_such_model'"):
        load_model(model_dir)


def test_the_command_line_names_the_damage(model_dir, tmp_path, capsys, _response_ds):
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"cell_line": _response_ds.cell_lines[:2], "drug": _response_ds.perturbations[:2]}).to_csv(
        pairs, index=False
    )
    _rewrite_arrays(model_dir, lambda a: a.update(coef=a["coef"][:1]))
    assert main(["predict", "--model", str(model_dir), "--pairs", str(pairs)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cellresponse predict: error: ") and "array 'coef' has shape" in err
    assert err.count("\n") == 1


def test_prediction_data_must_hold_the_training_features(saved, _response_ds):
    model = load_model(saved[0] / "ridge")
    view = _response_ds.cell_view("expression")
    fewer = view.subset(features=list(view.feature_names[:-3]))
    from dataclasses import replace

    data = replace(_response_ds, cell_views={**_response_ds.cell_views, "expression": fewer})
    with pytest.raises(InputError, match="the expression view lacks 3 of the 30 features"):
        model.predict(data)
    shuffled = view.subset(features=list(view.feature_names[::-1]))  # same features, another order
    data = replace(_response_ds, cell_views={**_response_ds.cell_views, "expression": shuffled})
    np.testing.assert_allclose(model.predict(data), saved[1], rtol=1e-6)
