"""Training throughput (samples/s) and peak RSS of ``expr_dosetime`` at L1000 shape.

978 genes, 978 basal features, 2048-bit fingerprints, batch 256, on CPU. Synthetic
inputs (SYNTHETIC: random values; only the shapes matter here). Each configuration runs
in a fresh subprocess so its peak RSS (ru_maxrss) is its own.

Usage: python benchmarks/bench_expression_throughput.py [--n 20000] [--epochs 2] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def _child(n: int, epochs: int, threads: int) -> dict[str, float]:
    import numpy as np
    import pandas as pd

    from cellresponse.data import Dataset, FeatureView
    from cellresponse.models import make_model

    rng = np.random.default_rng(0)
    n_cells, n_cmp, n_genes, n_bits = 100, 2000, 978, 2048
    cells = [f"C{i}" for i in range(n_cells)]
    cmps = [f"D{j}" for j in range(n_cmp)]
    genes = [f"G{g}" for g in range(n_genes)]
    obs = pd.DataFrame(
        {
            "cell_line": np.asarray(cells)[rng.integers(n_cells, size=n)],
            "perturbation": np.asarray(cmps)[rng.integers(n_cmp, size=n)],
            "dose": 10.0 ** rng.uniform(-2, 1, n),
            "time": rng.choice([6.0, 24.0], n),
        }
    )
    ds = Dataset(
        obs=obs,
        y=rng.normal(size=(n, n_genes)).astype(np.float32),
        target="signature",
        task="expression",
        perturbation_kind="compound",
        cell_views={"basal": FeatureView("basal", cells, rng.normal(size=(n_cells, n_genes)), genes)},
        perturbation_views={
            "morgan": FeatureView(
                "morgan",
                cmps,
                (rng.random((n_cmp, n_bits)) < 0.05).astype(np.float32),
                [f"b{k}" for k in range(n_bits)],
                "binary",
            )
        },
        target_names=tuple(genes),
        name="synthetic_throughput",
        info={"synthetic": True},
    )
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model = make_model(
        "expr_dosetime",
        trainer__epochs=epochs,
        trainer__batch_size=256,
        trainer__num_threads=threads,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(ds)
    wall = time.perf_counter() - start
    epoch_s = [h["seconds"] for h in model.history_]
    return {
        "n": n,
        "epochs": epochs,
        "threads": threads,
        "wall_s": wall,
        "samples_per_s_total": n * epochs / wall,
        "samples_per_s_best_epoch": n / min(epoch_s),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_data_mb": rss_data,
        "n_params": int(sum(p.numel() for p in model.network_.parameters())),
        "epoch_seconds": [round(t, 2) for t in epoch_s],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.n, args.epochs, args.threads[0])))
        return
    for threads in args.threads:
        load_before = os.getloadavg()
        cmd = [
            sys.executable,
            __file__,
            "--child",
            "--n",
            str(args.n),
            "--epochs",
            str(args.epochs),
            "--threads",
            str(threads),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        res["load_1min_before"] = load_before[0]
        res["load_1min_after"] = os.getloadavg()[0]
        print(json.dumps(res), flush=True)
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
