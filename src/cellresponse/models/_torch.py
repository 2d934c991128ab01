"""The one place that imports torch for the models and sets (then restores) its global state.

Every torch fit and predict runs inside :func:`torch_settings`: it sets the intra-op
thread count, seeds a forked global RNG and, off the CPU, switches on deterministic
algorithms; on exit all of it is restored, so fitting a model never changes what the
caller's torch code sees.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

TORCH_INSTALL_HINT = (
    "pip install 'cellresponse[torch]' "
    "(CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)"
)


def import_torch() -> Any:
    """``torch``, or an ImportError giving the install command."""
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on extras
        raise ImportError(f"this model needs PyTorch; install it with {TORCH_INSTALL_HINT}") from err
    return torch


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
_GLIBC_DEFAULT_THRESHOLD = 128 * 1024


def _glibc() -> Any:
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:  # pragma: no cover - unusual libc layout
        return None


@contextlib.contextmanager
def reuse_large_allocations() -> Iterator[None]:
    """Keep freed large blocks in the heap for reuse while training (glibc only).

    glibc serves blocks above ~32 MB by ``mmap`` and unmaps them on free, so every
    training step page-faults its large activation tensors in again: on the DrugCell
    ontology (~40 MB neuron tensors) allocating a tensor cost ~15 ms instead of ~1.5 ms,
    a quarter of a step. Inside this context large blocks come from the heap and up to
    64 MB of freed memory at its top is kept (on that benchmark: training 10.8k -> 16k
    pairs/s at 2 threads, peak RSS 935 -> 971 MB); on exit the defaults are restored and
    the heap trimmed. No effect on other platforms.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 26)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT_THRESHOLD)
        libc.malloc_trim(0)


@contextlib.contextmanager
def torch_settings(
    *, num_threads: int | None = None, deterministic: bool = False, seed: int | None = None, device: str = "cpu"
) -> Iterator[None]:
    """Set threads, deterministic algorithms and the seed inside; restore global state after.

    Parameters
    ----------
    num_threads
        Intra-op threads inside the context (``None`` keeps the current setting).
    deterministic
        Use deterministic algorithms on ``device``. On CPU every op the models use is
        deterministic already, so ``torch.use_deterministic_algorithms`` (whose first call
        imports ``torch._inductor``, ~4 s) is switched on only for other devices.
    seed
        Seed of the global torch RNG inside the context (``None`` leaves it). The CPU RNG
        (and that of a CUDA ``device``) is forked, so seeding here does not leak.
    device
        The device the work runs on.
    """
    torch = import_torch()
    if num_threads is not None and int(num_threads) < 1:
        raise ValueError(f"num_threads must be >= 1 or None, got {num_threads}")
    old_threads = torch.get_num_threads()
    dev = torch.device(device)
    set_det = deterministic and dev.type != "cpu"
    if set_det:
        old_det = torch.are_deterministic_algorithms_enabled()
        old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    # forking a CUDA RNG initialises CUDA, so only the device the work runs on is forked
    cuda = [torch.cuda.current_device() if dev.index is None else dev.index] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda), reuse_large_allocations():
        if seed is not None:
            torch.manual_seed(int(seed))
        try:
            if num_threads is not None:
                torch.set_num_threads(int(num_threads))
            if set_det:
                torch.use_deterministic_algorithms(True, warn_only=True)
            yield
        finally:
            torch.set_num_threads(old_threads)
            if set_det:
                torch.use_deterministic_algorithms(old_det, warn_only=old_warn)


__all__ = ["TORCH_INSTALL_HINT", "import_torch", "reuse_large_allocations", "torch_settings"]
