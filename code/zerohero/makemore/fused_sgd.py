"""The lectures' update ``p.data += -lr * p.grad`` for all parameters in one C call (issue 8).

``fast_train`` used to update with two of torch's multi-tensor calls: multiply every gradient
by ``-lr`` (new tensors), then add the products in place. That is two passes over every
parameter and a dozen allocations per step, a tenth of a WaveNet step. The loop below does the
same two float32 operations per number (the product rounded, then the sum rounded: no fused
multiply-add), so the parameters come out bit for bit the same; before the first use it is
checked against torch's two calls on random numbers, and anything it does not cover (no C
compiler, a tensor that is not contiguous float32 on the CPU) goes through torch.
"""

from __future__ import annotations

import ctypes
import functools
import logging

import torch

from zerohero.makemore import cbuild

log = logging.getLogger(__name__)

SOURCE = r"""
/* params[t][i] += neg_lr * grads[t][i]: the product rounded to float, then the sum */
void sgd_update(long count, float **params, float *const *grads, const long *sizes,
                float neg_lr) {
    for (long t = 0; t < count; t++) {
        float *restrict p = params[t];
        const float *restrict g = grads[t];
        for (long i = 0; i < sizes[t]; i++) p[i] = p[i] + neg_lr * g[i];
    }
}
"""


@functools.cache
def _library():
    """The compiled C, or None (no C compiler: torch's two calls are used)."""
    return cbuild.load("fused_sgd", SOURCE, {"sgd_update": (
        [ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_float],
        None)})


def _plain(tensors):
    return all(t.dtype == torch.float32 and t.device.type == "cpu" and t.is_contiguous()
               for t in tensors)


def torch_update(params, grads, rate: float) -> None:
    """The update with torch's multi-tensor calls (the reference, and the fallback)."""
    torch._foreach_add_(params, torch._foreach_mul(grads, torch.tensor(-rate)))


class SGD:
    """``p += -rate * g`` for a fixed list of parameters (updated in place)."""

    def __init__(self, params: list[torch.Tensor], *, check: bool = True):
        self.params = list(params)
        n = len(self.params)
        # ``check=False``: the C without asking ``verified()`` (which uses that to test it)
        self.c = (n > 0 and _plain(self.params) and _library() is not None
                  and (verified() if check else True))
        if self.c:
            self.sizes = (ctypes.c_long * n)(*(p.numel() for p in self.params))
            self.param_ptrs = (ctypes.c_void_p * n)(*(p.data_ptr() for p in self.params))
            self.grad_ptrs = (ctypes.c_void_p * n)()

    def __call__(self, grads: list[torch.Tensor], rate: float) -> None:
        if not self.c or not _plain(grads) or any(
                g.numel() != p.numel() for g, p in zip(grads, self.params, strict=True)):
            return torch_update(self.params, grads, rate)
        ptrs = self.grad_ptrs
        for k, g in enumerate(grads):
            ptrs[k] = g.data_ptr()
        _library().sgd_update(len(self.params), self.param_ptrs, ptrs, self.sizes, -rate)


@functools.cache
def verified() -> bool:
    """Does the C give torch's bits (on random numbers of a few sizes, several rates)?"""
    if _library() is None:
        return False
    g = torch.Generator().manual_seed(0)  # not the global generator: training draws from it
    sizes = [1, 7, 16, 100, 1000, 4099]
    params = [torch.randn(n, generator=g) for n in sizes]
    grads = [torch.randn(n, generator=g) * 10.0 ** torch.randint(-6, 3, (n,), generator=g)
             for n in sizes]
    ours, ref = [p.clone() for p in params], [p.clone() for p in params]
    step = SGD(ours, check=False)
    for rate in (0.1, 0.01, 0.0123, 3e-4):
        step(grads, rate)
        torch_update(ref, grads, rate)
    same = all(torch.equal(a, b) for a, b in zip(ours, ref))
    if not same:
        log.warning("fused SGD: the C update differs from torch's here; using torch")
    return same
