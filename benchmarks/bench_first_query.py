"""Time from a fresh install to the first answered query.

1. A new virtual environment; ``pip install ".[serve]"`` of this checkout (a wheel, not
   editable), with pip's own download cache as it is on this machine (stated in the output).
2. ``cellresponse serve`` with no data root and an empty bundle cache: it builds the
   embedded default bundles, then answers; the clock runs from the process start to the
   first 200 answer of a response query (and of an expression query).
3. The same with the now warm bundle cache.

Usage: python benchmarks/bench_first_query.py [--venv DIR] [--skip-install]
``--skip-install`` measures steps 2-3 with the current interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_answer(cellresponse: list[str], cache: Path, workdir: Path) -> tuple[float, float, str]:
    """Seconds from starting ``serve`` to the first answered response and expression query."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CELLRESPONSE_DATA", "PYTHONPATH")}
    env["CELLRESPONSE_CACHE"] = str(cache)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*cellresponse, "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/api/v1"
    body = {"model": "gdsc2-demo-ridge", "pairs": [{"cell_line": "ACH-000004", "drug": "Docetaxel"}]}
    expr = {"model": "a375-expr-ridge", "compound": "vemurafenib", "cell_line": "A375", "dose": 1, "time": 24}
    t_resp = t_expr = None
    try:
        while time.perf_counter() - start < 600:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if t_resp is None and httpx.post(f"{url}/response", json=body, timeout=5).status_code == 200:
                    t_resp = time.perf_counter() - start
                if t_resp is not None and httpx.post(f"{url}/expression", json=expr, timeout=5).status_code == 200:
                    t_expr = time.perf_counter() - start
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    if t_resp is None or t_expr is None:
        raise RuntimeError(f"no answer within 600 s:\n{out}")
    return t_resp, t_expr, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", help="where to create the fresh environment (default: a temporary folder)")
    parser.add_argument("--skip-install", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cellresponse-fresh-"))
    try:
        if args.skip_install:
            cellresponse = [sys.executable, "-m", "cellresponse.cli"]
        else:
            venv = Path(args.venv) if args.venv else tmp / "venv"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
            subprocess.run([*pip, "--upgrade", "pip"], check=True)
            t1 = time.perf_counter()
            subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), f"{ROOT}[serve]"], check=True)
            t2 = time.perf_counter()
            print(
                f"fresh venv {t1 - t0:.0f} s; pip install '.[serve]' {t2 - t1:.0f} s "
                f"(pip's download cache as found on this machine)"
            )
            cellresponse = [str(venv / "bin" / "cellresponse")]
        work = tmp / "work"
        work.mkdir()
        cache = tmp / "cache"
        cold = first_answer(cellresponse, cache, work)
        build = [line for line in cold[2].splitlines() if "built" in line]
        print(
            f"cold start (no bundle cache, no data root): first response answer {cold[0]:.1f} s, "
            f"first expression answer {cold[1]:.1f} s"
        )
        for line in build:
            print(f"    {line}")
        warm = first_answer(cellresponse, cache, work)
        print(f"warm start (bundles cached): first response answer {warm[0]:.1f} s, expression {warm[1]:.1f} s")
        print(json.dumps({"cold_response_s": cold[0], "cold_expression_s": cold[1], "warm_response_s": warm[0]}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
