"""``cellresponse predict``: predictions of a saved model for (cell line, drug) pairs.

Response models: known IDs take their features from ``--dataset``; new cell lines can
come with omics rows (``--expression``/``--mutation``/``--cnv`` CSVs: first column
cell-line ID, then one column per gene) and new drugs with SMILES (``--smiles`` CSV:
drug, smiles).

Expression models: ``--compound-smiles S --cell-line C --dose 10 --time 24`` returns
the predicted signature (one value per gene).

Every prediction comes with a conformal interval at ``--level`` (default 0.9) and, for
pairs, its novelty scores and an ``out_of_domain`` flag; a model saved without
calibration predicts empty bounds and says so.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("predict", help="predict (cell line, drug) pairs with a saved model")
    p.add_argument("--model", required=True, help="model directory written by `cellresponse train`")
    p.add_argument("--pairs", help="CSV with columns cell_line, drug (response models)")
    p.add_argument("--compound-smiles", help="expression models: the compound's SMILES")
    p.add_argument("--cell-line", help="expression models: cell-line ID (needs a basal profile)")
    p.add_argument("--dose", type=float, help="expression models: dose in µM")
    p.add_argument("--time", type=float, help="expression models: time in hours")
    p.add_argument("--dataset", help="dataset supplying features of known IDs (e.g. gdsc2)")
    p.add_argument("--target")
    for view in ("expression", "mutation", "cnv"):
        p.add_argument(f"--{view}", help=f"CSV of new {view} rows (cell_line, genes...)")
    p.add_argument("--smiles", help="CSV with columns drug, smiles for new drugs")
    p.add_argument("--level", type=float, default=0.9, help="coverage level of the intervals, in (0, 1)")
    p.add_argument("--out", help="output CSV (default: print)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from cellresponse import pipeline

    if args.compound_smiles is not None:
        return _predict_signature(args)
    if not args.pairs:
        raise ValueError("give --pairs (response models) or --compound-smiles/--cell-line/--dose/--time")
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
    preds = pipeline.predict(args.model, data, level=args.level)
    _say_note(preds.attrs.get("note", ""))
    if args.out:
        pipeline.write_table(preds, args.out)
        print(f"cellresponse predict: {len(preds)} predictions written to {args.out}")
    else:
        print(preds.to_csv(index=False), end="")
    return 0


def _say_note(note: str) -> None:
    import sys

    if note:
        print(f"cellresponse predict: {note}", file=sys.stderr)


def _predict_signature(args: argparse.Namespace) -> int:
    import sys

    from cellresponse.uncertainty import load_calibrated

    missing = [f"--{n.replace('_', '-')}" for n in ("cell_line", "dose", "time") if getattr(args, n) is None]
    if missing:
        raise ValueError(f"--compound-smiles also needs {', '.join(missing)}")
    table = load_calibrated(args.model).predict_signature(
        smiles=args.compound_smiles, cell_line=args.cell_line, dose=args.dose, time=args.time, level=args.level
    )
    _say_note(table.attrs.get("note", ""))
    novelty = table.attrs.get("novelty") or {}
    if novelty:
        print(
            f"cellresponse predict: signature confidence {table.attrs['confidence']:.2f}; "
            f"out of domain: {bool(novelty.get('out_of_domain'))} {novelty.get('domain_notes') or ''}".rstrip(),
            file=sys.stderr,
        )
    if args.out:
        from cellresponse import pipeline

        pipeline.write_table(table, args.out)
        print(f"cellresponse predict: signature over {len(table)} genes written to {args.out}")
    else:
        print(table.to_csv(index=False), end="")
    return 0
