"""BatchNorm kernels of the visible neural network: count-weighted, and fused with ``tanh``.

The genotype branch runs once per *distinct* cell line of a batch, so each column of an
activation stands for as many pairs as the line has in the batch; these BatchNorms weight
their statistics by those counts, which gives exactly the per-pair statistics.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

#: BatchNorm's running-average momentum and variance epsilon (PyTorch's defaults).
MOMENTUM = 0.1
EPS = 1e-5


def tanh_bn_forward(
    z: torch.Tensor, bias: torch.Tensor, weight: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``y = BN(tanh(z + bias))`` with count weights; returns ``y, h, mean, var`` (biased var)."""
    h = torch.add(z, bias[:, None])
    torch.tanh_(h)
    n = weight.sum()
    mean = (h @ weight) / n
    var = (((h * h) @ weight) / n - mean * mean).clamp_min(0)
    scale = torch.rsqrt(var + EPS) * gamma
    y = torch.addcmul((beta - mean * scale)[:, None], h, scale[:, None])
    return y, h, mean, var


def tanh_bn_backward(
    grad_y: torch.Tensor,
    h: torch.Tensor,
    weight: torch.Tensor,
    mean: torch.Tensor,
    var: torch.Tensor,
    gamma: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients ``(dz, dbias, dgamma, dbeta)`` of :func:`tanh_bn_forward` (see :class:`TanhBatchNorm`)."""
    n = weight.sum()
    invstd = torch.rsqrt(var + EPS)
    g_beta = grad_y.sum(dim=1)
    g_gamma = (torch.einsum("cu,cu->c", grad_y, h) - mean * g_beta) * invstd
    s = gamma * invstd
    a = s * (g_beta - mean * invstd * g_gamma)
    b = s * invstd * g_gamma
    # column u stands for weight[u] pairs; grad_y[:, u] is the sum of their gradients
    # in place, few temporaries (eager); compiled, the same arithmetic fuses into one loop
    t = torch.addcmul(a[:, None], h, b[:, None])
    t.mul_((weight / n)[None, :])
    t.addcmul_(grad_y, s[:, None], value=-1.0)  # -(dL/dh)
    d = h * h
    d.sub_(1.0)  # -(1 - h^2)
    g_z = t.mul_(d)
    return g_z, g_z.sum(dim=1), g_gamma, g_beta


@functools.cache
def _compiled(fn: Any) -> Any:
    return torch.compile(fn, dynamic=True)


class TanhBatchNorm(torch.autograd.Function):
    """Training-mode ``BatchNorm(tanh(z + bias))`` over columns weighted by pair counts.

    Same result and gradients as :func:`weighted_batch_norm` after ``tanh`` (tested
    against the per-term reference) but saves only ``tanh(z + bias)`` and per-channel
    statistics for the backward pass (one activation per neuron instead of three). With
    ``h = tanh``, ``w`` the column counts, ``n = sum(w)``, ``s = gamma * invstd``,

        dz = (dy * s - (w / n) * (a + h * b)) * (1 - h^2),
        a = s * (sum(dy) - mean * invstd * g_gamma),  b = s * invstd * g_gamma,
        g_gamma = invstd * (sum(dy * h) - mean * sum(dy)),

    two passes over ``(channels, U)`` when compiled (``compiled=True``). ``running`` holds
    the running mean and variance, updated in place.
    """

    @staticmethod
    def forward(
        ctx: Any,
        z: torch.Tensor,
        bias: torch.Tensor,
        weight: torch.Tensor,
        running: tuple[torch.Tensor, torch.Tensor],
        gamma: torch.Tensor,
        beta: torch.Tensor,
        compiled: bool,
    ) -> torch.Tensor:
        fwd = _compiled(tanh_bn_forward) if compiled else tanh_bn_forward
        # detached: inside Function.forward no graph is recorded anyway, and dynamo would
        # otherwise inspect (and warn about) the non-leaf inputs' .grad while tracing
        y, h, mean, var = fwd(z.detach(), bias.detach(), weight, gamma.detach(), beta.detach())
        n = weight.sum()
        running_mean, running_var = running
        running_mean.mul_(1 - MOMENTUM).add_(mean, alpha=MOMENTUM)
        running_var.mul_(1 - MOMENTUM).add_(var * (n / (n - 1)), alpha=MOMENTUM)
        ctx.compiled = compiled
        ctx.save_for_backward(h, weight, mean, var, gamma)
        return y

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> Any:
        bwd = _compiled(tanh_bn_backward) if ctx.compiled else tanh_bn_backward
        g_z, g_bias, g_gamma, g_beta = bwd(grad_y.detach(), *(t.detach() for t in ctx.saved_tensors))
        return g_z, g_bias, None, None, g_gamma, g_beta, None


def weighted_batch_norm(
    h: torch.Tensor,
    weight: torch.Tensor,
    running: tuple[torch.Tensor | None, torch.Tensor | None],
    gamma: torch.Tensor,
    beta: torch.Tensor,
    *,
    training: bool,
) -> torch.Tensor:
    """BatchNorm over columns of ``h`` (channels, U) where column u stands for ``weight[u]`` samples.

    Equals ``BatchNorm1d`` applied to the batch with every column repeated ``weight[u]``
    times (biased variance for normalising, unbiased for the running estimate).
    ``running`` holds the running mean and variance (updated in place in training).
    """
    running_mean, running_var = running
    momentum, eps = MOMENTUM, EPS
    if training:
        n = weight.sum()
        mean = (h @ weight) / n
        cen = h - mean[:, None]
        var = ((cen * cen) @ weight) / n
        if running_mean is not None and running_var is not None:
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach(), alpha=momentum)
                running_var.mul_(1 - momentum).add_(var.detach() * (n / (n - 1)), alpha=momentum)
        scale = torch.rsqrt(var + eps) * gamma
        return torch.addcmul(beta[:, None], cen, scale[:, None])
    if running_mean is None or running_var is None:
        raise ValueError("evaluation needs running statistics")
    scale = torch.rsqrt(running_var + eps) * gamma
    return torch.addcmul((beta - running_mean * scale)[:, None], h, scale[:, None])


__all__ = ["EPS", "MOMENTUM", "TanhBatchNorm", "tanh_bn_backward", "tanh_bn_forward", "weighted_batch_norm"]
