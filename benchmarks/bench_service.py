"""Latency and throughput of ``cellresponse serve`` on this machine (bounded load).

Starts the server (the embedded default bundles, 127.0.0.1, a free port) as a child process,
then measures with a small asyncio HTTP/1.1 keep-alive client (lighter than a full HTTP
library, so that on 2 cores the client takes little of the CPU the server needs):

- single-pair response prediction (known IDs, random pairs) at 1 and 16 concurrent clients:
  p50 / p99 latency and requests/s;
- single-pair prediction through the model (a new drug by SMILES: not in the precomputed
  table) at 1 client, for comparison;
- one request of 10,000 pairs; one expression signature with a dose curve; one
  repurposing query over the model's compound library, and one over an uploaded 500-SMILES
  library (median of repeats);
- errors (any non-200 answer) and the server's peak RSS (VmHWM).

Usage: python benchmarks/bench_service.py [--requests 3000] [--seconds 60]
Every phase stops at its request count or time limit, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cellresponse.pipeline import default_bundles, read_bundle

GOALS = "p99 < 50 ms for one pair at 16 clients, >= 200 requests/s, 10,000 pairs < 1 s, zero errors"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Connection:
    """One keep-alive HTTP/1.1 connection: POST JSON, read status and body."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        return status, data

    def close(self) -> None:
        self.writer.close()


async def load(port: int, bodies: list[bytes], *, clients: int, seconds: float) -> dict[str, float]:
    """Closed-loop load: ``clients`` connections each send the next body when answered."""
    conns = [Connection(port) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in conns))
    latencies: list[float] = []
    errors = 0
    next_index = 0
    deadline = time.perf_counter() + seconds

    async def worker(conn: Connection) -> None:
        nonlocal next_index, errors
        while next_index < len(bodies) and time.perf_counter() < deadline:
            body = bodies[next_index]
            next_index += 1
            t0 = time.perf_counter()
            status, _ = await conn.post("/api/v1/response", body)
            latencies.append(time.perf_counter() - t0)
            errors += status != 200

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    wall = time.perf_counter() - start
    for c in conns:
        c.close()
    lat = np.array(latencies) * 1000
    return {
        "requests": len(lat),
        "errors": errors,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "max_ms": float(lat.max()),
        "req_per_s": len(lat) / wall,
    }


async def timed_post(port: int, path: str, body: bytes, repeats: int) -> tuple[float, int, int]:
    conn = Connection(port)
    await conn.open()
    times, errors, size = [], 0, 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        status, data = await conn.post(path, body)
        times.append(time.perf_counter() - t0)
        errors += status != 200
        size = len(data)
    conn.close()
    return float(np.median(times)) * 1000, errors, size


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per load phase (cap)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time per load phase (cap)")
    parser.add_argument("--cache", default=None, help="bundle cache (default: a temporary folder)")
    args = parser.parse_args()
    cache = Path(args.cache or tempfile.mkdtemp(prefix="cellresponse-bench-"))
    paths = default_bundles(cache=cache, log=print)
    ridge, enet, expr = (read_bundle(p) for p in paths)
    port = free_port()
    env = {**os.environ, "CELLRESPONSE_CACHE": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cellresponse.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        rng = np.random.default_rng(0)
        cells = ridge.cell_lines()
        drugs = list(ridge.perturbations().index)

        def pair_body(model: str, extra: dict | None = None) -> bytes:
            pair = {"cell_line": str(rng.choice(cells)), "drug": str(rng.choice(drugs))}
            return json.dumps({"model": model, "pairs": [pair], **(extra or {})}).encode()

        load_avg = os.getloadavg()
        print(f"# cellresponse serve on 127.0.0.1:{port}; {os.cpu_count()} CPUs; load average {load_avg[0]:.2f}")
        print(f"# goals: {GOALS}")
        asyncio.run(load(port, [pair_body(ridge.name) for _ in range(300)], clients=4, seconds=20))  # warm-up
        results = {}
        for clients in (1, 16):
            bodies = [pair_body(ridge.name) for _ in range(args.requests)]
            results[clients] = asyncio.run(load(port, bodies, clients=clients, seconds=args.seconds))
            r = results[clients]
            print(
                f"single pair (known IDs, {ridge.name}), {clients:2d} client(s): {r['requests']} requests, "
                f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms, "
                f"{r['req_per_s']:.0f} req/s, errors {r['errors']}"
            )
        smiles = {"aspirin": "CC(=O)Oc1ccccc1C(=O)O"}
        model_bodies = [
            json.dumps(
                {
                    "model": enet.name,
                    "pairs": [{"cell_line": str(rng.choice(cells)), "drug": "aspirin"}],
                    "smiles": smiles,
                }
            ).encode()
            for _ in range(min(args.requests, 300))
        ]
        r = asyncio.run(load(port, model_bodies, clients=1, seconds=args.seconds))
        results["model"] = r
        print(
            f"single pair through the model (new SMILES, {enet.name}), 1 client: {r['requests']} requests, "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {r['req_per_s']:.0f} req/s, errors {r['errors']}"
        )
        idx_c, idx_d = rng.integers(0, len(cells), 10_000), rng.integers(0, len(drugs), 10_000)
        big = json.dumps(
            {
                "model": ridge.name,
                "pairs": [{"cell_line": cells[i], "drug": drugs[j]} for i, j in zip(idx_c, idx_d, strict=True)],
            }
        ).encode()
        ms, err_big, size = asyncio.run(timed_post(port, "/api/v1/response", big, 5))
        print(
            f"one request of 10,000 pairs: median {ms:.0f} ms over 5 (request {len(big) / 1e6:.2f} MB, "
            f"response {size / 1e6:.2f} MB), errors {err_big}"
        )
        sig_body = json.dumps(
            {
                "model": expr.name,
                "compound": "vemurafenib",
                "cell_line": "A375",
                "dose": 10,
                "time": 24,
                "curve_genes": ["DUSP6", "MYC"],
            }
        ).encode()
        ms_sig, err_sig, _ = asyncio.run(timed_post(port, "/api/v1/expression", sig_body, 20))
        print(
            f"one signature (978 genes, top genes, 13-dose curve for 2 genes): median {ms_sig:.1f} ms, errors {err_sig}"
        )
        sig = json.loads(
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/expression",
                content=sig_body,
                headers={"content-type": "application/json"},
            ).content
        )
        order = np.argsort(sig["signature"])
        up = [sig["genes"][i] for i in order[-50:]]
        down = [sig["genes"][i] for i in order[:50]]
        rep = {"model": expr.name, "up": up, "down": down, "cell_line": "A375", "dose": 10, "time": 24}
        ms_rep, err_rep, _ = asyncio.run(timed_post(port, "/api/v1/repurposing", json.dumps(rep).encode(), 20))
        n_lib = len(expr.perturbations())
        print(
            f"one repurposing query (50 up / 50 down genes, WTCS) over the {n_lib}-compound library: "
            f"median {ms_rep:.1f} ms, errors {err_rep}"
        )
        base = list(expr.perturbations()["smiles"]) + list(ridge.perturbations()["smiles"].replace("", np.nan).dropna())
        library = [{"name": f"c{i}", "smiles": base[i % len(base)]} for i in range(500)]
        ms_lib, err_lib, _ = asyncio.run(
            timed_post(port, "/api/v1/repurposing", json.dumps({**rep, "library": library}).encode(), 5)
        )
        print(f"one repurposing query over an uploaded library of 500 SMILES: median {ms_lib:.0f} ms, errors {err_lib}")
        rss = peak_rss_mib(proc.pid)
        errors = sum(int(r["errors"]) for r in results.values()) + err_big + err_sig + err_rep + err_lib
        print(
            f"total errors: {errors}; server peak RSS (VmHWM): {rss:.0f} MiB; "
            f"load average at end {os.getloadavg()[0]:.2f}"
        )
        r16 = results[16]
        verdict = {
            "p99 < 50 ms at 16 clients": r16["p99_ms"] < 50,
            ">= 200 req/s at 16 clients": r16["req_per_s"] >= 200,
            "10,000 pairs < 1 s": ms < 1000,
            "zero errors": errors == 0,
        }
        print("goals: " + "; ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in verdict.items()))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
