"""Streaming read of a large SYNTHETIC GCTX (n signatures x 978 genes): time and peak RSS.

Writes the file in blocks (bounded memory), then in a fresh subprocess streams it with
``iter_gctx_chunks`` (column metadata read per chunk), computing a per-signature
statistic so every value is touched. Peak RSS should not grow with the number of
signatures; run with two sizes to show it.

Usage: python benchmarks/bench_gctx_stream.py [--sizes 50000 200000] [--chunk 10000] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

N_GENES = 978


def write_big_gctx(path: Path, n_cols: int, *, block: int = 10000) -> None:
    """Write an (n_cols x 978) SYNTHETIC GCTX block by block, with L1000-like metadata."""
    import h5py

    rng = np.random.default_rng(0)
    doses = np.array([b"0.04 uM", b"0.12 uM", b"0.37 uM", b"1.11 uM", b"3.33 uM", b"10 uM"])
    with h5py.File(path, "w") as h5:
        h5.attrs["version"] = np.bytes_(b"GCTX1.0")
        mat = h5.create_dataset("0/DATA/0/matrix", shape=(n_cols, N_GENES), dtype="f4", chunks=(1000, N_GENES))
        h5["0/META/ROW/id"] = np.array([f"{200000 + g}_at".encode() for g in range(N_GENES)])
        h5["0/META/ROW/pr_gene_symbol"] = np.array([f"G{g}".encode() for g in range(N_GENES)])
        cid = h5.create_dataset("0/META/COL/id", shape=(n_cols,), dtype="S24")
        idose = h5.create_dataset("0/META/COL/pert_idose", shape=(n_cols,), dtype="S8")
        itime = h5.create_dataset("0/META/COL/pert_itime", shape=(n_cols,), dtype="S5")
        cell = h5.create_dataset("0/META/COL/cell_id", shape=(n_cols,), dtype="S6")
        for start in range(0, n_cols, block):
            stop = min(start + block, n_cols)
            k = stop - start
            mat[start:stop] = rng.normal(size=(k, N_GENES)).astype(np.float32)
            cid[start:stop] = np.array([f"SYN_SIG_{i:09d}".encode() for i in range(start, stop)])
            idose[start:stop] = doses[rng.integers(len(doses), size=k)]
            itime[start:stop] = np.where(rng.random(k) < 0.5, b"6 h", b"24 h")
            cell[start:stop] = np.full(k, b"A375")


def stream(path: Path, chunk: int) -> dict[str, float]:
    from cellresponse.io import iter_gctx_chunks, parse_dose_time

    start = time.perf_counter()
    n, total, n_dose = 0, 0.0, 0
    for block in iter_gctx_chunks(path, chunk_size=chunk):
        total += float(block.data.to_numpy().mean(axis=0).sum())
        n_dose += int(parse_dose_time(block.col_meta)["dose"].notna().sum())
        n += block.shape[1]
    return {
        "n_signatures": n,
        "n_dose_parsed": n_dose,
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_mb": path.stat().st_size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[50000, 200000])
    parser.add_argument("--chunk", type=int, default=10000)
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--child", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(stream(Path(args.child), args.chunk)))
        return
    for n in args.sizes:
        path = Path(args.dir) / f"synthetic_{n}x{N_GENES}.gctx"
        t0 = time.perf_counter()
        write_big_gctx(path, n)
        write_s = time.perf_counter() - t0
        load = os.getloadavg()[0]
        cmd = [sys.executable, __file__, "--child", str(path), "--chunk", str(args.chunk)]
        res = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        res.update({"write_s": write_s, "chunk": args.chunk, "load_1min": load})
        res["signatures_per_s"] = res["n_signatures"] / res["seconds"]
        print(json.dumps(res), flush=True)
        if not args.keep:
            path.unlink()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
