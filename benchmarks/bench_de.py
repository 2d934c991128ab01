"""Wall time and peak RSS of DESeq2 on airway (64k genes x 8 samples, ~ cell + dex).

Usage: python benchmarks/bench_de.py [--no-shrink] [--n-cpus 2] [--min-count 10]

Prints the filter result, seconds per step, peak RSS (resource.getrusage), the
number of genes at padj < 0.1 and the padj of the six glucocorticoid-response genes.
"""

from __future__ import annotations

import argparse
import sys
import time

from _measure import cpu_seconds, peak_rss_mib

GC_GENES = {
    "DUSP1": "ENSG00000120129",
    "KLF15": "ENSG00000163884",
    "PER1": "ENSG00000179094",
    "TSC22D3": "ENSG00000157514",
    "FKBP5": "ENSG00000096060",
    "ZBTB16": "ENSG00000109906",
}


def main() -> int:
    from cellresponse._paths import data_root
    from cellresponse.de import deseq2, filter_low_counts, validate_de_table
    from cellresponse.io import read_count_data

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--n-cpus", type=int, default=1)
    ap.add_argument("--min-count", type=int, default=10)
    args = ap.parse_args()

    d = data_root() / "rnaseq_airway"
    t0 = time.perf_counter()
    counts, samples = read_count_data(d / "airway_counts.tsv.gz", d / "airway_coldata.csv")
    n_all = counts.shape[1]
    counts = filter_low_counts(counts, min_count=args.min_count, min_samples=4)
    t1 = time.perf_counter()
    res = deseq2(
        counts,
        samples,
        design="~ cell + dex",
        contrast=("dex", "trt", "untrt"),
        shrink=not args.no_shrink,
        n_cpus=args.n_cpus,
    )
    t2 = time.perf_counter()
    validate_de_table(res.table)
    t = res.table.set_index("gene")
    print(f"airway: {n_all} genes, {counts.shape[1]} kept (>= {args.min_count} in >= 4 samples)")
    print(f"read+filter {t1 - t0:.1f} s; deseq2 (shrink={not args.no_shrink}, "
          f"n_cpus={args.n_cpus}) {t2 - t1:.1f} s; total {t2 - t0:.1f} s")  # fmt: skip
    print(f"peak RSS {peak_rss_mib():.0f} MiB; CPU time {cpu_seconds():.0f} s (user+sys)")
    print(f"genes at padj < 0.1: {res.n_significant(alpha=0.1)}")
    for sym, ensg in GC_GENES.items():
        r = t.loc[ensg]
        print(f"  {sym:8s} log2fc {r['log2fc']:+.2f} (shrunk {r['log2fc_shrunk']:+.2f}) "
              f"padj {r['padj']:.2e}")  # fmt: skip
    for note in res.notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
