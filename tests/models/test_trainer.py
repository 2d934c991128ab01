"""The one torch training path: TrainerConfig, the trainer hyperparameter, the loop, global state."""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid

torch = pytest.importorskip("torch")

from cellresponse.models import get_model_class, load_model, make_model  # noqa: E402
from cellresponse.models._torch import torch_settings  # noqa: E402
from cellresponse.models.mlp import MLP_TRAINER  # noqa: E402
from cellresponse.models.train import TrainerConfig, train_network  # noqa: E402
from cellresponse.models.vnn import VNN_TRAINER  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src" / "cellresponse"
TORCH_MODELS = ["mlp_expression", "mlp_cnv", "mlp_all", "vnn_drugcell", "vnn_druggene", "expr_dosetime"]
TINY_MLP = {
    "cell_hidden": (8,),
    "drug_hidden": (4,),
    "head_hidden": (4,),
    "trainer__epochs": 2,
    "trainer__batch_size": 64,
    "trainer__num_threads": 1,
}


# ------------------------------------------------------------------- one loop
def test_one_optimizer_step_call_site_in_src():
    sites = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if call and node.func.attr == "step" and not node.args and not node.keywords:
                sites.append(str(path.relative_to(SRC)))
    assert sites == ["models/train.py"]


# ----------------------------------------------------------------- the config
def test_config_validates_settings():
    with pytest.raises(ValueError, match=r"epochs=0"):
        TrainerConfig(epochs=0)
    with pytest.raises(ValueError, match=r"optimizer must be one of \('adam', 'adamw'\), got 'sgd'"):
        TrainerConfig(optimizer="sgd")
    with pytest.raises(ValueError, match=r"unknown trainer setting\(s\) \['epoch'\]; valid: epochs, batch_size"):
        TrainerConfig().replace(epoch=3)
    with pytest.raises(TypeError, match="TrainerConfig or a mapping"):
        TrainerConfig.coerce(["lr", 1e-3])  # type: ignore[arg-type]
    assert TrainerConfig(betas=[0.9, 0.99]).betas == (0.9, 0.99)  # type: ignore[arg-type]


def test_config_builds_the_chosen_optimizer():
    params = [torch.nn.Parameter(torch.zeros(2))]
    assert type(TrainerConfig(optimizer="adam").make_optimizer(params)) is torch.optim.Adam
    opt = TrainerConfig(optimizer="adamw", lr=0.5, weight_decay=0.1, betas=(0.8, 0.9)).make_optimizer(params)
    assert type(opt) is torch.optim.AdamW
    assert opt.defaults["lr"] == 0.5 and opt.defaults["betas"] == (0.8, 0.9) and opt.defaults["weight_decay"] == 0.1


# --------------------------------------------------- the trainer hyperparameter
@pytest.mark.parametrize("name", TORCH_MODELS)
def test_no_trainer_setting_is_a_model_keyword(name):
    params = get_model_class(name)().get_params(deep=False)
    assert "trainer" in params and "random_state" in params
    assert not set(params) & (set(TrainerConfig.field_names()) | {"max_epochs", "n_threads", "verbose"})


def test_get_set_params_and_clone_reach_the_trainer():
    model = make_model("vnn_drugcell")
    params = model.get_params()
    assert params["trainer"] is VNN_TRAINER
    assert params["trainer__lr"] == 3e-3 and params["trainer__batch_size"] == 2000 and params["trainer__patience"] == 3
    assert model.set_params(trainer__lr=1e-4, n_hidden=4) is model
    assert model.trainer == VNN_TRAINER.replace(lr=1e-4) and model.n_hidden == 4
    assert VNN_TRAINER.lr == 3e-3  # the frozen default is not touched
    again = clone(model)
    trainer_params = {k: v for k, v in model.get_params().items() if k.startswith("trainer")}
    assert {k: v for k, v in again.get_params().items() if k.startswith("trainer")} == trainer_params
    assert again.trainer == model.trainer
    with pytest.raises(ValueError, match=r"unknown trainer setting\(s\) \['lrate'\]"):
        model.set_params(trainer__lrate=1.0)
    with pytest.raises(ValueError, match="lr=-1"):
        model.set_params(trainer__lr=-1)


def test_parameter_grids_name_trainer_settings():
    base = make_model("mlp_all")
    grid = ParameterGrid({"trainer__lr": [1e-3, 1e-4], "trainer__batch_size": [64]})
    models = [clone(base).set_params(**params) for params in grid]
    assert sorted(m.trainer.lr for m in models) == [1e-4, 1e-3]
    assert {m.trainer.batch_size for m in models} == {64}
    assert base.trainer is MLP_TRAINER


def test_make_model_applies_nested_trainer_keys():
    model = make_model("mlp_all", trainer__epochs=1, dropout=0.0)
    assert model.trainer == MLP_TRAINER.replace(epochs=1) and model.dropout == 0.0
    with pytest.raises(ValueError, match="Invalid parameter"):
        make_model("ridge_per_drug", trainer__lr=1e-3)
    with pytest.raises(TypeError, match=r"batch_size, epochs: trainer setting\(s\) of MLPAll; pass them as trainer__"):
        make_model("mlp_all", epochs=3, batch_size=8)
    with pytest.raises(
        TypeError, match=r"max_epochs: trainer setting\(s\) of ExprDoseTime; pass them as trainer__epochs"
    ):
        make_model("expr_dosetime", max_epochs=3)


def test_trainer_mapping_from_toml_changes_the_models_defaults():
    params = tomllib.loads("n_hidden = 4\n[trainer]\nlr = 1e-4\nbetas = [0.9, 0.95]\nnum_threads = 1\n")
    model = make_model("vnn_drugcell", **params)
    assert model.trainer == VNN_TRAINER.replace(lr=1e-4, betas=(0.9, 0.95), num_threads=1)
    assert model.trainer.batch_size == 2000  # the VNN's default, not the dataclass's
    model.set_params(trainer={"epochs": 7})
    assert model.trainer == VNN_TRAINER.replace(epochs=7)
    with pytest.raises(ValueError, match="unknown trainer setting"):
        make_model("mlp_all", trainer={"learning_rate": 1e-3})


def test_saved_model_keeps_the_trainer(response_ds, tmp_path):
    model = make_model("mlp_cnv", **TINY_MLP, trainer__fast_dev_run=True).fit(response_ds)
    model.save(tmp_path / "m")
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    assert doc["format_version"] == 3
    assert doc["params"]["trainer"]["batch_size"] == 64 and doc["params"]["trainer"]["betas"] == [0.9, 0.99]
    again = load_model(tmp_path / "m")
    assert isinstance(again.trainer, TrainerConfig) and again.trainer == model.trainer
    trainer_params = {k: v for k, v in model.get_params().items() if k.startswith("trainer")}
    assert {k: v for k, v in again.get_params().items() if k.startswith("trainer")} == trainer_params
    np.testing.assert_array_equal(again.predict(response_ds), model.predict(response_ds))


def test_loading_a_file_of_the_former_format_says_so(response_ds, tmp_path):
    from cellresponse.models._manifest import document_checksum

    make_model("mlp_cnv", **TINY_MLP, trainer__fast_dev_run=True).fit(response_ds).save(tmp_path / "m")
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    doc["format_version"] = 2
    doc["params"] = {k: v for k, v in doc["params"].items() if k != "trainer"} | {"epochs": 3, "num_threads": 1}
    doc["checksum"] = document_checksum(doc)  # a consistent file of the former model format
    (tmp_path / "m" / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"format_version 2 .*reads format 3"):
        load_model(tmp_path / "m")


# ------------------------------------------------------------- global state
def _fits(name, response_ds):
    if name == "expr_dosetime":
        from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset

        synth = make_expression_dataset(
            SyntheticExpressionPanel(n_cell_lines=3, n_compounds=4, n_genes=10, n_bits=32), random_state=0
        )
        params = {"hidden": 8, "trainer__epochs": 2, "trainer__num_threads": 1}
        return make_model(name, **params).fit(synth), synth
    return make_model(name, **TINY_MLP).fit(response_ds), response_ds


@pytest.mark.parametrize("name", ["mlp_cnv", "expr_dosetime"])
def test_fit_and_predict_restore_threads_and_rng(name, response_ds):
    with torch_settings(num_threads=2, seed=123):
        rng, threads = torch.get_rng_state(), torch.get_num_threads()
        model, data = _fits(name, response_ds)
        assert torch.get_num_threads() == threads == 2
        assert torch.equal(torch.get_rng_state(), rng)
        model.predict(data)
        assert torch.get_num_threads() == 2
        assert torch.equal(torch.get_rng_state(), rng)


def test_leap_torch_pieces_restore_threads_and_rng():
    from cellresponse.features import RepresentationConfig
    from cellresponse.models.leap import make_head
    from cellresponse.models.nn._autoencoder import train_autoencoder

    x = np.random.default_rng(0).normal(size=(12, 5)).astype(np.float32)
    with torch_settings(num_threads=2, seed=7):
        rng = torch.get_rng_state()
        train_autoencoder(x, config=RepresentationConfig(kind="dae", n_components=2, hidden=(4,), epochs=2))
        make_head("mlp", hidden=4, trainer={"epochs": 2}).fit(x[:, :3], x[:, 3:])
        assert torch.get_num_threads() == 2
        assert torch.equal(torch.get_rng_state(), rng)


def test_vnn_seed_reproduces_and_another_seed_changes_predictions(response_ds):
    params = {"ontology": "random", "min_genes": 5, "n_hidden": 3, "drug_hidden": (4,), "final_hidden": 3}
    params |= {"trainer__epochs": 2, "trainer__batch_size": 128, "trainer__num_threads": 1}
    a = make_model("vnn_druggene", **params, random_state=5).fit(response_ds).predict(response_ds)
    b = make_model("vnn_druggene", **params, random_state=5).fit(response_ds).predict(response_ds)
    c = make_model("vnn_druggene", **params, random_state=6).fit(response_ds).predict(response_ds)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


# ------------------------------------------------------------------ the loop
def _linear_problem():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(40, 3, generator=gen)
    y = x @ torch.tensor([1.0, -2.0, 0.5])

    def batches(g):
        order = torch.randperm(len(x), generator=g)
        return (order[i : i + 8] for i in range(0, len(x), 8))

    def loss(net, idx):
        return torch.nn.functional.mse_loss(net(x[idx]).squeeze(-1), y[idx])

    with torch_settings(seed=0):
        net = torch.nn.Linear(3, 1)
    return net, batches, loss


def test_loop_without_validation_runs_every_epoch_and_learns():
    net, batches, loss = _linear_problem()
    history = train_network(net, batches, loss, config=TrainerConfig(epochs=60, lr=0.05), seed=0)
    assert [h["epoch"] for h in history] == list(range(60))
    assert "valid_loss" not in history[0] and history[-1]["train_loss"] < 0.01 * history[0]["train_loss"]
    assert not net.training


def test_loop_stops_after_patience_epochs_without_improvement_and_restores_the_best():
    net, batches, loss = _linear_problem()
    scores = iter([3.0, 2.0, 2.0, 2.5, 1.0])
    states = []

    def valid_loss(network):
        states.append({k: v.clone() for k, v in network.state_dict().items()})
        return next(scores)

    config = TrainerConfig(epochs=5, lr=0.05, patience=1)
    history = train_network(net, batches, loss, config=config, seed=0, valid_loss=valid_loss)
    # epoch 1 is the best; epochs 2 and 3 do not improve on it: the second of them stops
    assert [h["valid_loss"] for h in history] == [3.0, 2.0, 2.0, 2.5]
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, states[1][key], rtol=0, atol=0)
    net2, batches2, loss2 = _linear_problem()
    scores = iter([3.0, 2.0, 1.95, 1.9, 1.0])
    relaxed = config.replace(min_delta=0.1, patience=2)
    history = train_network(net2, batches2, loss2, config=relaxed, seed=0, valid_loss=valid_loss)
    assert len(history) == 5  # 1.95 and 1.9 are not 0.1 better than 2.0; 1.0 is


def test_loop_fast_dev_run_takes_one_step():
    net, batches, loss = _linear_problem()
    history = train_network(net, batches, loss, config=TrainerConfig(fast_dev_run=True), seed=0)
    assert len(history) == 1


def test_loop_rejects_a_non_finite_loss():
    net, batches, _ = _linear_problem()
    with pytest.raises(FloatingPointError, match="epoch 0"):
        train_network(
            net, batches, lambda n, idx: n(torch.full((1, 3), float("nan"))).sum(), config=TrainerConfig(), seed=0
        )


def test_same_seed_same_batches_other_seed_other_batches():
    def run(seed):
        net, batches, loss = _linear_problem()
        train_network(net, batches, loss, config=TrainerConfig(epochs=2), seed=seed)
        return net.weight.detach().clone()

    torch.testing.assert_close(run(1), run(1), rtol=0, atol=0)
    assert not torch.equal(run(1), run(2))


# ------------------------------------------------------------------ LEAP head
def test_mlp_head_overfits_a_tiny_problem_and_rejects_unknown_settings():
    from cellresponse.models.leap import make_head

    rng = np.random.default_rng(0)
    z = rng.normal(size=(12, 4)).astype(np.float32)
    y = z @ rng.normal(size=(4, 3))
    trainer = {"epochs": 400, "lr": 1e-2, "weight_decay": 0.0, "batch_size": 12}
    head = make_head("mlp", hidden=32, dropout=0.0, trainer=trainer).fit(z, y)
    assert float(np.mean((head.predict(z) - y) ** 2)) < 0.01 * float(np.var(y))
    with pytest.raises(ValueError, match=r"unknown 'mlp' head setting\(s\) \['epochs'\]"):
        make_head("mlp", epochs=5).fit(z, y)
