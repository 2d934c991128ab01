"""Write the golden results directories of the current results format, one per task.

Run from the repository root when the results format changes (and bump
``cellresponse.results.FORMAT_VERSION``); the directories of older formats stay as they
are, so the reader's handling of them is tested for ever:

    python tests/data/archives/make_archives.py [--suffix _intervals]

``format1_<task>`` were written before prediction intervals and novelty scores existed;
``format1_<task>_intervals`` after (``--suffix _intervals``): the same format with the
optional novelty columns, interval arrays and calibration tables, so both load, render
and re-score to what they hold.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from cellresponse.data.synthetic import make_dependency_dataset, make_response_dataset
from cellresponse.data.synthetic_expression import SyntheticExpressionPanel, make_expression_dataset
from cellresponse.evaluate import RunOptions, run_benchmark
from cellresponse.results import FORMAT_VERSION
from cellresponse.splits import make_split

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suffix", default="", help="appended to each directory name")
    suffix = parser.parse_args().suffix
    panels = {
        "response": (make_response_dataset(n_cell_lines=16, n_genes=10, n_drugs=4, random_state=0), "lco",
                     ["ridge_per_drug"], {"ridge_per_drug": {"cell_views": ("expression",)}}),
        "expression": (make_expression_dataset(SyntheticExpressionPanel(n_cell_lines=2, n_compounds=4, n_genes=12,
                                                                        n_bits=32, doses=(0.1, 1.0, 10.0),
                                                                        times=(24.0,)), random_state=0),
                       "compound", ["expr_ridge"], {}),
        "dependency": (make_dependency_dataset(n_cell_lines=16, n_genes=8, n_features=6, random_state=0), "lco",
                       ["ridge_per_drug"], {"ridge_per_drug": {"cell_views": ("expression",)}}),
    }  # fmt: skip
    for task, (data, mode, models, params) in panels.items():
        out = HERE / f"format{FORMAT_VERSION}_{task}{suffix}"
        shutil.rmtree(out, ignore_errors=True)
        split = make_split(data, mode=mode, n_folds=2, seed=0)
        run_benchmark(data, models=models, split=split, out=out, model_params=params,
                      options=RunOptions(progress=False, min_group_size=3))  # fmt: skip
        print(out, sum(f.stat().st_size for f in out.rglob("*") if f.is_file()), "bytes")


if __name__ == "__main__":
    main()
