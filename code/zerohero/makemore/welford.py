"""BatchNorm's batch variance, computed as torch.var computes it, five times faster (issue 8).

On the CPU, ``torch.var`` runs Welford's one-pass algorithm in double precision, one number
after the other, and rounds the result to float32. That loop is slow for the small batches of
chapters 4 and 6: a fifth of a WaveNet training step. ``var`` and ``std`` below run the very
same arithmetic (the same operations on the same numbers in the same order, so the same bits)
in a few lines of C, vectorised across the channels instead of running one channel at a time.
The C is compiled on first use with the system's C compiler; without one, or for a case it
does not cover, the functions call ``torch.var`` / ``torch.std``: slower, never different.
``tests/test_makemore_welford.py`` compares every bit with torch's on random batches.
"""

from __future__ import annotations

import ctypes
import functools
import math

import torch

from zerohero.makemore import cbuild

SOURCE = r"""
#include <math.h>
#include <stdlib.h>

/* Welford's algorithm down each column of the row-major n x m matrix x, in double precision,
   as ATen's WelfordOps: delta = x - mean; mean += delta / count; m2 += delta * (x - mean). */
int welford_var(const float *x, float *out, long n, long m, double correction, int take_sqrt) {
    double *mean = calloc(2 * m, sizeof(double));
    if (mean == NULL) return 1;
    double *m2 = mean + m;
    for (long i = 0; i < n; i++) {
        const double count = (double)(i + 1);
        const float *row = x + i * m;
        for (long j = 0; j < m; j++) {
            const double value = (double)row[j];
            const double delta = value - mean[j];
            const double new_mean = mean[j] + delta / count;
            m2[j] = m2[j] + delta * (value - new_mean);
            mean[j] = new_mean;
        }
    }
    const double divisor = (double)n > correction ? (double)n - correction : 0.0;
    for (long j = 0; j < m; j++) {
        const double var = m2[j] / divisor;
        out[j] = (float)(take_sqrt ? sqrt(var) : var);
    }
    free(mean);
    return 0;
}
"""

# torch reduces one output element with several threads (and another order of additions) when
# it has at least this many numbers to reduce and more than one thread (at::internal::GRAIN_SIZE)
TORCH_SERIAL_BELOW = 32768


WELFORD_ARGS = ([ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_double,
                 ctypes.c_int], ctypes.c_int)


@functools.cache
def _library():
    """The compiled C, or None (no C compiler: torch.var is used)."""
    return cbuild.load("welford", SOURCE, {"welford_var": WELFORD_ARGS})


def _leading(x: torch.Tensor, dim) -> int:
    """How many leading dimensions ``dim`` names (0 if it is not a block of leading ones)."""
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(d % x.ndim for d in dims)
    return len(dims) if dims == tuple(range(len(dims))) and len(dims) < x.ndim else 0


def _welford(x: torch.Tensor, dim, correction: int, take_sqrt: bool) -> torch.Tensor | None:
    lead = _leading(x, dim)
    if (lead == 0 or x.dtype != torch.float32 or x.device.type != "cpu"
            or not x.is_contiguous() or x.requires_grad and torch.is_grad_enabled()):
        return None
    n, m = math.prod(x.shape[:lead]), math.prod(x.shape[lead:])
    if m < 2 or n <= correction or n >= TORCH_SERIAL_BELOW and torch.get_num_threads() > 1:
        # torch reduces to a single number with a two-pass algorithm; warns when there are too
        # few numbers; and splits long reductions between threads
        return None
    lib = _library()
    if lib is None:
        return None
    out = torch.empty((1,) * lead + x.shape[lead:])
    if lib.welford_var(x.data_ptr(), out.data_ptr(), n, m, float(correction),
                       int(take_sqrt)):
        return None
    return out


def var(x: torch.Tensor, dim, correction: int = 1) -> torch.Tensor:
    """``x.var(dim, keepdim=True, correction=correction)``, bit for bit (chapter 4's BatchNorm
    statistics; ``dim``: 0, or (0, 1) for (batch, time, channels) input)."""
    out = _welford(x, dim, correction, take_sqrt=False)
    return x.var(dim, keepdim=True, correction=correction) if out is None else out


def std(x: torch.Tensor, dim, correction: int = 1) -> torch.Tensor:
    """``x.std(dim, keepdim=True, correction=correction)``, bit for bit."""
    out = _welford(x, dim, correction, take_sqrt=True)
    return x.std(dim, keepdim=True, correction=correction) if out is None else out
