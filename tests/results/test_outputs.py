"""Output locations: checked before any work, locked while written, never mixed or lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cellresponse.cli import main
from cellresponse.errors import LockedError, OutputError
from cellresponse.results import LAYOUT_ENTRIES, LOCK_FILE, RunLock, check_output_file, prepare_output_dir

QUICK = ["benchmark", "--dataset", "gdsc2_demo", "--folds", "2", "--models", "ridge_per_drug",
         "--param", "ridge_per_drug.n_top_genes=50", "--no-progress"]  # fmt: skip


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write_lock(directory: Path, pid: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    doc = {"pid": pid, "host": socket.gethostname(), "started": "2024-01-01T00:00:00+00:00", "command": "x"}
    (directory / LOCK_FILE).write_text(json.dumps(doc))


def test_a_second_benchmark_on_the_same_directory_fails_at_once_naming_the_first(tmp_path, capsys, monkeypatch):
    import cellresponse.datasets

    def no_load(*args, **kwargs):
        raise AssertionError("the second run loaded the dataset")

    out = tmp_path / "shared"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    first = subprocess.Popen([sys.executable, "-m", "cellresponse.cli", *QUICK, "--out", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (out / LOCK_FILE).exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert first.poll() is None, "the first run ended before the second started"
        with monkeypatch.context() as mp:  # at once: before anything is loaded or fitted
            mp.setattr(cellresponse.datasets, "load_dataset", no_load)
            assert main([*QUICK, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"is being written by process {first.pid}" in err and err.count("\n") == 1
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=300)
    assert not (out / LOCK_FILE).exists()


def test_a_stale_lock_is_reported_and_taken_over_only_when_asked(tmp_path, capsys):
    out = tmp_path / "stale"
    pid = _dead_pid()
    _write_lock(out, pid)
    assert main([*QUICK, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"stale lock of process {pid}" in err and "--resume" in err and "--overwrite" in err
    assert main([*QUICK, "--out", str(out), "--overwrite"]) == 0
    assert (out / "results.csv").is_file() and not (out / LOCK_FILE).exists()


def test_a_live_lock_is_never_taken_over(tmp_path):
    out = tmp_path / "live"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock(out, sleeper.pid)
        with (
            pytest.raises(LockedError, match=f"process {sleeper.pid}") as info,
            prepare_output_dir(out, existing="overwrite"),
        ):
            pass
        assert info.value.pid == sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_non_empty_directory_is_refused_and_overwrite_replaces_only_its_own_files(tmp_path, capsys):
    out = tmp_path / "r"
    assert main([*QUICK, "--out", str(out)]) == 0
    capsys.readouterr()
    before = (out / "results.csv").read_bytes()
    assert main([*QUICK, "--out", str(out)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert (out / "results.csv").read_bytes() == before  # nothing lost
    (out / "notes.txt").write_text("mine")
    assert main([*QUICK, "--out", str(out), "--overwrite"]) == 2
    assert "notes.txt" in capsys.readouterr().err and (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    (out / "stats.csv").write_text("stale")
    assert main([*QUICK, "--out", str(out), "--overwrite", "--seed", "3"]) == 0
    assert (out / "stats.csv").read_text() != "stale"
    assert json.loads((out / "config.json").read_text())["seeds"]["run"] == 3


@pytest.mark.parametrize("command", [
    ["train", "--dataset", "gdsc2_demo", "--model", "drug_mean", "--out"],
    [*QUICK, "--out"],
    ["merge", "shard_a", "shard_b", "--out"],
    ["de", "--counts", "c.tsv", "--samples", "s.csv", "--contrast", "a,b,c", "--out"],
    ["explore", "--preset", "gdsc-tissue", "--out"],
    ["enrich", "--genes", "g.txt", "--out"],
    ["predict", "--model", "m", "--pairs", "p.csv", "--out"],
])  # fmt: skip
def test_an_unusable_output_location_is_refused_before_any_work(command, tmp_path, capsys):
    """The inputs named here do not exist: the output is checked first."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    is_file_output = command[0] == "predict"
    cases = [(blocker / "sub", "a parent of it is a file"),
             (tmp_path, "is a directory") if is_file_output else (blocker, "is a file")]  # fmt: skip
    for out, message in cases:
        assert main([*command, str(out)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.startswith(f"cellresponse {command[0]}: error: ") and err.count("\n") == 1


def test_train_checks_its_output_before_fitting(tmp_path, capsys):
    model = tmp_path / "m"
    assert main(["train", "--dataset", "gdsc2_demo", "--model", "drug_mean", "--out", str(model)]) == 0
    capsys.readouterr()
    assert main(["train", "--dataset", "gdsc2_demo", "--model", "drug_mean", "--out", str(model)]) == 2
    assert "model directory" in capsys.readouterr().err
    assert main(["train", "--dataset", "gdsc2_demo", "--model", "drug_mean", "--out", str(model), "--overwrite"]) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_a_read_only_directory_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"), prepare_output_dir(ro / "x"):
            pass
    finally:
        ro.chmod(0o700)


def test_lock_is_exclusive_within_a_host_and_released(tmp_path):
    lock = RunLock(tmp_path)
    lock.acquire()
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    lock.release()
    assert not (tmp_path / LOCK_FILE).exists()
    with prepare_output_dir(tmp_path / "d", owned=LAYOUT_ENTRIES) as held:
        assert held.path.exists()
    assert not held.path.exists()
    with pytest.raises(OutputError, match="is a directory"):
        check_output_file(tmp_path)
