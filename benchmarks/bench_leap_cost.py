"""Cost of LEAP pieces: vectorised heads for 1,000 targets, autoencoder epochs, peak RSS.

Heads: 1,000 synthetic targets on 1,000 lines x 256 features (sparse true coefficients +
noise); each vectorised head is timed once; the per-gene reference is sklearn
``ElasticNetCV`` (5-fold, 8 alphas) fitted one gene at a time on ``--ref-genes`` genes,
extrapolated to 1,000. Autoencoder: seconds per epoch at 1,450 x 5,000 (hidden 256,
code 64, batch 64), plain and masked. ``uptime`` load is printed beside every timing:
the machine is shared.

    .venv/bin/python benchmarks/bench_leap_cost.py --out results/leap_cost
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np


def load_avg() -> str:
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    return out.strip().split("load average:")[-1].strip()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/leap_cost")
    parser.add_argument("--n-lines", type=int, default=1000)
    parser.add_argument("--n-features", type=int, default=256)
    parser.add_argument("--n-genes", type=int, default=1000)
    parser.add_argument("--ref-genes", type=int, default=10)
    parser.add_argument("--heads", nargs="+", default=["ridge", "enet", "lasso", "knn", "mlp"])
    parser.add_argument("--skip-heads", action="store_true", help="only the reference and the autoencoder")
    parser.add_argument("--ae-epochs", type=int, default=3)
    args = parser.parse_args()
    from cellresponse.models.leap import make_head

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    n, k, t = args.n_lines, args.n_features, args.n_genes
    z = rng.normal(size=(n, k)).astype(np.float32)
    coef = rng.normal(size=(k, t)) * (rng.random((k, t)) < 0.05)
    y = (z @ coef + rng.normal(scale=2.0, size=(n, t))).astype(np.float32)
    y[rng.random((n, t)) < 0.01] = np.nan  # a few missing entries: exercises the masks
    test = rng.normal(size=(200, k)).astype(np.float32)
    truth = test @ coef
    rows = []
    for kind in [] if args.skip_heads else args.heads:
        t0 = time.perf_counter()
        head = make_head(kind).fit(z, y, random_state=0)
        sec = time.perf_counter() - t0
        pred = head.predict(test)
        r = np.nanmean([np.corrcoef(pred[:, j], truth[:, j])[0, 1] for j in range(t) if np.ptp(truth[:, j]) > 0])
        rows.append(
            {
                "what": f"head:{kind}",
                "seconds": sec,
                "per_gene_s": sec / t,
                "mean_r_vs_truth": float(r),
                "load": load_avg(),
            }
        )
        print(rows[-1], flush=True)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import ElasticNetCV

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for j in range(args.ref_genes):
            m = np.isfinite(y[:, j])
            ElasticNetCV(l1_ratio=0.5, alphas=8, cv=5, n_jobs=1).fit(z[m], y[m, j])
    sec = time.perf_counter() - t0
    rows.append(
        {
            "what": "sklearn ElasticNetCV per gene (reference)",
            "seconds": sec,
            "per_gene_s": sec / args.ref_genes,
            "extrapolated_1000_genes_s": 1000 * sec / args.ref_genes,
            "load": load_avg(),
        }
    )
    print(rows[-1], flush=True)
    from cellresponse.features import RepresentationConfig
    from cellresponse.models.nn._autoencoder import train_autoencoder

    x = rng.normal(size=(1450, 5000)).astype(np.float32)
    for masked in (False, True):
        cfg = RepresentationConfig(
            kind="dae" if masked else "ae", n_components=64, hidden=(256,), epochs=args.ae_epochs
        )
        _, info = train_autoencoder(x, config=cfg, random_state=0, masked=masked)
        rows.append(
            {
                "what": f"autoencoder epoch 1450x5000 ({'masked' if masked else 'plain'})",
                "seconds": float(np.median(info["epoch_seconds"])),
                "load": load_avg(),
            }
        )
        print(rows[-1], flush=True)
    result = {"rows": rows, "peak_rss_mb": peak_rss_mb(), "shape": [n, k, t]}
    (out / "cost.json").write_text(json.dumps(result, indent=2))
    print("peak RSS MB", round(peak_rss_mb()), "| load", load_avg())


if __name__ == "__main__":
    main()
