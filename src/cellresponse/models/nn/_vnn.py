"""Vectorized visible neural network (DrugCell / DrugGene) as a plain ``nn.Module``.

Semantics follow the DrugCell reference (``drugcell_NN.py``, Kuenzi et al. 2020):

- direct gene layer: each (term, gene) annotation pair has its own scale and bias
  (the reference's masked ``Linear(n_genes, n_direct)``); with ``C`` input channels per
  gene (DrugGene: mutation, expression, CNV) the pair has ``C`` weights and one bias;
- term layer: ``Linear(n_children * k + n_direct, k)`` over the children's outputs and
  the term's direct gene outputs, then ``tanh``, then ``BatchNorm1d(k)``;
- auxiliary head per term: ``Linear(k, 1)`` -> ``tanh`` -> ``Linear(1, 1)``;
- drug branch: ``Linear -> tanh -> BatchNorm1d`` per layer (default 100, 50, 6), each with
  the same auxiliary head;
- final: ``Linear(k_root + k_drug, k_final) -> tanh -> BatchNorm1d -> Linear(k_final, 1)
  -> tanh -> Linear(1, 1)`` gives the prediction;
- initialisation: PyTorch defaults times ``init_scale`` (0.1), BatchNorm weights too, as
  the reference's training script does.

How it differs from the reference (same function, same parameters, different arithmetic):

- No Python loop over terms. Terms are computed level by level (level = height above the
  leaves; a child is always at a lower level than its parents). Within a level the
  direct gene layer and the term layer's gene columns are folded into one effective
  weight per (term, gene, channel, neuron), ``W_eff = W_term[:, gene col] * w_pair``,
  recomputed from the parameters every step (so gradients reach both factors as in the
  reference), and applied as one sparse (CSR) x dense product per level. Children ->
  parent is one sparse product per (parent level, child level) over the neurons.
- The genotype branch runs once per *distinct* cell line of a batch (it does not depend
  on the drug); BatchNorm statistics are weighted by each line's count in the batch, and
  the auxiliary losses are computed from per-line sums, so the loss and gradients equal
  those of the per-pair computation. Likewise the drug branch runs once per distinct drug.
- Activations are feature-major ``(terms, k, batch)``; BatchNorm runs on all terms of a
  level as one ``batch_norm`` call over ``terms * k`` channels (identical statistics).
- The sparse product is a custom autograd function: the weight gradient is a sampled
  dense-dense product (SDDMM) on the sparsity pattern, the input gradient a product with
  the transposed pattern.
- In training, bias + ``tanh`` + BatchNorm is one autograd function that keeps only
  ``tanh(z + b)`` for the backward pass; the variance is computed as E[h^2] - E[h]^2,
  which is safe because ``|tanh| <= 1``. Its backward pass is written in closed form
  with few temporaries; ``compile_kernels = True`` runs both passes through
  ``torch.compile`` (fused loops; ~30 s of compiling per process, so off by default).
  The auxiliary heads' first layer (a dot product over each term's ``k`` neurons) is a
  batched matmul, not a broadcast product and sum. Inference (eval mode under ``no_grad``) accumulates
  the sparse products in place, folds BatchNorm into an affine map and skips the
  auxiliary heads.
- The per-pair direct-gene outputs (``w * x + b``) are never materialised, so they are
  not available as states; term states (the neurons) are.
- DrugGene: its per-gene input is (mutation, expression, CNV); here each (term, gene)
  pair has one weight per channel and one bias (``n_channels=3``), i.e. the reference's
  masked direct-gene ``Linear`` over the 3 x n_genes input. Whether DrugGene's code ties
  these weights differently was not checked (its code is not in the data folder).
- Head: ``head="drugcell"`` is the reference's joint layer over [root neurons, drug
  embedding] with its one-unit bottleneck. Within a drug its prediction is a monotone
  function of one number per cell line, so the genotype embedding needs one direction
  only (and the auxiliary heads, which see no drug, all push toward the same
  general-sensitivity direction): the embeddings collapsed to one dimension.
  ``head="bilinear"`` (a departure) reads the neurons of the root *and* of its children
  and predicts ``g(cell)' W d(drug) + b(drug)`` with a rank-``head_rank`` ``W``: each drug
  weighs the genotype directions differently, the per-drug heads of DrugGene-like
  models written through the drug branch (so unseen drugs still get one).
- Loss: :func:`vnn_loss` sums the auxiliary MSEs as DrugCell (``aux_reduction="sum"``)
  or averages them (``"mean"``, the models' default; a departure, see
  :mod:`cellresponse.models.vnn`).
- Targets: the model classes standardise the target on the training fold
  (``standardize_target=True``); DrugCell trained on AUC in [0, 1.5] where the bounded
  ``tanh`` -> ``Linear(1, 1)`` output needs no scaling, LN_IC50 spans about -8 to 10.

Speed (DrugCell ontology, batch 5000 with ~1,120 distinct cell lines,
``benchmarks/bench_vnn_throughput.py --threads 2``): ~16k training and ~63k inference
pairs/s, peak RSS ~970 MB. Two things mattered: small child-to-parent matrices are
densified only when at least 1/16 of their entries are non-zero (densifying every matrix
under 1 M entries had sent 2.7 G multiply-adds per forward through dense products), and
training runs under :func:`~cellresponse.models._torch.reuse_large_allocations`, which
stops glibc from unmapping and page-faulting the ~40 MB neuron tensors every step.
CSR products run at ~6-7 G multiply-adds/s per core here, so a gather/scatter gene
layer for sparse binary mutations (50x fewer multiply-adds) was measured and dropped: its
index traffic made it 1.4x slower.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cellresponse.models.nn._vnn_kernels import TanhBatchNorm, weighted_batch_norm
from cellresponse.models.nn._vnn_sparse import SparsePattern, accumulate_
from cellresponse.models.nn._vnn_structure import VNNStructure


class VNNOutput(NamedTuple):
    """Forward result: prediction ``(B,)``; term aux ``(T, U)`` per distinct cell line; drug aux ``(L, V)``.

    Under ``torch.no_grad()`` in eval mode (inference) the term auxiliary heads are not
    computed and ``term_aux`` is zeros.
    """

    prediction: torch.Tensor
    term_aux: torch.Tensor
    drug_aux: torch.Tensor
    cell_index: torch.Tensor
    drug_index: torch.Tensor
    term_states: torch.Tensor | None
    drug_states: list[torch.Tensor] | None


#: Prediction heads of the network (see the module notes).
HEADS = ("drugcell", "bilinear")


@dataclass(frozen=True)
class VNNHead:
    """Prediction head of :class:`VisibleNeuralNetwork` (see the module notes).

    Parameters
    ----------
    kind
        ``"drugcell"`` (the reference's joint layer) or ``"bilinear"``.
    hidden
        Width of the ``"drugcell"`` joint layer (DrugCell default 6).
    rank
        Rank of the ``"bilinear"`` head.
    """

    kind: str = "drugcell"
    hidden: int = 6
    rank: int = 16

    def __post_init__(self) -> None:
        if self.kind not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.kind!r}")
        if int(self.hidden) < 1:
            raise ValueError(f"head hidden width must be >= 1, got {self.hidden}")
        if int(self.rank) < 1:
            raise ValueError(f"head_rank must be >= 1, got {self.rank}")


def _uniform(shape: Sequence[int], bound: torch.Tensor | float, gen: torch.Generator | None) -> torch.Tensor:
    u = torch.rand(*shape, generator=gen) * 2 - 1
    return u * bound


class VisibleNeuralNetwork(nn.Module):
    """DrugCell/DrugGene visible neural network, vectorized per level.

    Parameters
    ----------
    structure
        Terms, genes, annotation pairs and edges (:class:`VNNStructure`).
    n_channels
        Input values per gene (1 = DrugCell mutation; 3 = DrugGene mutation/expression/CNV).
    drug_dim
        Length of the drug fingerprint.
    n_hidden
        Neurons per term (DrugCell default 6).
    drug_hidden
        Drug-branch layer widths (DrugCell default 100, 50, 6).
    init_scale
        Factor applied to every initial parameter (DrugCell's training script uses 0.1).
    seed
        Seed of the initialisation generator.
    head
        The prediction head and its size (:class:`VNNHead`; default: DrugCell's joint
        layer of width 6).

    Attributes
    ----------
    compile_kernels
        Run the training-mode ``tanh`` + BatchNorm forward and backward arithmetic through
        ``torch.compile`` (fused loops, one compile of ~30 s per process; the results
        equal the eager ones up to float rounding). False after construction; it changes
        how the network computes, not what, so it is set on the built network.
    """

    bn_mean: torch.Tensor
    bn_var: torch.Tensor
    _pair_term: torch.Tensor
    _gene_patterns: list[SparsePattern]
    _child_patterns: list[list[tuple[int, torch.Tensor, SparsePattern]]]

    def __init__(
        self,
        structure: VNNStructure,
        *,
        n_channels: int = 1,
        drug_dim: int = 2048,
        n_hidden: int = 6,
        drug_hidden: Sequence[int] = (100, 50, 6),
        init_scale: float = 0.1,
        seed: int = 0,
        head: VNNHead | None = None,
    ) -> None:
        super().__init__()
        spec = head if head is not None else VNNHead()
        final_hidden, head_rank = spec.hidden, spec.rank
        self.head = spec.kind
        self.structure = structure
        self.compile_kernels = False
        self.n_channels = int(n_channels)
        self.n_hidden = k = int(n_hidden)
        s = structure
        n_terms, n_pairs, n_edges = s.n_terms, len(s.pair_term), len(s.edge_parent)
        gen = torch.Generator().manual_seed(int(seed))
        c = self.n_channels
        n_direct = np.bincount(s.pair_term, minlength=n_terms)
        n_child = np.bincount(s.edge_parent, minlength=n_terms)
        fan_in = torch.from_numpy((n_direct + n_child * k).astype(np.float32)).clamp(min=1)
        term_bound = fan_in.rsqrt()
        gene_bound = 1.0 / math.sqrt(s.n_genes * c)
        sc = float(init_scale)
        pair_term = torch.from_numpy(s.pair_term)
        self.gene_weight = nn.Parameter(_uniform((n_pairs, c), gene_bound, gen) * sc)
        self.gene_bias = nn.Parameter(_uniform((n_pairs,), gene_bound, gen) * sc)
        self.term_gene_weight = nn.Parameter(_uniform((n_pairs, k), term_bound[pair_term, None], gen) * sc)
        edge_bound = term_bound[torch.from_numpy(s.edge_parent)]
        self.child_weight = nn.Parameter(_uniform((n_edges, k, k), edge_bound[:, None, None], gen) * sc)
        self.term_bias = nn.Parameter(_uniform((n_terms, k), term_bound[:, None], gen) * sc)
        self.bn_weight = nn.Parameter(torch.full((n_terms, k), sc))
        self.bn_bias = nn.Parameter(torch.zeros(n_terms, k))
        self.register_buffer("bn_mean", torch.zeros(n_terms, k))
        self.register_buffer("bn_var", torch.ones(n_terms, k))
        aux_bound = 1.0 / math.sqrt(k)
        self.aux1_weight = nn.Parameter(_uniform((n_terms, k), aux_bound, gen) * sc)
        self.aux1_bias = nn.Parameter(_uniform((n_terms,), aux_bound, gen) * sc)
        self.aux2_weight = nn.Parameter(_uniform((n_terms,), 1.0, gen) * sc)
        self.aux2_bias = nn.Parameter(_uniform((n_terms,), 1.0, gen) * sc)
        # drug branch and final layers: ordinary modules, scaled like the reference
        self.drug_layers = nn.ModuleList()
        self.drug_bns = nn.ModuleList()
        self.drug_aux1 = nn.ModuleList()
        self.drug_aux2 = nn.ModuleList()
        width = int(drug_dim)
        for h in drug_hidden:
            self.drug_layers.append(nn.Linear(width, int(h)))
            self.drug_bns.append(nn.BatchNorm1d(int(h)))
            self.drug_aux1.append(nn.Linear(int(h), 1))
            self.drug_aux2.append(nn.Linear(1, 1))
            width = int(h)
        if self.head == "drugcell":
            self.final_linear = nn.Linear(k + width, int(final_hidden))
            self.final_bn = nn.BatchNorm1d(int(final_hidden))
            self.final_aux = nn.Linear(int(final_hidden), 1)
            self.final_out = nn.Linear(1, 1)
        else:
            root = n_terms - 1
            embed = np.concatenate([[root], np.sort(s.edge_child[s.edge_parent == root])])
            self.register_buffer("embed_terms", torch.from_numpy(embed.astype(np.int64)))
            self.head_cell = nn.Linear(len(embed) * k, int(head_rank), bias=False)
            self.head_drug = nn.Linear(width, int(head_rank) + 1)
        self._reinit_modules(gen, sc)
        self._build_plans()

    def _apply(self, fn: Any, recurse: bool = True) -> VisibleNeuralNetwork:
        # the sparsity patterns are plain tensors, not buffers (they are rebuilt from the
        # structure, never saved); move them with the parameters on .to(device)
        super()._apply(fn, recurse)
        self._pair_term = fn(self._pair_term)
        self._gene_patterns = [p.map(fn) for p in self._gene_patterns]
        self._child_patterns = [[(cl, fn(sel), p.map(fn)) for cl, sel, p in lv] for lv in self._child_patterns]
        return self

    def _reinit_modules(self, gen: torch.Generator, scale: float) -> None:
        with torch.no_grad():
            for mod in self.modules():
                if isinstance(mod, nn.Linear):
                    bound = 1.0 / math.sqrt(mod.in_features)
                    mod.weight.copy_(_uniform(mod.weight.shape, bound, gen) * scale)
                    if mod.bias is not None:
                        mod.bias.copy_(_uniform(mod.bias.shape, bound, gen) * scale)
                elif isinstance(mod, nn.BatchNorm1d):
                    mod.weight.fill_(scale)
                    mod.bias.zero_()

    def _build_plans(self) -> None:
        s = self.structure
        k, c = self.n_hidden, self.n_channels
        self._pair_term = torch.from_numpy(s.pair_term)
        bounds = np.searchsorted(s.term_level, np.arange(s.n_levels + 1))
        self._levels: list[tuple[int, int]] = [(int(bounds[i]), int(bounds[i + 1])) for i in range(s.n_levels)]
        pair_starts = np.searchsorted(s.pair_term, np.arange(s.n_terms + 1))
        self._gene_patterns = []
        self._gene_pair_slices: list[tuple[int, int]] = []
        kk, cc = np.arange(k), np.arange(c)
        for lo, hi in self._levels:
            p0, p1 = int(pair_starts[lo]), int(pair_starts[hi])
            local = np.arange(p1 - p0)
            # flat weight index (pair * C + ch) * k + j  ->  row (term - lo) * k + j, col gene * C + ch
            shape3 = (len(local), c, k)
            rows = np.broadcast_to(((s.pair_term[p0:p1] - lo) * k)[:, None, None] + kk, shape3).reshape(-1)
            cols = np.broadcast_to((s.pair_gene[p0:p1] * c)[:, None, None] + cc[:, None], shape3).reshape(-1)
            self._gene_patterns.append(SparsePattern.build(rows, cols, ((hi - lo) * k, s.n_genes * c)))
            self._gene_pair_slices.append((p0, p1))
        # children -> parents: one pattern per (parent level, child level); child_weight[e, i, j]
        self._child_patterns = []
        for lv, (lo, hi) in enumerate(self._levels):
            per_level = []
            sel_parent = (s.edge_parent >= lo) & (s.edge_parent < hi)
            for cl in range(lv):
                sel = np.flatnonzero(sel_parent & (s.term_level[s.edge_child] == cl))
                if len(sel) == 0:
                    continue
                clo, chi = self._levels[cl]
                shape3 = (len(sel), k, k)
                rows = np.broadcast_to(((s.edge_parent[sel] - lo) * k)[:, None, None] + kk, shape3)
                cols = np.broadcast_to(((s.edge_child[sel] - clo) * k)[:, None, None] + kk[:, None], shape3)
                pattern = SparsePattern.build(rows.reshape(-1), cols.reshape(-1), ((hi - lo) * k, (chi - clo) * k))
                per_level.append((cl, torch.from_numpy(sel), pattern))
            self._child_patterns.append(per_level)

    def _infer_levels(
        self, xt: torch.Tensor, w_eff: torch.Tensor, bias: torch.Tensor, n_cells: int
    ) -> list[torch.Tensor]:
        k, c = self.n_hidden, self.n_channels
        scale = torch.rsqrt(self.bn_var + 1e-5) * self.bn_weight
        shift = self.bn_bias - self.bn_mean * scale
        states: list[torch.Tensor] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for lv, (lo, hi) in enumerate(self._levels):
                n = hi - lo
                p0, p1 = self._gene_pair_slices[lv]
                z = bias[lo:hi].reshape(-1, 1).expand(n * k, n_cells).contiguous()
                gene = self._gene_patterns[lv]
                accumulate_(z, gene, xt, w_eff[p0 * c : p1 * c].reshape(-1))
                for cl, sel, pattern in self._child_patterns[lv]:
                    wsel = self.child_weight.index_select(0, sel).reshape(-1)
                    accumulate_(z, pattern, states[cl].view(-1, n_cells), wsel)
                torch.tanh_(z)
                torch.addcmul(shift[lo:hi].reshape(-1, 1), z, scale[lo:hi].reshape(-1, 1), out=z)  # one pass
                states.append(z.view(n, k, n_cells))
        return states

    def genotype_embedding(self, states: list[torch.Tensor]) -> torch.Tensor:
        """``(U, n_embed * k)``: the neurons of the root and its children per cell line
        (``states``: the per-level ``(n, k, U)`` term states of a forward pass)."""
        every = torch.cat(states, dim=0)  # (T, k, U)
        terms = getattr(self, "embed_terms", None)
        picked = every[-1:] if terms is None else every.index_select(0, terms)
        return picked.reshape(-1, every.shape[-1]).t()

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        genes: torch.Tensor,
        drug: torch.Tensor,
        *,
        cell_index: torch.Tensor | None = None,
        drug_index: torch.Tensor | None = None,
        return_states: bool = False,
    ) -> VNNOutput:
        """Predict responses of (cell line, drug) pairs.

        Parameters
        ----------
        genes
            ``(U, G)`` or ``(U, G, C)`` features of the batch's *distinct* cell lines.
        drug
            ``(V, D)`` fingerprints of the batch's distinct drugs.
        cell_index, drug_index
            ``(B,)`` row of ``genes`` / ``drug`` for each pair (default: one pair per row).
        return_states
            Also return the term neurons ``(T, k, U)`` and drug-layer outputs.

        Notes
        -----
        The genotype branch depends on the cell line only, so it runs once per distinct
        cell line; BatchNorm statistics are weighted by how often each line occurs in the
        batch, which gives exactly the statistics of the per-pair computation.
        """
        s, k, c = self.structure, self.n_hidden, self.n_channels
        if genes.dim() == 2:
            genes = genes.unsqueeze(-1)
        if genes.shape[1:] != (s.n_genes, c):
            raise ValueError(f"genes must have shape (U, {s.n_genes}, {c}); got {tuple(genes.shape)}")
        # one reduction instead of an elementwise mask: a NaN or inf anywhere makes the sum
        # non-finite (finite features would need |x| ~ 1e34 to overflow it)
        if not bool(torch.isfinite(genes.sum())) or not bool(torch.isfinite(drug.sum())):
            raise ValueError("the batch has NaN or infinite features; impute them before the network")
        n_cells, n_drugs = genes.shape[0], drug.shape[0]
        if cell_index is None:
            cell_index = torch.arange(n_cells, device=genes.device)
        if drug_index is None:
            drug_index = torch.arange(n_drugs, device=genes.device)
        if cell_index.shape != drug_index.shape:
            raise ValueError(f"cell_index {tuple(cell_index.shape)} and drug_index {tuple(drug_index.shape)} differ")
        n_pairs = int(cell_index.shape[0])
        if self.training and n_pairs < 2:
            raise ValueError("training needs at least 2 pairs per batch (BatchNorm statistics)")
        cell_w = torch.bincount(cell_index, minlength=n_cells).to(genes.dtype)
        drug_w = torch.bincount(drug_index, minlength=n_drugs).to(genes.dtype)
        xt = genes.reshape(n_cells, s.n_genes * c).t().contiguous()  # (G*C, U)
        # folded direct-gene weights and biases (per step, not per sample)
        w_eff = (self.gene_weight[:, :, None] * self.term_gene_weight[:, None, :]).reshape(-1, k)
        gene_bias = w_eff.new_zeros(s.n_terms, k).index_add(
            0, self._pair_term, self.gene_bias[:, None] * self.term_gene_weight
        )
        bias = self.term_bias + gene_bias
        states: list[torch.Tensor] = []
        aux: list[torch.Tensor] = []
        if not torch.is_grad_enabled() and not self.training and not return_states:
            # inference: in-place sparse accumulation, fused eval BatchNorm, no aux heads
            states = self._infer_levels(xt, w_eff, bias, n_cells)
            aux = [genes.new_zeros(s.n_terms, n_cells)]
        else:
            for lv, (lo, hi) in enumerate(self._levels):
                n = hi - lo
                p0, p1 = self._gene_pair_slices[lv]
                z = self._gene_patterns[lv].apply(xt, w_eff[p0 * c : p1 * c].reshape(-1))
                for cl, sel, pattern in self._child_patterns[lv]:
                    wsel = self.child_weight.index_select(0, sel).reshape(-1)
                    z = z + pattern.apply(states[cl].view(-1, n_cells), wsel)
                bn_args = (
                    (self.bn_mean[lo:hi].view(-1), self.bn_var[lo:hi].view(-1)),
                    self.bn_weight[lo:hi].reshape(-1),
                    self.bn_bias[lo:hi].reshape(-1),
                )
                if self.training:
                    b_lv = bias[lo:hi].reshape(-1)
                    y = TanhBatchNorm.apply(z, b_lv, cell_w, *bn_args, self.compile_kernels).view(n, k, n_cells)
                else:
                    pre = (z.view(n, k, n_cells) + bias[lo:hi, :, None]).view(n * k, n_cells)
                    y = weighted_batch_norm(torch.tanh(pre), cell_w, *bn_args, training=False).view(n, k, n_cells)
                states.append(y)
                # per-term dot product over the k neurons as a batched matmul (no (n, k, U) temporary)
                dot = torch.bmm(self.aux1_weight[lo:hi, None, :], y).squeeze(1)
                a = torch.tanh(dot + self.aux1_bias[lo:hi, None])
                aux.append(a * self.aux2_weight[lo:hi, None] + self.aux2_bias[lo:hi, None])
        root = states[-1][-1]  # (k, U)
        d = drug
        drug_aux, drug_states = [], []
        for lin, bn, a1, a2 in zip(self.drug_layers, self.drug_bns, self.drug_aux1, self.drug_aux2, strict=True):
            hd = torch.tanh(lin(d)).t()
            norm = cast(nn.BatchNorm1d, bn)
            d = weighted_batch_norm(
                hd, drug_w, (norm.running_mean, norm.running_var), norm.weight, norm.bias, training=self.training
            ).t()
            drug_states.append(d)
            drug_aux.append(a2(torch.tanh(a1(d))).squeeze(-1))
        if self.head == "drugcell":
            joint = torch.cat([root.t().index_select(0, cell_index), d.index_select(0, drug_index)], dim=1)
            out = self.final_bn(torch.tanh(self.final_linear(joint)))
            pred = self.final_out(torch.tanh(self.final_aux(out))).squeeze(-1)
        else:
            cell_proj = self.head_cell(self.genotype_embedding(states))  # (U, r)
            drug_proj = self.head_drug(d)  # (V, r + 1)
            rank = cell_proj.shape[1]
            pred = (cell_proj.index_select(0, cell_index) * drug_proj[:, :rank].index_select(0, drug_index)).sum(1)
            pred = pred + drug_proj[:, rank].index_select(0, drug_index)
        return VNNOutput(
            prediction=pred,
            term_aux=torch.cat(aux, dim=0),
            drug_aux=torch.stack(drug_aux) if drug_aux else pred.new_zeros(0, n_drugs),
            cell_index=cell_index,
            drug_index=drug_index,
            term_states=torch.cat(states, dim=0) if return_states else None,
            drug_states=drug_states if return_states else None,
        )


def _grouped_mse(pred: torch.Tensor, target: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Per-row MSE of ``pred`` (R, U) against pairs with targets ``target`` (B,) and groups ``index``.

    Exact: sum_b (p[index_b] - y_b)^2 = sum_u n_u p_u^2 - 2 p_u S_u + Q_u.
    """
    n_groups = pred.shape[1]
    cnt = torch.bincount(index, minlength=n_groups).to(pred.dtype)
    s1 = pred.new_zeros(n_groups).index_add(0, index, target)
    s2 = pred.new_zeros(n_groups).index_add(0, index, target * target)
    return (pred * pred @ cnt - 2 * (pred @ s1) + s2.sum()) / target.shape[0]


def vnn_loss(
    output: VNNOutput, target: torch.Tensor, *, alpha: float = 0.2, aux_reduction: str = "sum"
) -> torch.Tensor:
    """MSE of the prediction + ``alpha`` x the auxiliary heads' MSEs, summed or averaged.

    Parameters
    ----------
    output
        The network's forward result.
    target
        ``(B,)`` targets of the batch's pairs.
    alpha
        Weight of the auxiliary term.
    aux_reduction
        ``"sum"``: DrugCell's loss, the sum over every term and drug-layer head (with
        ~4,000 GO terms the auxiliary part outweighs the prediction's MSE ~800-fold);
        ``"mean"``: their average, so ``alpha`` is the weight of one typical head
        relative to the prediction (a departure from DrugCell).
    """
    if aux_reduction not in ("sum", "mean"):
        raise ValueError(f"aux_reduction must be 'sum' or 'mean', got {aux_reduction!r}")
    main = F.mse_loss(output.prediction, target)
    aux = _grouped_mse(output.term_aux, target, output.cell_index).sum()
    aux = aux + _grouped_mse(output.drug_aux, target, output.drug_index).sum()
    if aux_reduction == "mean":
        aux = aux / max(1, output.term_aux.shape[0] + output.drug_aux.shape[0])
    return main + alpha * aux


__all__ = ["HEADS", "VNNHead", "VNNOutput", "VNNStructure", "VisibleNeuralNetwork", "vnn_loss"]
