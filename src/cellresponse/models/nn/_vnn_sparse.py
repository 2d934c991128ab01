"""Sparse weight matrices of the visible neural network: patterns, products and their gradients.

A weight matrix's values live in a flat parameter vector; its sparsity pattern (CSR, and
the transposed CSR for the backward pass) is built once from the hierarchy. Small,
not-too-sparse matrices are applied densely (see ``_DENSE_MAX``).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

# Matrices up to _DENSE_MAX entries whose non-zeros fill at least _DENSE_MIN_FILL of them
# are applied densely: a dense product does ~10x more multiply-adds per second than a CSR
# one, but on a 2 % filled matrix it does 50x more of them (on the DrugCell ontology the
# size rule alone sent 2.7 G multiply-adds per forward through dense products).
_DENSE_MAX = 1 << 20
_DENSE_MIN_FILL = 1 / 16


@dataclass(frozen=True)
class SparsePattern:
    """Sparsity pattern of a weight matrix whose values live in a flat parameter vector.

    ``perm[i]`` is the flat-parameter index of the i-th CSR entry; ``perm_t`` the same for
    the transposed matrix.
    """

    shape: tuple[int, int]
    rows: torch.Tensor
    cols: torch.Tensor
    crow: torch.Tensor
    col: torch.Tensor
    perm: torch.Tensor
    crow_t: torch.Tensor
    col_t: torch.Tensor
    perm_t: torch.Tensor

    @classmethod
    def build(cls, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> SparsePattern:
        def csr(r: np.ndarray, c: np.ndarray, n_rows: int) -> tuple[torch.Tensor, ...]:
            order = np.lexsort((c, r))
            crow = np.searchsorted(r[order], np.arange(n_rows + 1))
            return (
                torch.from_numpy(crow.astype(np.int64)),
                torch.from_numpy(c[order].astype(np.int64)),
                torch.from_numpy(order.astype(np.int64)),
            )

        crow, col, perm = csr(rows, cols, shape[0])
        crow_t, col_t, perm_t = csr(cols, rows, shape[1])
        r, c = torch.from_numpy(rows.astype(np.int64)), torch.from_numpy(cols.astype(np.int64))
        return cls(shape, r, c, crow, col, perm, crow_t, col_t, perm_t)

    def map(self, fn: Any) -> SparsePattern:
        """The same pattern with ``fn`` (e.g. a device move) applied to every index tensor."""
        moved = {f.name: fn(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "shape"}
        return SparsePattern(shape=self.shape, **moved)

    def apply(self, x: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """``A @ x``; small matrices are densified (sparse kernels have ~ms of overhead)."""
        if self.dense:
            dense = values.new_zeros(self.shape).index_put((self.rows, self.cols), values)
            return dense @ x
        return SparseLinear.apply(x, values, self)

    @property
    def dense(self) -> bool:
        """Apply as a dense matrix (small and not too sparse)."""
        size = self.shape[0] * self.shape[1]
        return size <= _DENSE_MAX and len(self.col) >= _DENSE_MIN_FILL * size

    def matrix(self, values: torch.Tensor, *, transpose: bool = False) -> torch.Tensor:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            if transpose:
                return torch.sparse_csr_tensor(
                    self.crow_t, self.col_t, values[self.perm_t], (self.shape[1], self.shape[0])
                )
            return torch.sparse_csr_tensor(self.crow, self.col, values[self.perm], self.shape)


class SparseLinear(torch.autograd.Function):
    """``out = A @ x`` for a CSR matrix A with pattern ``pattern`` and values ``values``.

    ``x`` is feature-major ``(F, U)``. Backward: the values' gradient is the sampled
    product (SDDMM) of ``grad_out`` and ``x`` on the pattern; the input's gradient is
    ``A^T @ grad_out`` with an explicitly built transposed CSR.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, values: torch.Tensor, pattern: SparsePattern) -> torch.Tensor:
        ctx.save_for_backward(x, values)
        ctx.pattern = pattern
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return pattern.matrix(values) @ x

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> Any:
        x, values = ctx.saved_tensors
        pattern: SparsePattern = ctx.pattern
        grad_x = grad_v = None
        grad_out = grad_out.contiguous()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if ctx.needs_input_grad[1]:
                sampled = torch.sparse.sampled_addmm(pattern.matrix(values), grad_out, x.t(), beta=0.0).values()
                grad_v = torch.empty_like(values).index_copy_(0, pattern.perm, sampled)
            if ctx.needs_input_grad[0]:
                grad_x = pattern.matrix(values, transpose=True) @ grad_out
        return grad_x, grad_v, None


def accumulate_(z: torch.Tensor, pattern: SparsePattern, x: torch.Tensor, values: torch.Tensor) -> None:
    """``z += A @ x`` in place (no autograd)."""
    if pattern.dense:
        z.addmm_(values.new_zeros(pattern.shape).index_put_((pattern.rows, pattern.cols), values), x)
    else:
        z.addmm_(pattern.matrix(values), x)


__all__ = ["SparseLinear", "SparsePattern", "accumulate_"]
