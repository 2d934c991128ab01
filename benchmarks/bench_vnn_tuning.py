"""Choose the VNN's training defaults by the *inner validation* loss on one GDSC2 fold.

Usage::

    CELLRESPONSE_DATA=../shared/data .venv/bin/python benchmarks/bench_vnn_tuning.py \
        --model vnn_drugcell --configs A,B,C [--n-train 40000] [--epochs 4] [--patience P] [--threads 1]

Fold 0 of the seeded 5-fold leave-cell-line-out split of GDSC2 (LN_IC50): the model
trains on (a seeded subsample of) the fold's training pairs and is scored on the fold's
inner validation cell lines after every epoch. The fold's test part is never touched.
Prints one JSON line per configuration: per-epoch validation MSE (standardised target),
the validation Pearson of the restored best network, the spread of its predictions
(a constant predictor has std ~0) and seconds per epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from cellresponse.datasets import load_dataset
from cellresponse.models import make_model
from cellresponse.splits import make_split

_NO_OFFSET = {"drug_offset": False}  # the configurations compared before the drug offset existed
CONFIGS: dict[str, dict[str, object]] = {
    # DrugCell's summed auxiliary loss, the first defaults
    "old": {"aux_reduction": "sum", "trainer__lr": 1e-3, "trainer__batch_size": 2000, **_NO_OFFSET},
    "sum_lr3e-3_b500": {"aux_reduction": "sum", "trainer__lr": 3e-3, "trainer__batch_size": 500, **_NO_OFFSET},
    "mean_lr1e-3_b500": {"aux_reduction": "mean", "trainer__lr": 1e-3, "trainer__batch_size": 500, **_NO_OFFSET},
    "mean_lr3e-3_b500": {"aux_reduction": "mean", "trainer__lr": 3e-3, "trainer__batch_size": 500, **_NO_OFFSET},
    "mean_lr3e-3_b1000": {"aux_reduction": "mean", "trainer__lr": 3e-3, "trainer__batch_size": 1000, **_NO_OFFSET},
    "mean_lr1e-2_b1000": {"aux_reduction": "mean", "trainer__lr": 1e-2, "trainer__batch_size": 1000, **_NO_OFFSET},
    "mean_lr3e-3_b500_init1": {
        "aux_reduction": "mean",
        "trainer__lr": 3e-3,
        "trainer__batch_size": 500,
        "init_scale": 1.0,
        **_NO_OFFSET,
    },
    # with the drug offset (learning each drug's deviation), on the full fold (--n-train 0)
    "offset_lr3e-3_b2000": {"aux_reduction": "mean", "trainer__lr": 3e-3, "trainer__batch_size": 2000},
    "offset_lr3e-3_b5000": {"aux_reduction": "mean", "trainer__lr": 3e-3, "trainer__batch_size": 5000},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="vnn_drugcell")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--n-train", type=int, default=40000, help="training pairs subsampled (0 = all)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--patience", type=int, default=None, help="early-stopping patience (default: --epochs)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    data = load_dataset("gdsc2", target="ln_ic50")
    split = make_split(data, mode="lco", n_folds=5, seed=0)
    fold = split.folds[0]
    rng = np.random.default_rng(0)
    rows = fold.train if not 0 < args.n_train < len(fold.train) else rng.choice(fold.train, args.n_train, replace=False)
    train, valid = data[np.sort(rows)], data[fold.valid]
    for name in args.configs.split(","):
        patience = args.epochs if args.patience is None else args.patience
        params = {
            "trainer__epochs": args.epochs,
            "trainer__patience": patience,
            "trainer__num_threads": args.threads,
            **CONFIGS[name],
        }
        t0 = time.perf_counter()
        model = make_model(args.model, **params).fit(train, valid=valid)
        elapsed = time.perf_counter() - t0
        pred = model.predict(valid)
        record = {
            "model": args.model,
            "config": name,
            **params,
            "n_train": len(train),
            "n_valid": len(valid),
            "valid_mse_per_epoch": [round(h["valid_loss"], 4) for h in model.history_],
            "train_loss_per_epoch": [round(h["train_loss"], 4) for h in model.history_],
            "valid_pearson": float(np.corrcoef(pred, valid.y)[0, 1]) if np.std(pred) > 0 else 0.0,
            "pred_std_over_y_std": float(np.std(pred) / np.std(valid.y)),
            "fit_s": round(elapsed, 1),
            "load": os.getloadavg(),
        }
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
