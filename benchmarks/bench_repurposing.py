"""Repurposing sanity on real L1000 data: can a held-out compound be found from its own signature?

On the A375 plate (``lincs_a375_demo``: 47 kinase inhibitors x 6 doses, 24 h), for each
compound C: a bundle is trained without C (leave-one-compound-out, ``cellresponse``'s own
``train``), then each of C's six measured signatures is used as a "mimic" query at its
dose against the library of all 47 compounds given as SMILES (so C is scored from its
structure only). The rank of C among the 47 is recorded, for two query forms:

- gene lists: the 50 most up and 50 most down genes of the measured signature (WTCS);
- the full 978-gene vector (Spearman).

Ties count half (a model that gives every compound the same signature ranks C in the
middle). Beside it: a random ranking (expected median rank 24, top-10% fraction 4/47), and
the same queries against a bundle trained *with* C (how well the model can do at best).

Usage: python benchmarks/bench_repurposing.py [--models expr_ridge,expr_tanimoto_knn] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cellresponse import pipeline
from cellresponse.datasets import load_dataset
from cellresponse.enrich import ConnectivityQuery

TOP = 50


def rank_of(table: pd.DataFrame, name: str) -> float:
    """1-based rank of ``name`` in a mimic ranking, ties counted half."""
    score = float(table.loc[table["compound"] == name, "connectivity"].iloc[0])
    others = table.loc[table["compound"] != name, "connectivity"].to_numpy()
    return 1.0 + float((others > score).sum()) + 0.5 * float((others == score).sum())


def queries(sig: np.ndarray, genes: list[str]) -> dict[str, ConnectivityQuery]:
    order = np.argsort(sig, kind="stable")
    return {
        "up/down 50 (wtcs)": ConnectivityQuery(
            up=tuple(genes[i] for i in order[-TOP:]), down=tuple(genes[i] for i in order[:TOP])
        ),
        "vector (spearman)": ConnectivityQuery(vector=pd.Series(sig, index=genes)),
    }


def run(model: str, data, work: Path, *, held_out: bool) -> pd.DataFrame:
    smiles = data.perturbation_meta["smiles"].to_dict()
    genes = list(data.target_names)
    compounds = sorted(pd.unique(data.perturbations))
    rows = []
    full_bundle = None
    if not held_out:
        pipeline.train(data, model=model, out=work / f"{model}_all", valid_fraction=0.0, cv_folds=0)
        full_bundle = pipeline.read_bundle(work / f"{model}_all")
    for c in compounds:
        if held_out:
            keep = np.flatnonzero(data.perturbations != c)
            out = work / f"{model}_without_{c}"
            pipeline.train(data[keep], model=model, out=out, valid_fraction=0.0, cv_folds=0)
            bundle = pipeline.read_bundle(out)
        else:
            bundle = full_bundle
        for i in np.flatnonzero(data.perturbations == c):
            dose = float(data.obs["dose"].iloc[i])
            for kind, query in queries(data.y[i].astype(float), genes).items():
                result = pipeline.repurpose(bundle, query, cell_line="A375", dose=dose, time=24.0, library=smiles)
                rows.append(
                    {
                        "model": model,
                        "compound": c,
                        "dose": dose,
                        "query": kind,
                        "rank": rank_of(result.table, c),
                        "n": len(result.table),
                    }
                )
    return pd.DataFrame(rows)


def summarize(ranks: pd.DataFrame, label: str) -> pd.DataFrame:
    """Median rank and top-10% fraction over queries; the six doses of a compound are not
    independent, so the test is over compounds: one-sided Wilcoxon of each compound's mean
    rank against the random expectation (n + 1) / 2."""
    from scipy.stats import wilcoxon

    n = int(ranks["n"].iloc[0])
    top = max(1, int(np.floor(0.1 * n)))
    rows = []
    for (model, query), grp in ranks.groupby(["model", "query"]):
        per_compound = grp.groupby("compound")["rank"].mean()
        diff = per_compound.to_numpy() - (n + 1) / 2
        p = float(wilcoxon(diff, alternative="less").pvalue) if np.any(diff != 0) else 1.0
        rows.append(
            {
                "setting": label,
                "model": model,
                "query": query,
                "queries": len(grp),
                "median_rank": float(grp["rank"].median()),
                "top10": float((grp["rank"] <= top).mean()),
                "compounds_better_than_random": int((diff < 0).sum()),
                "p_vs_random": p,
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="expr_ridge,expr_tanimoto_knn")
    parser.add_argument("--out", default="results/bench_repurposing")
    parser.add_argument("--summarize-only", action="store_true", help="re-summarize the rank files in --out")
    args = parser.parse_args()
    if args.summarize_only:
        tables = []
        for path in sorted(Path(args.out).glob("ranks_*.csv")):
            label = "held out (trained without the compound)" if "held_out" in path.name else "in training (reference)"
            tables.append(summarize(pd.read_csv(path), label))
        print(pd.concat(tables, ignore_index=True).round(4).to_string(index=False))
        return
    data = load_dataset("lincs_a375_demo")
    n = int(pd.unique(data.perturbations).size)
    top = max(1, int(np.floor(0.1 * n)))
    rng = np.random.default_rng(0)
    random_ranks = rng.integers(1, n + 1, size=(10_000, len(data)))
    print(f"# A375 plate: {n} compounds, {len(data)} signatures; top 10% = rank <= {top}")
    print(
        f"# random ranking: median rank {np.median(random_ranks):.1f}, top-10% fraction {top / n:.3f} "
        f"(simulated: {(random_ranks <= top).mean():.3f})"
    )
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            for held_out in (True, False):
                start = time.perf_counter()
                ranks = run(model, data, Path(tmp), held_out=held_out)
                label = "held out (trained without the compound)" if held_out else "in training (reference)"
                tables.append(summarize(ranks, label))
                out = Path(args.out)
                out.mkdir(parents=True, exist_ok=True)
                ranks.to_csv(out / f"ranks_{model}_{'held_out' if held_out else 'in_training'}.csv", index=False)
                print(f"# {model}, {label}: {time.perf_counter() - start:.0f} s", flush=True)
    table = pd.concat(tables, ignore_index=True)
    print(table.round(4).to_string(index=False))
    table.to_csv(Path(args.out) / "summary.csv", index=False)


if __name__ == "__main__":
    main()
