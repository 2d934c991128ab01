"""The embedded default bundles (built once per session) and a live server started by the tests.

The server is the real command (``python -m cellresponse.cli serve``) bound to 127.0.0.1 on a
free port, started here and stopped after the session.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cellresponse.pipeline import default_bundles, read_bundle

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="session")
def bundle_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bundle_cache")


@pytest.fixture(scope="session")
def default_build(bundle_cache):
    """(bundle paths, log lines) of the first build of the default bundles."""
    lines: list[str] = []
    paths = default_bundles(cache=bundle_cache, log=lines.append)
    return paths, lines


@pytest.fixture(scope="session")
def bundles(default_build):
    """name -> Bundle of the three defaults."""
    return {read_bundle(p).name: read_bundle(p) for p in default_build[0]}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: list[str], *, cache: Path, timeout: float = 120.0) -> tuple[subprocess.Popen, str, Path]:
    """Start ``cellresponse serve`` with ``args``; wait until /health answers."""
    port = free_port()
    log = cache / f"serve-{port}.log"
    env = {
        **os.environ,
        "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "CELLRESPONSE_CACHE": str(cache),
    }
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cellresponse.cli", "serve", "--port", str(port), *args],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1.0).status_code == 200:
                return proc, base, log
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"server did not answer within {timeout} s:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(default_build, bundle_cache):
    """``cellresponse serve`` with no --model: the cached defaults; yields (base URL, log path)."""
    proc, base, log = start_server(["--max-pairs", "20000", "--timeout", "60"], cache=bundle_cache)
    yield base, log
    stop_server(proc)


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server[0]


@pytest.fixture
def client(base_url):
    with httpx.Client(base_url=base_url, timeout=60.0) as c:
        yield c
        # every test leaves the server serving
        assert c.get("/api/v1/health").status_code == 200
