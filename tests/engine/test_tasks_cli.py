"""Every option of ``cellresponse benchmark``, ``report`` and ``merge`` works for every task.

Each task runs on a tiny panel registered by name (``conftest.py``): a stochastic model
beside the task's baselines, 3 folds.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from cellresponse.cli import main
from cellresponse.results import read_results

TASKS = ["response", "expression", "dependency"]
#: a stochastic model of each task and its tiny settings
MODEL = {
    "response": ("random_forest", ["random_forest.n_estimators=8", "random_forest.cell_components=4",
                                   "random_forest.drug_components=3", "random_forest.n_jobs=1"]),
    "expression": ("expr_dosetime", ["expr_dosetime.hidden=8", "expr_dosetime.network_min_gain=-1.0",
                                     "expr_dosetime.trainer__epochs=2", "expr_dosetime.trainer__num_threads=1"]),
    "dependency": ("random_forest_per_drug", ["random_forest_per_drug.n_estimators=4",
                                              "random_forest_per_drug.n_jobs=1",
                                              'random_forest_per_drug.cell_views=["expression"]']),
}  # fmt: skip
SAME = ("results.csv", "summary.csv", "stats.csv", "leaderboard.csv", "ablation.csv", "predictions/values.npz",
        "predictions/obs.csv.gz")  # fmt: skip


def _args(task: str, out, *extra: str) -> list[str]:
    model, params = MODEL[task]
    flags = [f for p in params for f in ("--param", p)]
    return ["benchmark", "--task", task, "--dataset", f"tiny_{task}", "--folds", "3", "--models", model, *flags,
            "--out", str(out), "--no-progress", *extra]  # fmt: skip


def _same_files(a, b, names=SAME) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One whole run per task (seed 0), run once for the module."""
    root = tmp_path_factory.mktemp("runs")
    for task in TASKS:
        assert main(_args(task, root / task)) == 0
    return root


@pytest.mark.parametrize("task", TASKS)
def test_report_and_merge_of_shards_equal_one_run(task, runs, tmp_path):
    whole = runs / task
    assert main(_args(task, tmp_path / "a", "--only-folds", "0")) == 0
    assert main(_args(task, tmp_path / "b", "--only-folds", "1,2")) == 0
    assert read_results(tmp_path / "a").config["split"]["n_folds"] == 1
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "m")]) == 0
    _same_files(whole, tmp_path / "m")
    (tmp_path / "m" / "report.html").unlink()
    assert main(["report", str(tmp_path / "m")]) == 0
    html = (tmp_path / "m" / "report.html").read_text()
    assert "Leaderboard" in html and "data:image/png;base64," in html and f"task <b>{task}</b>" in html


@pytest.mark.parametrize("task", TASKS)
def test_split_file_reproduces_the_run(task, runs, tmp_path):
    whole = runs / task
    assert main(_args(task, tmp_path / "again", "--split-file", str(whole / "split.csv"))) == 0
    assert read_results(tmp_path / "again").config["split_hash"] == read_results(whole).config["split_hash"]
    _same_files(whole, tmp_path / "again")


@pytest.mark.parametrize("task", TASKS)
def test_min_group_size_is_applied(task, runs, tmp_path):
    assert main(_args(task, tmp_path / "g", "--min-group-size", "7")) == 0
    res = read_results(tmp_path / "g")
    assert res.config["min_group_size"] == 7
    kind = res.kind
    groups = res.results[res.results["group_by"] == kind][["fold", "group"]].drop_duplicates()
    pred = res.predictions.obs
    sizes = pred.groupby(["fold", kind]).size()
    assert len(groups) and all(sizes[(f, g)] >= 7 for f, g in groups.itertuples(index=False))
    fewer = read_results(runs / task).results
    assert len(res.results) <= len(fewer)


@pytest.mark.parametrize("task", TASKS)
def test_seed_reproduces_and_changes_results(task, runs, tmp_path):
    whole = runs / task
    assert main(_args(task, tmp_path / "same", "--seed", "0")) == 0
    _same_files(whole, tmp_path / "same", (*SAME, "split.csv"))
    assert main(_args(task, tmp_path / "other", "--seed", "3")) == 0
    a, b = read_results(whole), read_results(tmp_path / "other")
    model = MODEL[task][0]
    assert b.config["seeds"] == {"split": 3, "run": 3, "models": {**b.config["seeds"]["models"], model: 3}}
    assert a.config["split_hash"] != b.config["split_hash"]


@pytest.mark.parametrize("task", TASKS)
def test_model_seed_moves_only_stochastic_models(task, runs, tmp_path):
    from cellresponse import pipeline
    from cellresponse.config import BenchmarkConfig

    model, params = MODEL[task]
    parsed = {p.split("=")[0].split(".", 1)[1]: json.loads(p.split("=")[1]) for p in params}
    cfg = BenchmarkConfig(
        dataset=f"tiny_{task}",
        task=task,
        models=[model],
        model_params={model: parsed},
        split_file=str(runs / task / "split.csv"),
        progress=False,
        out=str(tmp_path / "x"),
    )
    a = pipeline.benchmark(cfg, report=False)
    cfg.model_params[model]["random_state"] = 11
    b = pipeline.benchmark(cfg, report=False, existing="overwrite")
    assert b.config["seeds"]["models"][model] == 11
    assert not np.allclose(a.predictions.values[model], b.predictions.values[model])
    for base in a.config["baselines"]:
        np.testing.assert_array_equal(a.predictions.values[base], b.predictions.values[base])


@pytest.mark.parametrize("task", TASKS)
def test_config_file_equals_flags(task, runs, tmp_path):
    model, params = MODEL[task]
    lines = [f'task = "{task}"', f'dataset = "tiny_{task}"', "folds = 3", f'models = ["{model}"]', "progress = false",
             f'out = "{tmp_path / "cfg"}"', f"[model_params.{model}]"]  # fmt: skip
    lines += [p.split(".", 1)[1].replace("=", " = ") for p in params]
    (tmp_path / "run.toml").write_text("\n".join(lines) + "\n")
    assert main(["benchmark", "--config", str(tmp_path / "run.toml")]) == 0
    _same_files(runs / task, tmp_path / "cfg")
    cfg = read_results(tmp_path / "cfg").config["config"]
    assert cfg["task"] == task and cfg["model_params"][model]


def test_results_directory_of_another_format_is_refused(runs, tmp_path, capsys):
    bad = tmp_path / "old"
    shutil.copytree(runs / "response", bad)
    doc = json.loads((bad / "config.json").read_text())
    doc["format_version"] = 7
    (bad / "config.json").write_text(json.dumps(doc))
    assert main(["report", str(bad)]) == 2
    assert "results format_version 7" in capsys.readouterr().err
    del doc["format_version"]
    (bad / "config.json").write_text(json.dumps(doc))
    assert main(["merge", str(bad), "--out", str(tmp_path / "m")]) == 2
    assert "no results format_version" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("task", "split", "message"),
    [
        ("response", "dose_interpolation", "belongs to the expression task; the response task accepts"),
        ("expression", "lbo", "split mode 'lbo' belongs to the dependency and response tasks"),
        ("dependency", "time", "belongs to the expression task"),
    ],
)
def test_split_mode_of_another_task_is_refused(task, split, message, tmp_path, capsys):
    assert main(_args(task, tmp_path / "x", "--split", split)) == 2
    assert message in capsys.readouterr().err


def test_split_file_matching_nothing_and_unknown_folds_are_refused(runs, tmp_path, capsys):
    alien = tmp_path / "alien.csv"
    pd.DataFrame({"cell_line": ["X1", "X2", "X3"], "fold": [0, 1, 2]}).to_csv(alien, index=False)
    assert main(_args("response", tmp_path / "x", "--split-file", str(alien))) == 2
    assert "match none of dataset 'synthetic_response'" in capsys.readouterr().err
    assert main(_args("response", tmp_path / "y", "--only-folds", "0,9")) == 2
    assert "folds [9] are not in the split; it has folds [0, 1, 2]" in capsys.readouterr().err
    assert main(_args("response", tmp_path / "z", "--only-folds", "a")) == 2
    assert "--only-folds 'a': expected comma-separated integers" in capsys.readouterr().err


def test_dataset_of_another_task_is_refused(tmp_path, capsys):
    assert main(_args("response", tmp_path / "x", "--dataset", "tiny_expression")) == 2
    assert "is a 'expression' dataset; --task response needs a response dataset" in capsys.readouterr().err


def test_train_seed_seeds_the_model(tmp_path):
    from cellresponse.models import load_model

    for seed in (0, 4):
        assert main(["train", "--dataset", "tiny_response", "--model", "random_forest", "--seed", str(seed),
                     "--param", "n_estimators=5", "--out", str(tmp_path / f"m{seed}")]) == 0  # fmt: skip
    a, b = load_model(tmp_path / "m0"), load_model(tmp_path / "m4")
    assert a.random_state == 0 and b.random_state == 4
    assert json.loads((tmp_path / "m4" / "training.json").read_text())["seed"] == 4


def test_a_fourth_task_is_one_module_and_one_registration(monkeypatch, tmp_path):
    """A new task plugs into the same engine, results layout, report and merge."""
    from dataclasses import replace

    from cellresponse.data.synthetic import make_response_dataset
    from cellresponse.evaluate import RunOptions, merge_benchmarks, run_benchmark
    from cellresponse.report import build_report
    from cellresponse.splits import make_split
    from cellresponse.tasks import _registry
    from cellresponse.tasks._scalar import ScalarTask

    monkeypatch.setattr(_registry._REGISTRY, "_entries", dict(_registry._REGISTRY._entries))

    @_registry.register_task("viability")
    class ViabilityTask(ScalarTask):
        """Cell viability after a perturbation."""

        split_modes = ("cell_line", "perturbation")
        baselines = ("global_mean", "drug_mean")

    base = make_response_dataset(n_cell_lines=24, n_genes=10, n_drugs=4, random_state=3)
    data = replace(base, task="viability", name="viability_panel")
    split = make_split(data, mode="lco", n_folds=3, seed=0)
    from cellresponse.models import get_model_class

    for name in ("global_mean", "drug_mean"):
        cls = get_model_class(name)
        monkeypatch.setattr(cls, "tasks", (*cls.tasks, "viability"))
    opts = RunOptions(progress=False, min_group_size=5)  # 8 test lines per drug and fold
    run_benchmark(data, models=[], split=split.select_folds([0]), out=tmp_path / "a", options=opts)
    run_benchmark(data, models=[], split=split.select_folds([1, 2]), out=tmp_path / "b", options=opts)
    merged = merge_benchmarks([tmp_path / "a", tmp_path / "b"], out=tmp_path / "m")
    assert merged.config["task"] == "viability" and set(merged.board.index) == {"global_mean", "drug_mean"}
    assert "task <b>viability</b>" in build_report(tmp_path / "m").read_text()
    with pytest.raises(ValueError, match="the viability task accepts"):
        run_benchmark(data, models=[], split=make_split(data, mode="lpo", n_folds=3), options=opts)
