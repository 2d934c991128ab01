"""``cellresponse predict``: predictions of a saved model for (cell line, drug) pairs.

Response models: known IDs take their features from ``--dataset``; new cell lines can
come with omics rows (``--expression``/``--mutation``/``--cnv`` CSVs: first column
cell-line ID, then one column per gene) and new drugs with SMILES (``--smiles`` CSV:
drug, smiles).

Expression models: ``--compound-smiles S --cell-line C --dose 10 --time 24`` returns
the predicted signature (one value per gene); with a bundle, ``--compound ID`` names a
known compound instead.

Repurposing (expression bundles): ``--up FILE --down FILE`` (one gene per line) or
``--vector FILE`` (CSV gene,value) with ``--cell-line --dose --time`` and ``--mode
mimic|reverse`` ranks the bundle's compounds (or ``--library`` CSV name,smiles) by the
connectivity of their predicted signatures (see :mod:`cellresponse.enrich`).

A bundle written by ``cellresponse train`` holds the features of its known cell lines and
drugs, so ``--pairs`` works without ``--dataset``.
"""

from __future__ import annotations

import argparse
import sys
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


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from cellresponse import pipeline

    if args.up or args.down or args.vector:
        return _repurpose(args)
    if args.compound_smiles is not None or args.compound is not None:
        return _predict_signature(args)
    if not args.pairs:
        raise ValueError("give --pairs (response models) or --compound-smiles/--cell-line/--dose/--time")
    if not args.dataset and pipeline.is_bundle(args.model):
        return _predict_bundle_pairs(args)
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


def _output(table: Any, args: argparse.Namespace, what: str) -> int:
    from cellresponse import pipeline

    if args.out:
        pipeline.write_table(table, args.out)
        print(f"cellresponse predict: {what} written to {args.out}")
    else:
        print(table.to_csv(index=False), end="")
    return 0


def _new_omics_and_smiles(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str] | None]:
    import pandas as pd

    views = {
        v: pd.read_csv(getattr(args, v), index_col=0) for v in ("expression", "mutation", "cnv") if getattr(args, v)
    }
    smiles = None
    if args.smiles:
        table = pd.read_csv(args.smiles)
        if not {"drug", "smiles"} <= set(table.columns):
            raise ValueError(f"{args.smiles} needs columns drug, smiles; has {list(table.columns)}")
        smiles = dict(zip(table["drug"].astype(str), table["smiles"].astype(str), strict=True))
    return views, smiles


def _predict_bundle_pairs(args: argparse.Namespace) -> int:
    import pandas as pd

    from cellresponse import pipeline

    bundle = pipeline.read_bundle(args.model)
    views, smiles = _new_omics_and_smiles(args)
    preds = pipeline.predict_response(bundle, pd.read_csv(args.pairs), omics=views, smiles=smiles)
    return _output(preds, args, f"{len(preds)} predictions")


def _gene_file(path: str | None) -> tuple[str, ...]:
    if not path:
        return ()
    from cellresponse.io import read_gene_list

    return tuple(read_gene_list(path))


def _repurpose(args: argparse.Namespace) -> int:
    import pandas as pd

    from cellresponse import pipeline
    from cellresponse.enrich import ConnectivityQuery

    missing = [f"--{n.replace('_', '-')}" for n in ("cell_line", "dose", "time") if getattr(args, n) is None]
    if missing:
        raise ValueError(f"a repurposing query also needs {', '.join(missing)}")
    if args.vector:
        table = pd.read_csv(args.vector)
        if table.shape[1] < 2:
            raise ValueError(f"{args.vector}: expected two columns gene,value")
        vector = pd.Series(table.iloc[:, 1].to_numpy(float), index=table.iloc[:, 0].astype(str))
        query = ConnectivityQuery(vector=vector, method=args.method)
    else:
        query = ConnectivityQuery(up=_gene_file(args.up), down=_gene_file(args.down), method=args.method)
    library = None
    if args.library:
        lib = pd.read_csv(args.library)
        if not {"name", "smiles"} <= set(lib.columns):
            raise ValueError(f"{args.library} needs columns name, smiles; has {list(lib.columns)}")
        library = dict(zip(lib["name"].astype(str), lib["smiles"].astype(str), strict=True))
    result = pipeline.repurpose(
        pipeline.read_bundle(args.model), query, cell_line=args.cell_line, dose=args.dose, time=args.time,
        mode=args.mode, library=library, allow_missing_genes=args.allow_missing_genes,
    )  # fmt: skip
    if result.genes_dropped:
        print(f"cellresponse predict: dropped query genes not in the model: {result.genes_dropped}", file=sys.stderr)
    return _output(result.table, args, f"{len(result.table)} compounds ranked ({result.method}, {result.mode})")


def _predict_signature(args: argparse.Namespace) -> int:
    from cellresponse import pipeline
    from cellresponse.models import load_model
    from cellresponse.models.expression import predict_signature

    flag = "--compound-smiles" if args.compound_smiles is not None else "--compound"
    missing = [f"--{n.replace('_', '-')}" for n in ("cell_line", "dose", "time") if getattr(args, n) is None]
    if missing:
        raise ValueError(f"{flag} also needs {', '.join(missing)}")
    if pipeline.is_bundle(args.model):
        signature = pipeline.predict_expression(
            pipeline.read_bundle(args.model), cell_line=args.cell_line, dose=args.dose, time=args.time,
            compound=args.compound, smiles=args.compound_smiles,
        )  # fmt: skip
        for note in signature.attrs.get("extrapolated", []):
            print(f"cellresponse predict: warning: {note}", file=sys.stderr)
    elif args.compound is not None:
        raise ValueError(f"--compound needs a model bundle (written by cellresponse train); {args.model} is not one")
    else:
        signature = predict_signature(
            load_model(args.model), smiles=args.compound_smiles, cell_line=args.cell_line, dose=args.dose,
            time=args.time,
        )  # fmt: skip
    table = signature.rename("prediction").rename_axis("gene").reset_index()
    return _output(table, args, f"signature over {len(table)} genes")
