"""An interrupted benchmark resumes from its completed (model, fold) cells and ends with
the bytes of an uninterrupted run; its directory says it is partial meanwhile.

The first test interrupts a real ``cellresponse benchmark`` process with SIGINT (Ctrl-C);
the others interrupt in-process runs of every task (the expression task's cells carry
extra tables) at a chosen cell.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from tests.engine._runs import DEMO_RUN, assert_same_results

from cellresponse.cli import main
from cellresponse.evaluate import _folds
from cellresponse.results import LOCK_FILE, STORE_DIR, read_results


def _stored_timings(out: Path) -> dict[tuple[str, int], float]:
    """fit_s of every stored cell (a reused cell keeps its timing row verbatim)."""
    out_rows = {}
    for path in (out / STORE_DIR).glob("*/*.json"):
        doc = json.loads(path.read_text())
        if doc["timing"] is not None:
            out_rows[(doc["model"], doc["fold"])] = doc["timing"]["fit_s"]
    return out_rows


def test_ctrl_c_then_resume_equals_an_uninterrupted_run(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = tmp_path / "run"
    # SIGINT at its default in the child: a suite started in the background inherits it ignored,
    # and Python then never raises KeyboardInterrupt (the CLI rightly keeps an ignored SIGINT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cellresponse.cli", *DEMO_RUN, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=functools.partial(signal.signal, signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    while not list((out / STORE_DIR).glob("*/*.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == f"cellresponse benchmark: interrupted; partial results in {out} " \
        "(continue it with --resume)"  # fmt: skip
    assert "Traceback" not in err
    config = json.loads((out / "config.json").read_text())
    assert config["complete"] is False and not (out / LOCK_FILE).exists()
    done = _stored_timings(out)
    assert 0 < len(done) < 18  # 6 models (5 baselines) x 3 folds

    # the directory is refused as it is, and a report of it says it is partial
    assert main([*DEMO_RUN, "--out", str(out)]) == 2
    if (out / "results.csv").is_file():
        assert main(["report", str(out)]) == 0
        assert "partial" in (out / "report.html").read_text()

    assert main([*DEMO_RUN, "--out", str(out), "--resume"]) == 0
    assert main([*DEMO_RUN, "--out", str(tmp_path / "whole")]) == 0
    assert_same_results(out, tmp_path / "whole", missing_ok=True)
    assert not (out / STORE_DIR).exists() and read_results(out).complete
    timings = pd.read_csv(out / "timings.csv").set_index(["model", "fold"])["fit_s"]
    for cell, fit_s in done.items():  # the completed cells were not fitted again
        assert timings[cell] == pytest.approx(fit_s, rel=1e-12)


class _Interrupt:
    """Raise KeyboardInterrupt in the ``after``-th cell (as Ctrl-C would)."""

    def __init__(self, after: int) -> None:
        self.after, self.calls = after, 0
        self.run_cell = _folds.run_cell

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.after:
            raise KeyboardInterrupt
        return self.run_cell(*args, **kwargs)


MODEL = {
    "response": ["--models", "random_forest", "--param", "random_forest.n_estimators=6",
                 "--param", "random_forest.cell_components=3", "--param", "random_forest.drug_components=3",
                 "--param", "random_forest.n_jobs=1"],
    "expression": ["--models", "expr_ridge"],
    "dependency": ["--models", "ridge_per_drug", "--param", 'ridge_per_drug.cell_views=["expression"]'],
}  # fmt: skip


@pytest.mark.parametrize("task", ["response", "expression", "dependency"])
def test_resume_after_an_interrupt_in_any_cell(task, tmp_path, monkeypatch, capsys):
    args = ["benchmark", "--task", task, "--dataset", f"tiny_{task}", "--folds", "3", *MODEL[task], "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    with monkeypatch.context() as mp:
        mp.setattr(_folds, "run_cell", _Interrupt(after=5))
        assert main([*args, "--out", str(tmp_path / "cut")]) == 130
    assert "interrupted; partial results in" in capsys.readouterr().err
    assert len(list((tmp_path / "cut" / STORE_DIR).glob("*/*.json"))) == 4
    assert main([*args, "--out", str(tmp_path / "cut"), "--resume"]) == 0
    assert_same_results(tmp_path / "whole", tmp_path / "cut", missing_ok=True)


def test_resume_refuses_cells_of_another_run_and_overwrite_starts_again(tmp_path, monkeypatch, capsys):
    args = ["benchmark", "--task", "response", "--dataset", "tiny_response", *MODEL["response"], "--no-progress"]
    with monkeypatch.context() as mp:
        mp.setattr(_folds, "run_cell", _Interrupt(after=3))
        assert main([*args, "--folds", "3", "--out", str(tmp_path / "r")]) == 130
    capsys.readouterr()
    other = [*args, "--folds", "3", "--seed", "1", "--out", str(tmp_path / "r")]  # another split
    assert main([*other, "--resume"]) == 2
    assert "cannot resume" in capsys.readouterr().err
    assert main([*other, "--overwrite"]) == 0
    assert read_results(tmp_path / "r").config["seeds"]["split"] == 1
    assert main([*other, "--resume"]) == 0  # complete: the cells are gone, every cell runs again


def test_an_interrupted_directory_says_it_is_partial(tmp_path, monkeypatch):
    args = ["benchmark", "--task", "response", "--dataset", "tiny_response", "--folds", "3", *MODEL["response"],
            "--no-progress", "--out", str(tmp_path / "p")]  # fmt: skip
    with monkeypatch.context() as mp:
        mp.setattr(_folds, "run_cell", _Interrupt(after=9))  # fold 0 done (6 cells), fold 1 cut
        assert main(args) == 130
    res = read_results(tmp_path / "p")
    assert not res.complete and res.config["completed_folds"] == [0]
    assert main(["report", str(tmp_path / "p")]) == 0
    assert "partial: 1 of 3 folds" in (tmp_path / "p" / "report.html").read_text()
