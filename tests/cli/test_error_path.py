"""One error path: one line ``cellresponse <command>: error: ...``, exit 2 for bad input,
1 for a bug (traceback only with --debug), 130 on Ctrl-C, a quiet closed pipe."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from cellresponse.cli import benchmark as benchmark_cli
from cellresponse.cli import main
from cellresponse.cli import report as report_cli

QUICK = ["benchmark", "--dataset", "gdsc2_demo", "--folds", "2", "--models", "ridge_per_drug",
         "--param", "ridge_per_drug.n_top_genes=50", "--no-progress"]  # fmt: skip


def _fail_with(exc: BaseException):
    def run(args):
        raise exc

    return run


def test_a_bug_exits_1_with_one_line_and_a_traceback_only_with_debug(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(report_cli, "run", _fail_with(RuntimeError("boom")))
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == "cellresponse report: error: internal error (RuntimeError: boom); this is a bug: rerun with " \
        "--debug for the traceback and report it\n"  # fmt: skip
    assert main(["--debug", "report", str(tmp_path)]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_ctrl_c_exits_130(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(report_cli, "run", _fail_with(KeyboardInterrupt()))
    assert main(["report", str(tmp_path)]) == 130
    assert capsys.readouterr().err == "cellresponse report: interrupted; nothing was written\n"


def test_a_closed_pipe_is_quiet():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "cellresponse.cli", "data", "models"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before anything is written (`| head -0`)
    _, err = proc.communicate(timeout=120)
    assert err == b"" and proc.returncode == 141


def test_bad_parameters_and_impossible_splits_fail_before_fitting(tmp_path, monkeypatch, capsys):
    from cellresponse.evaluate import _folds

    def no_fit(*args, **kwargs):
        raise AssertionError("a cell ran")

    monkeypatch.setattr(_folds, "run_cell", no_fit)
    cases = [
        (["--param", "ridge_per_drug.n_top_genes=abc"], "the 'n_top_genes' parameter must be an int in the range "
         "[1, inf) or None. Got 'abc' instead"),
        (["--param", "ridge_per_drug.n_top_genes=-5"], "Got -5 instead"),
        (["--param", "ridge_per_drug.n_top_gens=5"], "has no parameter 'n_top_gens' (did you mean 'n_top_genes'?)"),
        (["--param", "lightgbm.num_leaves=1"], "model 'lightgbm': the 'num_leaves' parameter must be an int in the "
         "range [2, inf)"),
        (["--folds", "124"], "no fold of this split can be scored by per_drug_pearson_mean"),
        (["--folds", "1"], "argument --folds: expected an integer >= 2, got 1"),
        (["--min-group-size", "-1"], "argument --min-group-size: expected an integer >= 1, got -1"),
        (["--valid-fraction", "1.5"], "argument --valid-fraction: expected a number in [0, 1), got '1.5'"),
        (["--only-folds", "0,-1"], "expected fold numbers >= 0"),
    ]  # fmt: skip
    for i, (extra, message) in enumerate(cases):
        assert main([*QUICK, *extra, "--out", str(tmp_path / str(i))]) == 2, extra
        err = capsys.readouterr().err
        assert message in err, (extra, err)
        assert "Traceback" not in err


def test_config_files_are_checked_for_types_and_ranges(tmp_path, capsys):
    for text, message in [
        ('folds = "abc"\n', "folds must be an integer or unset, got 'abc'"),
        ("folds = 1\n", "--folds must be an integer >= 2 (the number of outer folds), got 1"),
        ("seed = -3\n", "--seed must be an integer in [0, 2**32), got -3"),
        ("models = 5\n", "models must be a list of strings or unset, got 5"),
        ("modles = ['x']\n", "unknown keys ['modles']"),
        ("folds = \n", "is not valid TOML"),
    ]:
        path = tmp_path / "run.toml"
        path.write_text(text)
        assert main(["benchmark", "--config", str(path), "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert message in err, (text, err)
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["benchmark", "--config", str(path)]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err


def test_report_refuses_a_results_file_of_another_row_count(tmp_path, capsys):
    out = tmp_path / "r"
    assert main([*QUICK, "--out", str(out)]) == 0
    lines = (out / "results.csv").read_text().splitlines(keepends=True)
    (out / "results.csv").write_text("".join(lines[: len(lines) // 2]))
    capsys.readouterr()
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"has {len(lines) // 2 - 1} rows but config.json records {len(lines) - 1}" in err
    (out / "results.csv").write_bytes(b"")
    assert main(["report", str(out)]) == 2
    assert "is empty" in capsys.readouterr().err
    assert main(["merge", str(out), str(out), "--out", str(tmp_path / "m")]) == 2
    assert "a shard is named twice" in capsys.readouterr().err


def test_every_benchmark_flag_error_is_one_line(monkeypatch, capsys):
    monkeypatch.setattr(benchmark_cli, "run", _fail_with(ValueError("line one\nline two")))
    assert main(["benchmark"]) == 2
    assert capsys.readouterr().err == "cellresponse benchmark: error: line one line two\n"


@pytest.mark.parametrize("flag", ["--k-grid", "--outer-folds", "--n-jobs"])
def test_explore_values_are_range_checked(flag, tmp_path, capsys):
    value = {"--k-grid": "0,5", "--outer-folds": "1", "--n-jobs": "0"}[flag]
    assert main(["explore", "--preset", "gdsc-tissue", flag, value, "--out", str(tmp_path / "e")]) == 2
    assert f"{flag} must be" in capsys.readouterr().err


def test_explore_k_grid_beyond_the_genes_is_refused(tmp_path, capsys):
    x = pd.DataFrame([[float(i + j) for j in range(5)] for i in range(30)],
                     index=[f"s{i}" for i in range(30)], columns=[f"g{j}" for j in range(5)])  # fmt: skip
    x.rename_axis("sample").to_csv(tmp_path / "x.csv")
    pd.DataFrame({"sample": x.index, "cls": ["a", "b"] * 15}).to_csv(tmp_path / "y.csv", index=False)
    assert main(["explore", "--matrix", str(tmp_path / "x.csv"), "--labels", str(tmp_path / "y.csv"),
                 "--min-class-size", "2", "--k-grid", "3,50", "--out", str(tmp_path / "e")]) == 2  # fmt: skip
    assert "--k-grid 3,50: the matrix has 5 genes" in capsys.readouterr().err
