"""``cellresponse predict``: predictions of a saved model for (cell line, drug) pairs.

Response models: known IDs take their features from ``--dataset``; new cell lines can
come with omics rows (``--expression``/``--mutation``/``--cnv`` CSVs: first column
cell-line ID, then one column per gene) and new drugs with SMILES (``--smiles`` CSV:
drug, smiles). IDs the model does not know are an error listing the closest known IDs
(``--allow-unknown``: NaN and a ``status`` column instead).

Expression models: ``--compound-smiles S --cell-line C --dose 10 --time 24`` returns
the predicted signature (one value per gene); doses and times outside the training range
need ``--allow-extrapolation`` and are flagged.
"""

from __future__ import annotations

import argparse
from typing import Any

from cellresponse.cli._args import positive_number


def add_parser(sub: Any) -> None:
    p = sub.add_parser("predict", help="predict (cell line, drug) pairs with a saved model")
    p.add_argument("--model", required=True, help="model directory written by `cellresponse train`")
    p.add_argument("--pairs", help="CSV with columns cell_line, drug (response models)")
    p.add_argument("--compound-smiles", help="expression models: the compound's SMILES")
    p.add_argument("--cell-line", help="expression models: cell-line ID (needs a basal profile)")
    p.add_argument("--dose", type=positive_number, help="expression models: dose in µM (finite, > 0)")
    p.add_argument("--time", type=positive_number, help="expression models: time in hours (finite, > 0)")
    p.add_argument(
        "--allow-extrapolation",
        action="store_true",
        help="predict a dose/time outside the training range (flagged 'extrapolated')",
    )
    p.add_argument("--dataset", help="dataset supplying features of known IDs (e.g. gdsc2)")
    p.add_argument("--target")
    for view in ("expression", "mutation", "cnv"):
        p.add_argument(f"--{view}", help=f"CSV of new {view} rows (cell_line, genes...)")
    p.add_argument("--smiles", help="CSV with columns drug, smiles for new drugs")
    p.add_argument(
        "--allow-unknown",
        action="store_true",
        help="give unknown cell lines/drugs NaN and a status column instead of an error",
    )
    p.add_argument(
        "--impute-missing",
        action="store_true",
        help="fill missing omics values with feature means (rows flagged in an 'imputed' column)",
    )
    p.add_argument("--out", help="output CSV (default: print)")
    p.set_defaults(func=run)


def _read_views(args: argparse.Namespace) -> dict[str, Any]:
    from cellresponse.io import read_csv_checked

    views = {}
    for view in ("expression", "mutation", "cnv"):
        path = getattr(args, view)
        if path:
            frame = read_csv_checked(path, what=f"--{view} table", index_col=0)
            frame.index = frame.index.astype(str)
            frame.attrs["source"] = f"--{view} table {path}"
            if frame.index.has_duplicates:
                dup = frame.index[frame.index.duplicated()].unique()
                from cellresponse.errors import InputError

                raise InputError(f"--{view} table {path}: duplicated cell line(s) {list(dup[:5])}", source=path)
            views[view] = frame
    return views


def _read_smiles(path: str | None) -> Any:
    from cellresponse.errors import InputError
    from cellresponse.io import read_csv_checked

    if not path:
        return None
    table = read_csv_checked(path, what="--smiles table", required=["drug", "smiles"], dtype=str)
    bad = table["drug"].isna() | table["smiles"].isna()
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 1
        raise InputError(f"--smiles table {path}: data row {row} lacks a drug or a SMILES", source=path, row=row)
    if table["drug"].duplicated().any():
        dup = table["drug"][table["drug"].duplicated()].unique()
        raise InputError(f"--smiles table {path}: drug(s) listed twice: {list(dup[:5])}", source=path)
    return table.set_index("drug")["smiles"]


def run(args: argparse.Namespace) -> int:
    from cellresponse import pipeline
    from cellresponse.cli._errors import note_output
    from cellresponse.io import read_csv_checked
    from cellresponse.models import load_model
    from cellresponse.results import check_output_file

    if args.out:
        check_output_file(args.out, what="--out")
        note_output(args.out)
    if args.compound_smiles is not None:
        return _predict_signature(args)
    if not args.pairs:
        raise ValueError("give --pairs (response models) or --compound-smiles/--cell-line/--dose/--time")
    model = load_model(args.model)  # verified before anything else is loaded
    pairs = read_csv_checked(args.pairs, what="--pairs table", dtype=str, keep_default_na=False, na_values=[""])
    pairs.attrs["source"] = f"--pairs table {args.pairs}"
    views = _read_views(args)
    smiles = _read_smiles(args.smiles)
    reference = None
    if args.dataset:
        from cellresponse.datasets import load_dataset

        reference = load_dataset(args.dataset, target=args.target)
    data = pipeline.pairs_dataset(
        pairs, reference=reference, cell_views=views, smiles=smiles, impute=args.impute_missing
    )
    preds = pipeline.predict(model, data, allow_unknown=args.allow_unknown)
    _emit(preds, args.out, f"{len(preds)} predictions")
    return 0


def _emit(table: Any, out: str | None, what: str) -> None:
    from cellresponse import pipeline

    if out:
        pipeline.write_table(table, out)
        print(f"cellresponse predict: {what} written to {out}")
    else:
        print(table.to_csv(index=False), end="")


def _predict_signature(args: argparse.Namespace) -> int:
    from cellresponse import pipeline
    from cellresponse.models import load_model

    missing = [f"--{n.replace('_', '-')}" for n in ("cell_line", "dose", "time") if getattr(args, n) is None]
    if missing:
        raise ValueError(f"--compound-smiles also needs {', '.join(missing)}")
    table = pipeline.predict_signature_table(
        load_model(args.model),
        smiles=args.compound_smiles,
        cell_line=args.cell_line,
        dose=args.dose,
        time=args.time,
        allow_extrapolation=args.allow_extrapolation,
    )
    _emit(table, args.out, f"signature over {len(table)} genes")
    return 0
