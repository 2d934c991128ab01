"""Throughput of the vectorized VNN on the DrugCell ontology vs a per-term-loop reference.

Usage::

    CELLRESPONSE_DATA=../shared/data .venv/bin/python benchmarks/bench_vnn_throughput.py \
        [--threads 2] [--batch 5000] [--steps 4] [--skip-reference]

Data: the DrugCell hierarchy (drugcell_ont.txt.gz), the real 684 drug fingerprints and
the real (cell line, drug) pairs of drugcell_train.txt, so each batch has the realistic
number of distinct cell lines. The 1,225 x 3,008 mutation matrix is not in the public
snapshot (see drugcell/PROVENANCE.md), so genotypes are random binary (2 % mutated) --
speed does not depend on the values. A second "all distinct" measurement gives every
pair its own genotype (the worst case for the per-cell-line deduplication).

Reports training and inference samples/s, peak RSS (resource.getrusage), parameter
count, CPU time per 1,000 samples and the load average, then the same for a naive
per-term loop reference (a few batches), and the ratio. On a shared machine the CPU time
per sample of a ``--threads 1`` run is the figure least disturbed by other load; with
``--threads 2`` on a machine whose 2 cores are already busy, OpenMP threads wait on each
other and both figures degrade several-fold.

Also prints the implementation-independent work per training step
(``sparse_gmac_per_train_step``: sparse multiply-adds of the gene and child layers,
forward + weight gradient (+ input gradient for the children), over the batch's distinct
cell lines; ``activation_mb_per_train_step``: size of one tensor of term neurons) and
``fraction_of_40k_train_limit``. On the DrugCell ontology at batch 5000 (~1,120 distinct
cell lines) a step is ~1.2 G sparse multiply-adds (~240 k per pair); CSR products run at
~6-7 G/s per core, and the rest is ~10 passes fwd + bwd over 56 MB neuron tensors.
Measured at 2 threads on the 2-core machine: ~16k training pairs/s (~40 % of the ~40k/s
limit), ~63k inference pairs/s, peak RSS ~970 MB. ``--default-malloc`` shows the cost of
glibc unmapping and page-faulting the large tensors every step (~11k training pairs/s).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import resource
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from cellresponse._paths import data_root
from cellresponse.models.nn._vnn import VisibleNeuralNetwork, VNNStructure, vnn_loss
from cellresponse.models.train import reuse_large_allocations
from cellresponse.ontology import read_drugcell_ontology


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load_pairs(root) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    folder = root / "drugcell"
    cells = pd.read_csv(folder / "cell2ind.txt", sep="\t", header=None, names=["i", "name"])
    drugs = pd.read_csv(folder / "drug2ind.txt", sep="\t", header=None, names=["i", "smiles"])
    with gzip.open(folder / "drug2fingerprint.txt.gz", "rt") as fh:
        fp = np.loadtxt(fh, delimiter=",", dtype=np.float32)
    train = pd.read_csv(folder / "drugcell_train.txt.gz", sep="\t", header=None, names=["cell", "smiles", "y"])
    ci = pd.Index(cells["name"]).get_indexer(train["cell"])
    di = pd.Index(drugs["smiles"]).get_indexer(train["smiles"])
    return ci, di, fp


class PerTermReference(nn.Module):
    """DrugCell's forward with a Python loop over terms (small per-term layers)."""

    def __init__(self, structure: VNNStructure, levels: list[list[int]], k: int = 6) -> None:
        super().__init__()
        s = structure
        self.levels = levels
        self.k = k
        self.genes = [torch.from_numpy(s.pair_gene[s.pair_term == t]) for t in range(s.n_terms)]
        self.child_lists = [s.edge_child[s.edge_parent == t].tolist() for t in range(s.n_terms)]
        self.gene_w = nn.ParameterList([nn.Parameter(torch.randn(len(g)) * 0.1) for g in self.genes])
        self.gene_b = nn.ParameterList([nn.Parameter(torch.zeros(len(g))) for g in self.genes])
        self.linear = nn.ModuleList(
            [nn.Linear(len(self.child_lists[t]) * k + len(self.genes[t]), k) for t in range(s.n_terms)]
        )
        self.bn = nn.ModuleList([nn.BatchNorm1d(k) for _ in range(s.n_terms)])
        self.aux1 = nn.ModuleList([nn.Linear(k, 1) for _ in range(s.n_terms)])
        self.aux2 = nn.ModuleList([nn.Linear(1, 1) for _ in range(s.n_terms)])
        self.root = s.n_terms - 1

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        out: dict[int, torch.Tensor] = {}
        aux = []
        for level in self.levels:
            for t in level:
                parts = [out[c] for c in self.child_lists[t]]
                if len(self.genes[t]):
                    parts.append(x[:, self.genes[t]] * self.gene_w[t] + self.gene_b[t])
                h = self.bn[t](torch.tanh(self.linear[t](torch.cat(parts, dim=1))))
                out[t] = h
                aux.append(self.aux2[t](torch.tanh(self.aux1[t](h))).squeeze(-1))
        return out[self.root], aux


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--mutation-rate", type=float, default=0.02)
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--reference-steps", type=int, default=1)
    ap.add_argument("--compile", action="store_true", help="compile_kernels=True (torch.compile)")
    ap.add_argument(
        "--default-malloc",
        action="store_true",
        help="leave glibc's mmap threshold alone (the models train under reuse_large_allocations)",
    )
    args = ap.parse_args()
    with contextlib.nullcontext() if args.default_malloc else reuse_large_allocations():
        measure(args)


def measure(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    root = data_root()
    result: dict[str, object] = {"threads": args.threads, "batch": args.batch, "load_before": os.getloadavg()}
    result["malloc"] = "default" if args.default_malloc else "reuse_large_allocations"

    h = read_drugcell_ontology(root / "drugcell" / "drugcell_ont.txt.gz")
    result["hierarchy"] = h.summary() | {"level_sizes": [len(lv) for lv in h.levels]}
    s = VNNStructure.from_hierarchy(h)
    ci, di, fp = load_pairs(root)
    gen = torch.Generator().manual_seed(0)
    cells = (torch.rand(int(ci.max()) + 1, s.n_genes, generator=gen) < args.mutation_rate).float()
    drugs = torch.from_numpy(fp)
    y_all = torch.randn(len(ci), generator=gen)
    net = VisibleNeuralNetwork(s, drug_dim=drugs.shape[1])
    net.compile_kernels = args.compile
    result["compile_kernels"] = args.compile
    result["parameters"] = int(sum(p.numel() for p in net.parameters()))
    # work per training step that does not depend on the implementation: sparse
    # multiply-adds per distinct cell line (forward + weight-gradient SDDMM for the gene
    # layer; forward + SDDMM + input gradient for the child layers) and neurons per line
    gene_nnz = len(s.pair_term) * net.n_hidden * net.n_channels
    child_nnz = len(s.edge_parent) * net.n_hidden**2
    result["sparse_macs_per_cell_line_step"] = 2 * gene_nnz + 3 * child_nnz
    result["term_neurons_per_cell_line"] = s.n_terms * net.n_hidden
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-5)

    def batch(i: int, *, distinct: bool) -> tuple:
        rows = torch.from_numpy(np.arange(i * args.batch, (i + 1) * args.batch) % len(ci))
        c = torch.from_numpy(ci)[rows]
        d = torch.from_numpy(di)[rows]
        if distinct:
            return cells[c], drugs[d], torch.arange(len(rows)), torch.arange(len(rows)), y_all[rows]
        uc, cinv = torch.unique(c, return_inverse=True)
        ud, dinv = torch.unique(d, return_inverse=True)
        return cells[uc], drugs[ud], cinv, dinv, y_all[rows]

    for distinct in (False, True):
        tag = "distinct" if distinct else "pairs"
        net.train()
        times, cpus, distinct_cells = [], [], []
        for step in range(args.steps + 1):
            g, d, cinv, dinv, y = batch(step, distinct=distinct)
            t0, c0 = time.perf_counter(), cpu_s()
            out = net(g, d, cell_index=cinv, drug_index=dinv)
            loss = vnn_loss(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step:  # the first step is warm-up (and compiles)
                times.append(time.perf_counter() - t0)
                cpus.append(cpu_s() - c0)
                distinct_cells.append(g.shape[0])
        result[f"train_{tag}_samples_per_s"] = args.batch / float(np.median(times))
        result[f"train_{tag}_cpu_s_per_1k"] = 1000 * float(np.median(cpus)) / args.batch
        result[f"train_{tag}_distinct_cells_per_batch"] = float(np.mean(distinct_cells))
        net.eval()
        times, cpus = [], []
        with torch.no_grad():
            for step in range(args.steps + 1):
                g, d, cinv, dinv, _ = batch(step, distinct=distinct)
                t0, c0 = time.perf_counter(), cpu_s()
                net(g, d, cell_index=cinv, drug_index=dinv)
                if step:
                    times.append(time.perf_counter() - t0)
                    cpus.append(cpu_s() - c0)
        result[f"infer_{tag}_samples_per_s"] = args.batch / float(np.median(times))
        result[f"infer_{tag}_cpu_s_per_1k"] = 1000 * float(np.median(cpus)) / args.batch
        result[f"peak_rss_mb_after_{tag}"] = peak_rss_mb()
        print(json.dumps({k: v for k, v in result.items() if tag in k}, default=float), flush=True)
    result["peak_rss_mb"] = peak_rss_mb()
    result["load_after_ours"] = os.getloadavg()

    if not args.skip_reference:
        print("running the per-term reference ...", flush=True)
        ref = PerTermReference(s, [list(range(lo, hi)) for lo, hi in net._levels])
        ropt = torch.optim.Adam(ref.parameters(), lr=1e-3)
        g, _, cinv, _, y = batch(0, distinct=False)
        x = g[cinv]
        times = []
        for _ in range(args.reference_steps):
            t0 = time.perf_counter()
            r, aux = ref(x)
            rl = sum(((a - y) ** 2).mean() for a in aux) + (r.mean(1) - y).pow(2).mean()
            ropt.zero_grad()
            rl.backward()
            ropt.step()
            times.append(time.perf_counter() - t0)
        result["reference_train_samples_per_s"] = args.batch / times[-1]
        ref.eval()
        with torch.no_grad():
            t0 = time.perf_counter()
            ref(x)
            result["reference_infer_samples_per_s"] = args.batch / (time.perf_counter() - t0)
        result["reference_parameters"] = int(sum(p.numel() for p in ref.parameters()))
        result["speedup_train"] = result["train_pairs_samples_per_s"] / result["reference_train_samples_per_s"]
        result["speedup_train_distinct"] = (
            result["train_distinct_samples_per_s"] / result["reference_train_samples_per_s"]
        )
        result["speedup_infer"] = result["infer_pairs_samples_per_s"] / result["reference_infer_samples_per_s"]
        result["peak_rss_mb_with_reference"] = peak_rss_mb()
    result["load_after"] = os.getloadavg()
    result["fraction_of_40k_train_limit"] = result["train_pairs_samples_per_s"] / 40_000
    u = result["train_pairs_distinct_cells_per_batch"]
    result["sparse_gmac_per_train_step"] = result["sparse_macs_per_cell_line_step"] * u / 1e9
    result["activation_mb_per_train_step"] = 4 * result["term_neurons_per_cell_line"] * u / 1e6
    print(json.dumps(result, indent=2, default=float))


if __name__ == "__main__":
    main()
