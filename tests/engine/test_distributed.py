"""The same benchmark on every executor (serial, local processes, a local Ray, a real
two-node Ray cluster) writes the same bytes; dead workers are retried; an interrupted
distributed run resumes; a bad executor setting is refused before any work.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from tests.engine._runs import DEMO_RUN, assert_same_results

from cellresponse.cli import main
from cellresponse.evaluate._executors import ExecutorConfig, ProcessExecutor, RayExecutor, WorkerLost
from cellresponse.results import STORE_DIR, read_results

HERE = Path(__file__).parent
RAY = Path(sys.executable).with_name("ray")


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "run"
    assert main([*DEMO_RUN, "--out", str(out)]) == 0
    return out


@pytest.fixture(autouse=True)
def _ray_env(monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")


def test_processes_write_the_bytes_of_the_serial_run(serial_run, tmp_path):
    out = tmp_path / "processes"
    assert main([*DEMO_RUN, "--executor", "processes", "--workers", "2", "--out", str(out)]) == 0
    assert_same_results(serial_run, out)
    executor = read_results(out).config["executor"]
    assert executor["kind"] == "processes" and sum(executor["jobs_per_node"].values()) == 18
    assert len(executor["jobs_per_node"]) == 2  # both worker processes ran cells


@pytest.mark.ray
def test_a_local_ray_writes_the_bytes_of_the_serial_run(serial_run, tmp_path):
    out = tmp_path / "ray"
    assert main([*DEMO_RUN, "--executor", "ray", "--workers", "2", "--out", str(out)]) == 0
    assert_same_results(serial_run, out)
    assert read_results(out).config["executor"]["kind"] == "ray"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_node_cluster():
    """A Ray head and a second Ray node, each a separate `ray start` process with one CPU."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "RAY_AUTH_MODE": "disabled",
           "RAY_USAGE_STATS_ENABLED": "0"}  # fmt: skip
    # a short session directory: Ray's sockets live there and a Unix socket path has at most 107 bytes
    temp = tempfile.mkdtemp(prefix="cr-ray-", dir="/tmp")
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1"]
    head = [str(RAY), "start", "--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}", *common]
    worker = [str(RAY), "start", f"--address=127.0.0.1:{port}", *common]
    try:
        for cmd in (head, worker):
            started = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
            assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-2000:]
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(RAY), "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.ray
def test_a_two_node_ray_cluster_runs_cells_on_both_nodes_and_writes_the_serial_bytes(
    serial_run, two_node_cluster, tmp_path
):
    out = tmp_path / "cluster"
    assert main([*DEMO_RUN, "--executor", "ray", "--ray-address", two_node_cluster, "--out", str(out)]) == 0
    assert_same_results(serial_run, out)
    nodes = read_results(out).config["executor"]["jobs_per_node"]
    assert len(nodes) == 2 and sum(nodes.values()) == 18, nodes  # both nodes ran cells


def test_a_dead_worker_process_is_replaced_and_its_job_runs_again(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))  # the workers import the job function by module name
    import _dying

    marker = str(tmp_path / "died")
    done = dict(ProcessExecutor(ExecutorConfig("processes", workers=2)).run(_dying.die_once, marker, [0, 1, 2, 3]))
    assert done == {0: 0, 1: 10, 2: 20, 3: 30} and Path(marker).exists()
    lost = dict(ProcessExecutor(ExecutorConfig("processes", workers=2, max_retries=1)).run(
        _dying.always_die, marker, [0, 1, 2]))  # fmt: skip
    assert isinstance(lost[1], WorkerLost) and lost[0] == 0 and lost[2] == 20


def _die_once_on_ray(marker: str, job: int) -> int:
    if job == 1 and not Path(marker).exists():
        Path(marker).write_text("died")
        os._exit(1)
    return job * 10


@pytest.mark.ray
def test_ray_retries_a_task_whose_worker_died(tmp_path):
    executor = RayExecutor(ExecutorConfig("ray", workers=1))
    try:
        done = dict(executor.run(_die_once_on_ray, str(tmp_path / "died"), [0, 1, 2]))
    finally:
        executor.close()
    assert done == {0: 0, 1: 10, 2: 20} and (tmp_path / "died").exists()


def test_a_cell_that_fails_is_recorded_and_the_other_cells_still_run(tmp_path, capsys):
    out = tmp_path / "failing"
    bad = ["--models", "ridge_per_drug", "--param", 'ridge_per_drug.cell_views=["proteome"]']  # not in the panel
    args = [*DEMO_RUN[:5], *bad, "--no-progress", "--executor", "processes", "--workers", "2", "--out", str(out)]
    assert main(args) == 1
    failures = read_results(out).config["failures"]
    assert "proteome" in failures[0]["error"] and {f["model"] for f in failures} == {"ridge_per_drug"}
    assert len(read_results(out).results.query("model == 'drug_mean'")["fold"].unique()) == 3


def test_an_interrupted_process_run_resumes_to_the_serial_bytes(serial_run, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = tmp_path / "cut"
    cmd = [sys.executable, "-m", "cellresponse.cli", *DEMO_RUN, "--executor", "processes", "--workers", "2"]
    # SIGINT at its default in the child: a suite started in the background inherits it ignored,
    # and Python then never raises KeyboardInterrupt (the CLI rightly keeps an ignored SIGINT)
    sigint_default = functools.partial(signal.signal, signal.SIGINT, signal.SIG_DFL)
    proc = subprocess.Popen([*cmd, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, preexec_fn=sigint_default)  # fmt: skip
    deadline = time.monotonic() + 300
    while not list((out / STORE_DIR).glob("*/*.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    kept = len(list((out / STORE_DIR).glob("*/*.json")))
    assert 0 < kept < 18
    assert main([*DEMO_RUN, "--executor", "processes", "--workers", "2", "--out", str(out), "--resume"]) == 0
    assert_same_results(serial_run, out)
    config = json.loads((out / "config.json").read_text())
    assert config["complete"] and sum(config["executor"]["jobs_per_node"].values()) == 18 - kept


# ------------------------------------------------------------------ bad input
def test_an_unreachable_ray_address_is_refused_before_any_work(tmp_path, capsys):
    port = _free_port()  # nothing listens there
    out = tmp_path / "r"
    assert main([*DEMO_RUN, "--executor", "ray", "--ray-address", f"127.0.0.1:{port}", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--ray-address 127.0.0.1:{port}: no Ray head answers there" in err and "ray start --head" in err
    assert not (out / "results.csv").exists()


def test_a_ray_address_that_is_not_host_port_is_refused(tmp_path, capsys):
    assert main([*DEMO_RUN, "--executor", "ray", "--ray-address", "headnode", "--out", str(tmp_path / "r")]) == 2
    assert "expected host:port of a Ray head" in capsys.readouterr().err


def test_a_ray_address_without_the_ray_executor_is_refused(tmp_path, capsys):
    assert main([*DEMO_RUN, "--ray-address", "127.0.0.1:6379", "--out", str(tmp_path / "r")]) == 2
    assert "needs --executor ray" in capsys.readouterr().err


def test_ray_not_installed_names_the_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without Ray gives `import ray`
    out = tmp_path / "r"
    assert main([*DEMO_RUN, "--executor", "ray", "--out", str(out)]) != 0
    assert "pip install 'cellresponse[distributed]'" in capsys.readouterr().err
    assert not (out / "results.csv").exists()
