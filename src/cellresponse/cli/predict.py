"""``cellresponse predict``: predictions of a saved model for (cell line, drug) pairs.

Response models: known IDs take their features from ``--dataset``; new cell lines can
come with omics rows (``--expression``/``--mutation``/``--cnv`` CSVs: first column
cell-line ID, then one column per gene) and new drugs with SMILES (``--smiles`` CSV:
drug, smiles). IDs the model does not know are an error listing the closest known IDs
(``--allow-unknown``: NaN and a ``status`` column instead).

Expression models: ``--compound-smiles S --cell-line C --dose 10 --time 24`` returns
the predicted signature (one value per gene); doses and times outside the training range
need ``--allow-extrapolation`` and are flagged; with a bundle, ``--compound ID`` names a
known compound instead.

Repurposing (expression bundles): ``--up FILE --down FILE`` (one gene per line) or
``--vector FILE`` (CSV gene,value) with ``--cell-line --dose --time`` and ``--mode
mimic|reverse`` ranks the bundle's compounds (or ``--library`` CSV name,smiles) by the
connectivity of their predicted signatures (see :mod:`cellresponse.enrich`).

A bundle written by ``cellresponse train`` holds the features of its known cell lines and
drugs, so ``--pairs`` works without ``--dataset``."""

from __future__ import annotations

import argparse
import sys
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
    p.add_argument("--compound", help="expression bundles: a known compound ID (instead of --compound-smiles)")
    p.add_argument("--up", help="repurposing: file of up genes (one per line)")
    p.add_argument("--down", help="repurposing: file of down genes (one per line)")
    p.add_argument("--vector", help="repurposing: CSV gene,value (a full query signature)")
    p.add_argument("--mode", choices=["mimic", "reverse"], default="mimic", help="repurposing direction")
    p.add_argument("--method", choices=["wtcs", "spearman", "pearson"], help="repurposing score (default by query)")
    p.add_argument("--library", help="repurposing: CSV name,smiles to rank instead of the bundle's compounds")
    p.add_argument("--allow-missing-genes", action="store_true", help="repurposing: drop query genes not in the model")
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
    from cellresponse.models import load_model
    from cellresponse.results import check_output_file

    if args.out:
        check_output_file(args.out, what="--out")
        note_output(args.out)
    if args.up or args.down or args.vector:
        return _repurpose(args)
    if args.compound_smiles is not None or args.compound is not None:
        return _predict_signature(args)
    if not args.pairs:
        raise ValueError("give --pairs (response models) or --compound-smiles/--cell-line/--dose/--time")
    if not args.dataset and pipeline.is_bundle(args.model):
        return _predict_bundle_pairs(args)
    model = load_model(args.model)  # verified before anything else is loaded
    pairs = _read_pairs(args.pairs)
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


def _read_pairs(path: str) -> Any:
    from cellresponse.io import read_csv_checked

    pairs = read_csv_checked(path, what="--pairs table", dtype=str, keep_default_na=False, na_values=[""])
    pairs.attrs["source"] = f"--pairs table {path}"
    return pairs


def _predict_bundle_pairs(args: argparse.Namespace) -> int:
    from cellresponse import pipeline
    from cellresponse.errors import InputError

    if args.impute_missing:
        raise InputError(
            "--impute-missing fills new omics rows from a dataset's feature means: give --dataset too",
            source="--impute-missing",
        )
    bundle = pipeline.read_bundle(args.model)
    pairs = _read_pairs(args.pairs)
    views = _read_views(args)
    smiles = _read_smiles(args.smiles)
    preds = pipeline.predict_response(
        bundle, pairs, omics=views, smiles=None if smiles is None else dict(smiles.items()),
        on_unknown="nan" if args.allow_unknown else "error",
    )  # fmt: skip
    _emit(preds, args.out, f"{len(preds)} predictions")
    return 0


def _gene_file(path: str | None) -> tuple[str, ...]:
    if not path:
        return ()
    from cellresponse.io import read_gene_list

    return tuple(read_gene_list(path))


def _repurpose(args: argparse.Namespace) -> int:
    import pandas as pd

    from cellresponse import pipeline
    from cellresponse.enrich import ConnectivityQuery
    from cellresponse.errors import InputError
    from cellresponse.io import read_csv_checked

    missing = [f"--{n.replace('_', '-')}" for n in ("cell_line", "dose", "time") if getattr(args, n) is None]
    if missing:
        raise ValueError(f"a repurposing query also needs {', '.join(missing)}")
    if args.vector:
        table = read_csv_checked(args.vector, what="--vector table")
        if table.shape[1] < 2:
            raise InputError(f"--vector table {args.vector}: expected two columns gene,value", source=args.vector)
        values = pd.to_numeric(table.iloc[:, 1], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().argmax()) + 1
            raise InputError(f"--vector table {args.vector}: data row {row} has no numeric value",
                             source=args.vector, row=row)  # fmt: skip
        vector = pd.Series(values.to_numpy(float), index=table.iloc[:, 0].astype(str))
        query = ConnectivityQuery(vector=vector, method=args.method)
    else:
        query = ConnectivityQuery(up=_gene_file(args.up), down=_gene_file(args.down), method=args.method)
    library = None
    if args.library:
        lib = read_csv_checked(args.library, what="--library table", required=["name", "smiles"], dtype=str)
        library = dict(zip(lib["name"].astype(str), lib["smiles"].astype(str), strict=True))
    result = pipeline.repurpose(
        pipeline.read_bundle(args.model), query, cell_line=args.cell_line, dose=args.dose, time=args.time,
        mode=args.mode, library=library, allow_missing_genes=args.allow_missing_genes,
    )  # fmt: skip
    if result.genes_dropped:
        print(f"cellresponse predict: dropped query genes not in the model: {result.genes_dropped}", file=sys.stderr)
    _emit(result.table, args.out, f"{len(result.table)} compounds ranked ({result.method}, {result.mode})")
    return 0


def _predict_signature(args: argparse.Namespace) -> int:
    from cellresponse import pipeline
    from cellresponse.errors import InputError
    from cellresponse.models import load_model

    flag = "--compound-smiles" if args.compound_smiles is not None else "--compound"
    missing = [f"--{n.replace('_', '-')}" for n in ("cell_line", "dose", "time") if getattr(args, n) is None]
    if missing:
        raise ValueError(f"{flag} also needs {', '.join(missing)}")
    if pipeline.is_bundle(args.model):
        signature = pipeline.predict_expression(
            pipeline.read_bundle(args.model), cell_line=args.cell_line, dose=args.dose, time=args.time,
            compound=args.compound, smiles=args.compound_smiles,
        )  # fmt: skip
        flags = list(signature.attrs.get("extrapolated", []))
        if flags and not args.allow_extrapolation:  # the same rule as for a plain saved model
            raise InputError("; ".join(flags) + "; pass --allow-extrapolation to predict it anyway (flagged "
                             "'extrapolated' in the output)", source="--dose")  # fmt: skip
        for note in flags:
            print(f"cellresponse predict: warning: {note}", file=sys.stderr)
        table = signature.rename("prediction").rename_axis("gene").reset_index()
        table["extrapolated"] = bool(signature.attrs.get("extrapolated"))
    elif args.compound is not None:
        raise ValueError(f"--compound needs a model bundle (written by cellresponse train); {args.model} is not one")
    else:
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
