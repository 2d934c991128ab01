"""``cellresponse predict``: predictions of a saved model for (cell line, drug) pairs.

Known IDs take their features from ``--dataset``; new cell lines can come with omics
rows (``--expression``/``--mutation``/``--cnv`` CSVs: first column cell-line ID, then one
column per gene) and new drugs with SMILES (``--smiles`` CSV: drug, smiles).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("predict", help="predict (cell line, drug) pairs with a saved model")
    p.add_argument("--model", required=True, help="model directory written by `cellresponse train`")
    p.add_argument("--pairs", required=True, help="CSV with columns cell_line, drug")
    p.add_argument("--dataset", help="dataset supplying features of known IDs (e.g. gdsc2)")
    p.add_argument("--target")
    for view in ("expression", "mutation", "cnv"):
        p.add_argument(f"--{view}", help=f"CSV of new {view} rows (cell_line, genes...)")
    p.add_argument("--smiles", help="CSV with columns drug, smiles for new drugs")
    p.add_argument("--out", help="output CSV (default: print)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from cellresponse import pipeline

    reference = None
    if args.dataset:
        from cellresponse.datasets import load_dataset

        reference = load_dataset(args.dataset, target=args.target)
    views = {
        v: pd.read_csv(getattr(args, v), index_col=0) for v in ("expression", "mutation", "cnv") if getattr(args, v)
    }
    smiles = None
    if args.smiles:
        table = pd.read_csv(args.smiles)
        if not {"drug", "smiles"} <= set(table.columns):
            raise ValueError(f"{args.smiles} needs columns drug, smiles; has {list(table.columns)}")
        smiles = table.set_index("drug")["smiles"]
    data = pipeline.pairs_dataset(pd.read_csv(args.pairs), reference=reference, cell_views=views, smiles=smiles)
    preds = pipeline.predict(args.model, data)
    if args.out:
        pipeline.write_table(preds, args.out)
        print(f"cellresponse predict: {len(preds)} predictions written to {args.out}")
    else:
        print(preds.to_csv(index=False), end="")
    return 0
