"""The same benchmark on each executor: serial, local processes and a local Ray, with the
same number of CPUs. Each run is a child process of this script, measured from outside:
wall time, CPU time (user + system of the run's whole process tree, sampled from /proc
every 0.2 s and, for processes that ended, their reaped totals), peak RSS of the driver
and peak summed RSS of the whole tree. The results of every executor are compared with
the serial run's bytes. The per-cell fit times of the serial run give the wall time of
the grid on N nodes (longest-processing-time-first packing onto N x CPUs slots).

    python benchmarks/bench_executors.py --dataset gdsc2 --split lco --folds 5 --cpus 2
    python benchmarks/bench_executors.py --dataset gdsc2_demo --folds 3 --models ridge_per_drug \
        --param ridge_per_drug.n_top_genes=50 --out results/bench_executors_tiny   # Ray's overhead

Figures print as one table at the end, with the ratio of each executor's wall time to the
serial run's (same machine, same minutes: the ratio is the figure to quote on a shared machine).
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

SAME = ("results.csv", "stats.csv", "summary.csv", "predictions/values.npz", "predictions/obs.csv.gz")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _proc_table() -> dict[int, tuple[int, float, float]]:
    """pid -> (parent pid, CPU seconds, RSS MiB) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, utime, stime, rss = int(fields[1]), int(fields[11]), int(fields[12]), int(fields[21])
        out[int(entry)] = (ppid, (utime + stime) / TICKS, rss * PAGE / 2**20)
    return out


class TreeSampler(threading.Thread):
    """Peak summed RSS and the CPU seconds of a process and all its descendants."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.stop = root, threading.Event()
        self.cpu: dict[int, float] = {}
        self.peak_tree_mb = self.peak_root_mb = 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            table = _proc_table()
            tree, frontier = {self.root}, [self.root]
            children: dict[int, list[int]] = {}
            for pid, (ppid, _, _) in table.items():
                children.setdefault(ppid, []).append(pid)
            while frontier:
                for kid in children.get(frontier.pop(), []):
                    if kid not in tree:
                        tree.add(kid)
                        frontier.append(kid)
            rss = sum(table[p][2] for p in tree if p in table)
            self.peak_tree_mb = max(self.peak_tree_mb, rss)
            if self.root in table:
                self.peak_root_mb = max(self.peak_root_mb, table[self.root][2])
            for p in tree:
                if p in table:
                    self.cpu[p] = max(self.cpu.get(p, 0.0), table[p][1])
            time.sleep(0.2)


def run_one(args: argparse.Namespace, executor: str, out: Path) -> dict:
    cmd = [sys.executable, "-m", "cellresponse.cli", "benchmark", "--dataset", args.dataset, "--split", args.split,
           "--folds", str(args.folds), "--executor", executor, "--workers", str(args.cpus), "--no-progress",
           "--out", str(out), "--overwrite"]  # fmt: skip
    if args.models:
        cmd += ["--models", args.models]
    for p in args.param:
        cmd += ["--param", p]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{executor} run failed ({proc.returncode}):\n{err[-3000:]}")
    if executor == "ray":
        subprocess.run([str(Path(sys.executable).with_name("ray")), "stop"], capture_output=True, env=env)
    config = json.loads((out / "config.json").read_text())
    timings = pd.read_csv(out / "timings.csv")
    return {
        "executor": executor,
        "wall_s": wall,
        "cpu_s": sum(sampler.cpu.values()),
        "cell_fit_predict_s": float((timings["fit_s"] + timings["predict_s"]).sum()),
        "cells": len(timings),
        "driver_peak_rss_mb": sampler.peak_root_mb,
        "all_processes_peak_rss_mb": sampler.peak_tree_mb,
        "jobs_per_node": config.get("executor", {}).get("jobs_per_node"),
    }


def projection(timings: pd.DataFrame, *, nodes: int, cpus: int) -> float:
    """Wall seconds of the cells on ``nodes`` x ``cpus`` slots, longest cell first."""
    slots = [0.0] * (nodes * cpus)
    for cost in sorted(timings["fit_s"] + timings["predict_s"], reverse=True):
        heapq.heapreplace(slots, slots[0] + cost)
    return max(slots)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="gdsc2")
    parser.add_argument("--split", default="lco")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--models", help="comma-separated (default: the task's default models)")
    parser.add_argument("--param", action="append", default=[])
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--executors", default="serial,processes,ray")
    parser.add_argument("--out", default="results/bench_executors")
    parser.add_argument("--tune-factor", type=int, default=21, help="fits per tuned cell (trials + 1) on paper")
    args = parser.parse_args()

    base = Path(args.out)
    rows = []
    for executor in args.executors.split(","):
        row = run_one(args, executor, base / executor)
        print(json.dumps(row), flush=True)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("executor")
    if "serial" in table.index:
        table["speedup_vs_serial"] = table.loc["serial", "wall_s"] / table["wall_s"]
        for executor in table.index:
            same = all(
                (base / "serial" / n).read_bytes() == (base / executor / n).read_bytes() for n in SAME
            )  # fmt: skip
            table.loc[executor, "same_bytes_as_serial"] = same
        timings = pd.read_csv(base / "serial" / "timings.csv")
        print("\nPer-cell cost (serial run, fit + predict seconds):")
        print(timings.assign(s=timings.fit_s + timings.predict_s).groupby("model")["s"]
               .agg(["count", "mean", "max", "sum"]).round(2).to_string())  # fmt: skip
        # the grid: 4 datasets x 4 split modes x 5 seeds = 80 runs like this one, each with 12
        # models where this run has fewer (the cells of each model costing like this run's)
        copies = round(80 * 12 / max(timings["model"].nunique(), 1))
        grid = pd.concat([timings] * copies, ignore_index=True)
        print(
            f"\nOn paper: {copies} x this run's {len(timings)} cells = {len(grid)} cells "
            "(4 datasets x 4 split modes x 5 seeds x 12 models), nodes of 2 CPUs, per-cell costs of this run:"
        )
        for nodes in (1, 8, 64):
            wall = projection(grid, nodes=nodes, cpus=2)
            tuned = wall * args.tune_factor / 3600
            print(f"  {nodes:3d} node(s): {wall / 3600:9.2f} h without tuning; {tuned:9.1f} h with tuning "
                  f"(x{args.tune_factor}: {args.tune_factor - 1} trials + the final fit per cell)")  # fmt: skip
    print("\n" + table.drop(columns=["jobs_per_node"]).round(2).to_string())


if __name__ == "__main__":
    main()
