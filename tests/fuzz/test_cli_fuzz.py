"""Every file argument of the command line, damaged: the command ends with exit 0 or with
exit 2 and one error line (``cellresponse <command>: error: ...``), never a traceback,
never exit 1, and never a made-up prediction."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from cellresponse.cli import main
from cellresponse.models import make_model


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


M = _load("_mutate", Path(__file__).with_name("_mutate.py"))
#: the slow commands (a benchmark, a report, DE, nested CV) get fewer cases
FEW = settings(M.FUZZ, max_examples=max(M.FUZZ.max_examples // 3, 3))


def _run(args: list[str], capsys) -> tuple[int, str]:
    rc = main(args)
    err = capsys.readouterr().err
    assert rc in (0, 2), f"exit {rc} for {args}: {err}"
    assert "Traceback" not in err
    if rc == 2:
        lines = err.strip().splitlines()
        assert lines and lines[-1].startswith(f"cellresponse {args[0]}: error: "), err
        assert sum("error:" in line for line in lines) == 1, err
    return rc, err


def _case(tmp: Path) -> Path:
    folder = tmp / f"case{len(list(tmp.iterdir()))}"
    folder.mkdir()
    return folder


# ------------------------------------------------------------------ predict
@pytest.fixture(scope="module")
def predict_inputs(tmp_path_factory, _response_ds):
    root = tmp_path_factory.mktemp("predict")
    make_model("ridge_per_drug", n_top_genes=10, one_hot_tissue=False).fit(_response_ds).save(root / "model")
    expr = _response_ds.cell_view("expression").to_frame().iloc[:3].copy()
    expr.index = ["NEW-A", "NEW-B", "NEW-C"]
    drugs = list(dict.fromkeys(_response_ds.perturbations))[:2]
    pairs = pd.DataFrame({"cell_line": ["NEW-A", "NEW-B", "NEW-C", "NEW-A"], "drug": [*drugs, drugs[0], drugs[1]]})
    seeds = {
        "pairs": M.text_seed("pairs.csv", pairs.to_csv(index=False)),
        "expression": M.text_seed("expression.csv", expr.rename_axis("cell_line").to_csv()),
        "smiles": M.text_seed("smiles.csv", "drug,smiles\nnewdrug,CCO\nother,c1ccccc1\n"),
    }
    return root, seeds


def _predict_args(root: Path, files: dict[str, Path], out: Path) -> list[str]:
    return ["predict", "--model", str(files.get("model", root / "model")), "--pairs", str(files["pairs"]),
            "--expression", str(files["expression"]), "--smiles", str(files["smiles"]), "--out", str(out)]  # fmt: skip


@pytest.mark.parametrize("arg", ["pairs", "expression", "smiles"])
def test_predict_table_arguments(arg, predict_inputs, tmp_path, capsys):
    root, seeds = predict_inputs

    @M.FUZZ
    @given(mutation=M.TEXT_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        files = {name: case / s.name for name, s in seeds.items()}
        for name, s in seeds.items():
            files[name].write_bytes(M.mutate(s, mutation) if name == arg else s.data)
        rc, _ = _run(_predict_args(root, files, case / "p.csv"), capsys)
        if rc == 0:  # every prediction is a real one: no --allow-unknown was given
            assert np.isfinite(pd.read_csv(case / "p.csv")["prediction"]).all()

    run()


@pytest.mark.parametrize("member", ["model.json", "arrays.safetensors"])
def test_predict_model_files(member, predict_inputs, tmp_path, capsys):
    root, seeds = predict_inputs
    original = (root / "model" / member).read_bytes()
    seed = M.binary_seed(member, original) if member.endswith("safetensors") else M.Seed(member, original)

    @M.FUZZ
    @given(mutation=M.BYTE_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        shutil.copytree(root / "model", case / "model")
        (case / "model" / member).write_bytes(M.mutate(seed, mutation))
        files = {name: case / s.name for name, s in seeds.items()}
        for name, s in seeds.items():
            files[name].write_bytes(s.data)
        files["model"] = case / "model"
        rc, err = _run(_predict_args(root, files, case / "p.csv"), capsys)
        if rc == 2:
            assert member.split(".")[0] in err  # the damaged file is named
        elif member == "model.json":  # only a change JSON ignores (whitespace) may load
            assert json.loads(M.mutate(seed, mutation)) == json.loads(original)
        else:
            assert M.mutate(seed, mutation) == original

    run()


# ---------------------------------------------------- benchmark, report, merge
BENCH = ["--dataset", "gdsc2_demo", "--models", "global_mean", "--no-baselines", "--no-progress"]


@pytest.fixture(scope="module")
def results_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    assert main(["benchmark", *BENCH, "--folds", "3", "--out", str(root / "whole")]) == 0
    assert main(["benchmark", *BENCH, "--folds", "3", "--only-folds", "0", "--out", str(root / "a")]) == 0
    assert main(["benchmark", *BENCH, "--folds", "3", "--only-folds", "1,2", "--out", str(root / "b")]) == 0
    return root


def test_benchmark_config_file(tmp_path, capsys):
    seed = M.text_seed("run.toml", 'dataset = "gdsc2_demo"\nmodels = ["global_mean"]\nbaselines = false\n'
                                   "folds = 2\nprogress = false\n")  # fmt: skip

    @FEW
    @given(mutation=M.BYTE_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        (case / "run.toml").write_bytes(M.mutate(seed, mutation))
        # the flags pin a small run: a damaged file that parses to the defaults must not start a full one
        _run(["benchmark", "--config", str(case / "run.toml"), *BENCH, "--folds", "2", "--out", str(case / "out")],
             capsys)  # fmt: skip

    run()


def test_benchmark_split_file(results_dirs, tmp_path, capsys):
    seed = M.text_seed("split.csv", (results_dirs / "whole" / "split.csv").read_text())

    @FEW
    @given(mutation=M.TEXT_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        (case / "split.csv").write_bytes(M.mutate(seed, mutation))
        _run(["benchmark", *BENCH, "--split-file", str(case / "split.csv"), "--out", str(case / "out")], capsys)

    run()


@pytest.mark.parametrize(
    "member", ["config.json", "results.csv", "summary.csv", "leaderboard.csv", "timings.csv", "split.csv"]
)
def test_report_of_a_damaged_results_directory(member, results_dirs, tmp_path, capsys):
    original = (results_dirs / "whole" / member).read_bytes()
    seed = M.Seed(member, original)

    @FEW
    @given(mutation=M.TEXT_MUTATIONS if member.endswith(".csv") else M.BYTE_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        shutil.copytree(results_dirs / "whole", case / "r")
        (case / "r" / member).write_bytes(M.mutate(seed, mutation))
        _run(["report", str(case / "r")], capsys)

    run()


@pytest.mark.parametrize("member", ["predictions/values.npz", "predictions/obs.csv.gz", "predictions/index.json"])
def test_merge_of_a_damaged_shard(member, results_dirs, tmp_path, capsys):
    original = (results_dirs / "a" / member).read_bytes()
    seed = M.Seed(Path(member).name, original, text=not member.endswith(".npz"))

    @FEW
    @given(mutation=M.BYTE_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        shutil.copytree(results_dirs / "a", case / "a")
        (case / "a" / member).write_bytes(M.mutate(seed, mutation))
        _run(["merge", str(case / "a"), str(results_dirs / "b"), "--out", str(case / "m")], capsys)

    run()


# ------------------------------------------------------- de, explore, enrich
@pytest.fixture(scope="module")
def analysis_seeds():
    rng = np.random.default_rng(0)
    samples = [f"s{i}" for i in range(8)]
    counts = pd.DataFrame(rng.poisson(20, size=(12, 8)), index=[f"g{i}" for i in range(12)], columns=samples)
    x = pd.DataFrame(rng.normal(size=(24, 6)), index=[f"x{i}" for i in range(24)], columns=[f"g{j}" for j in range(6)])
    return {
        "counts": M.text_seed("counts.csv", counts.rename_axis("gene").to_csv()),
        "samples": M.text_seed("samples.csv", pd.DataFrame({"sample": samples, "cond": ["a", "b"] * 4}).to_csv(
            index=False)),
        "matrix": M.text_seed("matrix.csv", x.rename_axis("sample").to_csv()),
        "labels": M.text_seed("labels.csv", pd.DataFrame({"sample": x.index, "cls": ["p", "q"] * 12}).to_csv(
            index=False)),
    }  # fmt: skip


@pytest.mark.parametrize("arg", ["counts", "samples"])
def test_de_file_arguments(arg, analysis_seeds, tmp_path, capsys):
    @FEW
    @given(mutation=M.TEXT_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        for name in ("counts", "samples"):
            s = analysis_seeds[name]
            (case / s.name).write_bytes(M.mutate(s, mutation) if name == arg else s.data)
        _run(["de", "--counts", str(case / "counts.csv"), "--samples", str(case / "samples.csv"), "--method",
              "welch", "--linear", "--contrast", "cond,b,a", "--formats", "png", "--out", str(case / "o")],
             capsys)  # fmt: skip

    run()


@pytest.mark.parametrize("arg", ["matrix", "labels"])
def test_explore_file_arguments(arg, analysis_seeds, tmp_path, capsys):
    @FEW
    @given(mutation=M.TEXT_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        for name in ("matrix", "labels"):
            s = analysis_seeds[name]
            (case / s.name).write_bytes(M.mutate(s, mutation) if name == arg else s.data)
        _run(["explore", "--matrix", str(case / "matrix.csv"), "--labels", str(case / "labels.csv"),
              "--min-class-size", "2", "--models", "logreg_l2", "--k-grid", "2", "--outer-folds", "2",
              "--inner-folds", "2", "--n-permutations", "0", "--n-jobs", "1", "--no-progress",
              "--out", str(case / "o")], capsys)  # fmt: skip

    run()


@pytest.mark.parametrize("arg", ["--genes", "--universe", "--gene-map"])
def test_enrich_file_arguments(arg, tmp_path, capsys, real_data_root):
    seeds = {
        "--genes": M.text_seed("genes.txt", "FKBP5\nTSC22D3\nPER1\nKLF9\nDUSP1\nZBTB16\nERRFI1\n"),
        "--universe": M.text_seed("universe.txt", "\n".join(["FKBP5", "TSC22D3", "PER1", "KLF9", "DUSP1", "ZBTB16",
                                                             "ERRFI1", "TP53", "KRAS", "EGFR", "MYC"]) + "\n"),
        "--gene-map": M.text_seed("map.csv", "id,symbol\nFKBP5,FKBP5\nPER1,PER1\n"),
    }  # fmt: skip

    @FEW
    @given(mutation=M.TEXT_MUTATIONS)
    def run(mutation):
        case = _case(tmp_path)
        args = ["enrich", "--out", str(case / "o"), "--min-size", "1"]
        for flag, s in seeds.items():
            (case / s.name).write_bytes(M.mutate(s, mutation) if flag == arg else s.data)
            args += [flag, str(case / s.name)]
        _run(args, capsys)

    run()
