"""``fast_train.BatchNorm1d`` in one C call per pass: the same operations, the same bits (issue 8).

``fast_train.BatchNorm1d`` spends about thirty small torch operations per training step, most of
the time of a WaveNet step going to their overhead rather than to arithmetic. Every one of them
is an IEEE operation on float32 numbers (``-``, ``*``, ``/``, ``sqrt``, rounded one at a time),
except the sums, and torch's CPU sum adds in a fixed, documented order (ATen's ``cascade_sum``:
runs of 16 rows are added up, then the runs' totals, and so on; the last columns of a row, which
do not fill torch's vector registers, are added four rows at a time). The C below performs the
same operations on the same numbers in the same order, so it gives the same bits; it only calls
no dispatcher and allocates nothing in between.

Trusting that would be rash, so nothing is trusted: the first time a shape comes along, both
versions run on random numbers of that shape and every output is compared bit for bit (the
order of the operations does not depend on the values). Only a shape that matches runs in C;
any other, or a machine without a C compiler, runs ``fast_train.BatchNorm1d`` itself.
``tests/test_makemore_fused_batchnorm.py`` checks more shapes, and whole training runs.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import math

import torch

from zerohero.makemore import cbuild, fast_train, layers, welford

log = logging.getLogger(__name__)

SOURCE = welford.SOURCE + r"""
#include <string.h>

static long ceil_log2(long x) { return x <= 2 ? 1 : 64 - __builtin_clzl((unsigned long)(x - 1)); }

/* Sum `size` rows (row i starts at x + i * stride) of m columns, each column in the order of
   ATen's multi_row_sum: runs of 2^p rows into level 0, full runs moved up a level, and so on
   (p = max(4, ceil(log2(size)) / 4)); acc holds 4 * m floats. */
static void cascade(const float *x, long size, long stride, long m, float *acc, float *out) {
    const long p = ceil_log2(size) / 4 > 4 ? ceil_log2(size) / 4 : 4;
    const long step = 1L << p, mask = step - 1;
    memset(acc, 0, 4 * m * sizeof(float));
    long i = 0;
    while (i + step <= size) {
        for (long s = 0; s < step; s++, i++)
            for (long j = 0; j < m; j++) acc[j] += x[i * stride + j];
        for (long level = 1; level < 4; level++) {
            float *lo = acc + (level - 1) * m, *hi = acc + level * m;
            for (long j = 0; j < m; j++) { hi[j] += lo[j]; lo[j] = 0.0f; }
            if ((i & (mask << (level * p))) != 0) break;
        }
    }
    for (; i < size; i++)
        for (long j = 0; j < m; j++) acc[j] += x[i * stride + j];
    for (long level = 1; level < 4; level++)
        for (long j = 0; j < m; j++) acc[j] += acc[level * m + j];
    memcpy(out, acc, m * sizeof(float));
}

/* x.sum(0, keepdim=True) of the row-major n x m matrix x, as ATen's cascade_sum computes it
   (one thread): columns that fill 4 of torch's vectors (vec floats each) are cascaded over all
   rows; the rest go through row_sum, which cascades rows 4 apart and adds the 4 partial sums. */
int column_sums(const float *x, long n, long m, long vec, float *out) {
    float *acc = malloc(8 * m * sizeof(float));
    if (acc == NULL) return 1;
    float *part = acc + 4 * m;
    const long block = m >= vec ? 4 * vec : 4;
    const long full = m / block * block, rest = m - full;
    if (full > 0) cascade(x, n, m, full, acc, out);
    if (rest > 0) {
        for (long k = 0; k < 4; k++)
            cascade(x + k * m + full, n / 4, 4 * m, rest, acc, part + k * rest);
        for (long i = n / 4 * 4; i < n; i++)
            for (long j = 0; j < rest; j++) part[j] += x[i * m + full + j];
        for (long k = 1; k < 4; k++)
            for (long j = 0; j < rest; j++) part[j] += part[k * rest + j];
        memcpy(out + full, part, rest * sizeof(float));
    }
    for (long j = 0; j < m; j++) out[j] = 0.0f + out[j];  /* torch adds into a zeroed output */
    free(acc);
    return 0;
}

/* The end of both backward passes: the three gradients that reach x, added in autograd's
   order, (x - mean's + the variance's) + the mean's. dx holds x - mean's on entry, dvar the
   variance's gradient and dmean_sum the column sums of dx (both overwritten). */
static void add_paths(float *restrict dx, const float *restrict centred, float *restrict dvar,
                      float *restrict dmean_sum, long n, long m, float two_over) {
    for (long j = 0; j < m; j++) {
        dvar[j] = two_over * dvar[j];                      /* the factor of centred */
        dmean_sum[j] = -dmean_sum[j] / (float)n;
    }
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            const long e = i * m + j;
            dx[e] = (dx[e] + dvar[j] * centred[e]) + dmean_sum[j];
        }
}

/* fast_train.BatchNorm1d.forward with correction 1, in two halves around torch.sqrt (whose
   float32 square root is not always the correctly rounded one, so it stays torch's).
   x is n x m (n: the rows reduced over); gamma and beta have c entries, m = r * c. */
int bn_statistics(const float *x, long n, long m, long vec, float *xmean, float *xvar) {
    if (column_sums(x, n, m, vec, xmean)) return 1;
    for (long j = 0; j < m; j++) xmean[j] = xmean[j] / (float)n;
    return welford_var(x, xvar, n, m, 1.0, 0);
}

/* running_mean and running_var are updated when not NULL. */
void bn_normalise(const float *restrict x, long n, long m, long c,
                  const float *restrict gamma, const float *restrict beta, float keep,
                  float momentum, float *restrict running_mean, float *restrict running_var,
                  const float *restrict xmean, const float *restrict xvar,
                  const float *restrict std, float *restrict centred, float *restrict xhat,
                  float *restrict out) {
    for (long i = 0; i < n; i++)
        for (long t = 0; t < m; t += c)  /* gamma and beta repeat every c numbers */
            for (long k = 0; k < c; k++) {
                const long j = t + k, e = i * m + j;
                centred[e] = x[e] - xmean[j];
                xhat[e] = centred[e] / std[j];
                out[e] = gamma[k] * xhat[e] + beta[k];
            }
    if (running_mean != NULL)
        for (long j = 0; j < m; j++) {
            running_mean[j] = keep * running_mean[j] + momentum * xmean[j];
            running_var[j] = keep * running_var[j] + momentum * xvar[j];
        }
}

/* fast_train.BatchNorm1d.backward: the gradients of gamma and beta, and of x (returned in dx).
   two_over is 2 / (n - 1) as a float; tmp is scratch of n * m floats. */
int bn_backward(const float *restrict dout, const float *restrict xhat,
                const float *restrict centred, const float *restrict std,
                const float *restrict gamma, long n, long m, long c, float two_over, long vec,
                float *restrict dgamma, float *restrict dbeta, float *restrict dx,
                float *restrict tmp) {
    const long rows = n * (m / c);
    float *stats = malloc(2 * m * sizeof(float));
    if (stats == NULL) return 1;
    float *dstd = stats, *dmean = stats + m;
    for (long e = 0; e < n * m; e++) tmp[e] = dout[e] * xhat[e];
    int err = column_sums(tmp, rows, c, vec, dgamma) || column_sums(dout, rows, c, vec, dbeta);
    for (long i = 0; i < n; i++)
        for (long t = 0; t < m; t += c)
            for (long k = 0; k < c; k++) {
                const long j = t + k, e = i * m + j;
                const float dxhat = dout[e] * gamma[k];
                dx[e] = dxhat / std[j];                    /* dcentred, for now */
                tmp[e] = dxhat * (xhat[e] / std[j]);
            }
    err = err || column_sums(tmp, n, m, vec, dstd) || column_sums(dx, n, m, vec, dmean);
    for (long j = 0; j < m; j++) dstd[j] = -dstd[j] / (2.0f * std[j]);  /* now the variance's */
    add_paths(dx, centred, dstd, dmean, n, m, two_over);
    free(stats);
    return err;
}

/* fast_train.LectureBatchNorm (chapter 4's hand-written BatchNorm: the standard deviation,
   running estimates with momentum 0.001). h is n x m; gain, bias and the running estimates
   have m entries; the running estimates are updated when not NULL. */
int lecture_bn_forward(const float *restrict h, long n, long m, long vec,
                       const float *restrict gain, const float *restrict bias, float keep,
                       float momentum, float *restrict mean_running,
                       float *restrict std_running, float *restrict mean,
                       float *restrict std, float *restrict centred, float *restrict normed,
                       float *restrict out) {
    if (column_sums(h, n, m, vec, mean)) return 1;
    for (long j = 0; j < m; j++) mean[j] = mean[j] / (float)n;
    if (welford_var(h, std, n, m, 1.0, 1)) return 1;
    if (mean_running != NULL)
        for (long j = 0; j < m; j++) {
            mean_running[j] = keep * mean_running[j] + momentum * mean[j];
            std_running[j] = keep * std_running[j] + momentum * std[j];
        }
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            const long e = i * m + j;
            centred[e] = h[e] - mean[j];
            normed[e] = gain[j] * centred[e] / std[j];
            out[e] = normed[e] + bias[j];
        }
    return 0;
}

int lecture_bn_backward(const float *restrict dout, const float *restrict centred,
                        const float *restrict normed, const float *restrict std,
                        const float *restrict gain, long n, long m, float two_over, long vec,
                        float *restrict dgain, float *restrict dbias, float *restrict dx,
                        float *restrict tmp) {
    float *stats = malloc(2 * m * sizeof(float));
    if (stats == NULL) return 1;
    float *dstd = stats, *dmean = stats + m;
    int err = column_sums(dout, n, m, vec, dbias);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) {
            const long e = i * m + j;
            dx[e] = dout[e] / std[j];                      /* dscaled, for now */
            tmp[e] = dout[e] * (normed[e] / std[j]);
        }
    err = err || column_sums(tmp, n, m, vec, dstd);
    for (long e = 0; e < n * m; e++) tmp[e] = dx[e] * centred[e];
    err = err || column_sums(tmp, n, m, vec, dgain);
    for (long i = 0; i < n; i++)
        for (long j = 0; j < m; j++) dx[i * m + j] = dx[i * m + j] * gain[j];  /* dcentred */
    err = err || column_sums(dx, n, m, vec, dmean);
    for (long j = 0; j < m; j++)  /* now the variance's; torch masks it where std is 0 */
        dstd[j] = std[j] == 0.0f ? 0.0f : -dstd[j] / (std[j] * 2.0f);
    add_paths(dx, centred, dstd, dmean, n, m, two_over);
    free(stats);
    return err;
}
"""

_P, _L, _F = ctypes.c_void_p, ctypes.c_long, ctypes.c_float
FUNCTIONS = {
    "welford_var": welford.WELFORD_ARGS,
    "column_sums": ([_P, _L, _L, _L, _P], ctypes.c_int),
    "bn_statistics": ([_P, _L, _L, _L, _P, _P], ctypes.c_int),
    "bn_normalise": ([_P, _L, _L, _L, _P, _P, _F, _F, _P, _P, _P, _P, _P, _P, _P, _P], None),
    "bn_backward": ([_P, _P, _P, _P, _P, _L, _L, _L, _F, _L, _P, _P, _P, _P], ctypes.c_int),
    "lecture_bn_forward": ([_P, _L, _L, _L, _P, _P, _F, _F, _P, _P, _P, _P, _P, _P, _P],
                           ctypes.c_int),
    "lecture_bn_backward": ([_P, _P, _P, _P, _P, _L, _L, _F, _L, _P, _P, _P, _P], ctypes.c_int),
}
VECTOR_SIZES = (16, 8, 4)  # floats per vector register of torch's kernels: AVX-512, AVX2, NEON


@functools.cache
def _library():
    """The compiled C, or None (no C compiler: fast_train.BatchNorm1d runs instead)."""
    return cbuild.load("fused_batchnorm", SOURCE, FUNCTIONS)


def _owns(step, mean: torch.Tensor, var: torch.Tensor) -> bool:
    """Are ``mean`` and ``var`` the running statistics ``step`` made itself (so the C may
    update them in place)? Anything else, a first step or tensors put there by someone else,
    gets torch's update below, which makes new ones."""
    return step.own is not None and step.own[0] is mean and step.own[1] is var


def _moved(running: torch.Tensor, batch: torch.Tensor, keep: float, momentum: float):
    """torch's ``keep * running + momentum * batch``: a new tensor of the batch statistic's
    shape (the lecture's running update, as ``fast_train`` computes it)."""
    return (fast_train.const(keep) * running + fast_train.const(momentum) * batch).contiguous()


class Plan:
    """What a FusedBatchNorm1d needs for one input shape: sizes and buffers of its own."""

    def __init__(self, bn: layers.BatchNorm1d, shape: torch.Size, vec: int):
        self.shape, self.vec = shape, vec
        self.n = shape[0] * shape[1] if len(shape) == 3 and bn.reduce_time else shape[0]
        self.m, self.c = math.prod(shape) // self.n, bn.gamma.numel()
        stat_shape = (1, 1, self.m) if len(shape) == 3 and bn.reduce_time else (1, *shape[1:])
        # the step's own tensors, overwritten at every step (what it returns is always new)
        self.xmean, self.xvar, self.var_eps, self.std = (torch.empty(stat_shape)
                                                         for _ in range(4))
        self.centred, self.xhat, self.tmp = (torch.empty(shape) for _ in range(3))
        self.ptrs = [t.data_ptr() for t in (self.xmean, self.xvar, self.std, self.centred,
                                            self.xhat, self.tmp)]
        self.eps = fast_train.const(bn.eps)
        self.keep, self.momentum = 1 - bn.momentum, bn.momentum
        self.two_over = 2.0 / (self.n - 1)


class FusedBatchNorm1d(fast_train.BatchNorm1d):
    """``fast_train.BatchNorm1d`` with both passes in C, for shapes verified to give its bits."""

    def __init__(self, layer: layers.BatchNorm1d):
        super().__init__(layer)
        self.plan = None
        self.own = None  # the running statistics this step made, then updated in place
        self.fused = False  # did the last forward pass run in C?

    def _plan(self, x):
        if self.plan is not None and self.plan.shape == x.shape:
            return self.plan
        bn = self.layer
        vec = None
        if (bn.correction == 1 and x.ndim in (2, 3) and x.shape[0] >= 2
                and x.dtype == bn.gamma.dtype == bn.beta.dtype == torch.float32
                and x.device.type == "cpu" and bn.gamma.is_contiguous()
                and bn.beta.is_contiguous()):
            vec = verified_vector_size(tuple(x.shape), bn.reduce_time, bn.gamma.numel(),
                                       bn.eps, bn.momentum)
        self.plan = None if vec is None else Plan(bn, x.shape, vec)
        return self.plan

    def forward(self, x):
        plan = self._plan(x)
        self.fused = plan is not None and x.is_contiguous()
        if not self.fused:
            return super().forward(x)
        bn, lib = self.layer, _library()
        p_mean, p_var, p_std, p_centred, p_xhat, _ = plan.ptrs
        if lib.bn_statistics(x.data_ptr(), plan.n, plan.m, plan.vec, p_mean, p_var):
            raise MemoryError("fused BatchNorm: out of memory")
        torch.sqrt(torch.add(plan.xvar, plan.eps, out=plan.var_eps), out=plan.std)
        in_place = _owns(self, bn.running_mean, bn.running_var)
        out = torch.empty(x.shape)
        lib.bn_normalise(x.data_ptr(), plan.n, plan.m, plan.c, bn.gamma.data_ptr(),
                         bn.beta.data_ptr(), plan.keep, plan.momentum,
                         bn.running_mean.data_ptr() if in_place else None,
                         bn.running_var.data_ptr() if in_place else None,
                         p_mean, p_var, p_std, p_centred, p_xhat, out.data_ptr())
        if not in_place:
            bn.running_mean = _moved(bn.running_mean, plan.xmean, plan.keep, plan.momentum)
            bn.running_var = _moved(bn.running_var, plan.xvar, plan.keep, plan.momentum)
            if bn.running_mean.numel() == plan.m:  # the C writes m numbers
                self.own = (bn.running_mean, bn.running_var)
        self.centred, self.std, self.xhat, self.n = plan.centred, plan.std, plan.xhat, plan.n
        return out

    def backward(self, dout):
        if not self.fused or not dout.is_contiguous():
            return super().backward(dout)
        bn, plan = self.layer, self.plan
        _, _, p_std, p_centred, p_xhat, p_tmp = plan.ptrs
        dgamma, dbeta = torch.empty(bn.gamma.shape), torch.empty(bn.beta.shape)
        dx = torch.empty(dout.shape)
        if _library().bn_backward(dout.data_ptr(), p_xhat, p_centred, p_std, bn.gamma.data_ptr(),
                                  plan.n, plan.m, plan.c, plan.two_over, plan.vec,
                                  dgamma.data_ptr(), dbeta.data_ptr(), dx.data_ptr(), p_tmp):
            raise MemoryError("fused BatchNorm: out of memory")
        self.grads = [dgamma, dbeta]
        return dx

    def finish(self):
        super().finish()
        self.own = self.plan = None


def _python_and_c(shape, reduce_time, c, eps, momentum, vec):
    """Two steps of fast_train.BatchNorm1d and of the C on the same random numbers: equal?"""
    def make(fused):
        bn = layers.BatchNorm1d(c, eps=eps, momentum=momentum, reduce_time=reduce_time)
        bn.gamma = torch.rand(c, generator=torch.Generator().manual_seed(1)) + 0.5
        bn.beta = torch.randn(c, generator=torch.Generator().manual_seed(2))
        if not fused:
            return fast_train.BatchNorm1d(bn), lambda: [bn.running_mean, bn.running_var]
        step = FusedBatchNorm1d(bn)
        step.plan = Plan(bn, torch.Size(shape), vec)
        return step, lambda: [bn.running_mean, bn.running_var]
    return _agree(make, shape)


def _agree(make, shape) -> bool:
    """Do the steps ``make(False)`` (Python) and ``make(True)`` (C) give the same outputs,
    gradients and running statistics for two steps on the same random numbers?"""
    outputs = []
    for fused in (False, True):
        step, running = make(fused)
        g = torch.Generator().manual_seed(0)  # never the global one: training draws from it
        got = []
        for _ in range(2):
            x = torch.randn(shape, generator=g) * 3 + 1
            dout = torch.randn(shape, generator=g)
            got += [step.forward(x), step.backward(dout), *step.grads]
        outputs.append(got + running())
    return all(a.shape == b.shape and torch.equal(a, b) for a, b in zip(*outputs))


def _first_match(agree, what: str, shape) -> int | None:
    """The first vector size at which ``agree(vec)`` holds, or None (warned)."""
    if _library() is None:
        return None
    with torch.inference_mode():
        for vec in VECTOR_SIZES:
            try:
                if agree(vec):
                    return vec
            except RuntimeError:  # a shape torch cannot broadcast: the Python step will say so
                return None
    log.warning("fused BatchNorm: no bit-identical match for shape %s; using fast_train's "
                "%s", shape, what)
    return None


@functools.cache
def verified_vector_size(shape, reduce_time, c, eps, momentum) -> int | None:
    """The vector size at which the C reproduces fast_train.BatchNorm1d bit for bit on this
    shape, or None (no compiler, or no match: then the Python step runs)."""
    return _first_match(lambda vec: _python_and_c(shape, reduce_time, c, eps, momentum, vec),
                        "BatchNorm1d", shape)


# ---------------------------------------------------------------------------------------------
# Chapter 4's hand-written BatchNorm


class FusedLectureBatchNorm(fast_train.LectureBatchNorm):
    """``fast_train.LectureBatchNorm`` with both passes in C, for shapes verified to give its
    bits (chapter 4's ``RevisitedMLP``)."""

    def __init__(self, model):
        super().__init__(model)
        self.vec = self.shape = self.own = None
        self.fused = False

    def forward(self, h):
        m = self.model
        if h.shape != self.shape:
            self.shape, self.vec = h.shape, None
            if (h.ndim == 2 and h.shape[0] >= 2 and h.dtype == torch.float32
                    and all(t.shape == (1, h.shape[1]) and t.dtype == torch.float32
                            and t.is_contiguous() for t in (m.bngain, m.bnbias))):
                self.vec = verified_lecture_vector_size(tuple(h.shape))
        self.fused = self.vec is not None and h.is_contiguous()
        if not self.fused:
            return super().forward(h)
        n, width = h.shape
        mean, std = torch.empty(1, width), torch.empty(1, width)
        self.centred, self.normed, out = (torch.empty(h.shape) for _ in range(3))
        in_place = _owns(self, m.bnmean_running, m.bnstd_running)
        if _library().lecture_bn_forward(
                h.data_ptr(), n, width, self.vec, m.bngain.data_ptr(), m.bnbias.data_ptr(),
                0.999, 0.001, m.bnmean_running.data_ptr() if in_place else None,
                m.bnstd_running.data_ptr() if in_place else None, mean.data_ptr(),
                std.data_ptr(), self.centred.data_ptr(), self.normed.data_ptr(),
                out.data_ptr()):
            raise MemoryError("fused BatchNorm: out of memory")
        if not in_place:
            m.bnmean_running = _moved(m.bnmean_running, mean, 0.999, 0.001)
            m.bnstd_running = _moved(m.bnstd_running, std, 0.999, 0.001)
            if m.bnmean_running.numel() == width:  # the C writes width numbers
                self.own = (m.bnmean_running, m.bnstd_running)
        self.bnstdi = std
        return out

    def backward(self, dout):
        if not self.fused or not dout.is_contiguous():
            return super().backward(dout)
        m = self.model
        n, width = dout.shape
        dgain, dbias = torch.empty(m.bngain.shape), torch.empty(m.bnbias.shape)
        dx, tmp = torch.empty(dout.shape), torch.empty(dout.shape)
        if _library().lecture_bn_backward(
                dout.data_ptr(), self.centred.data_ptr(), self.normed.data_ptr(),
                self.bnstdi.data_ptr(), m.bngain.data_ptr(), n, width, 2.0 / (n - 1),
                self.vec, dgain.data_ptr(), dbias.data_ptr(), dx.data_ptr(), tmp.data_ptr()):
            raise MemoryError("fused BatchNorm: out of memory")
        self.grads = [dgain, dbias]
        return dx

    def finish(self):
        super().finish()
        self.own = None


def _lecture_python_and_c(shape, vec) -> bool:
    from types import SimpleNamespace

    def make(fused):
        width = shape[1]
        model = SimpleNamespace(
            bngain=torch.rand(1, width, generator=torch.Generator().manual_seed(1)) + 0.5,
            bnbias=torch.randn(1, width, generator=torch.Generator().manual_seed(2)),
            bnmean_running=torch.zeros(1, width), bnstd_running=torch.ones(1, width))
        step = (FusedLectureBatchNorm if fused else fast_train.LectureBatchNorm)(model)
        if fused:
            step.shape, step.vec = torch.Size(shape), vec
        return step, lambda: [model.bnmean_running, model.bnstd_running]
    return _agree(make, shape)


@functools.cache
def verified_lecture_vector_size(shape) -> int | None:
    """As ``verified_vector_size``, for chapter 4's hand-written BatchNorm."""
    return _first_match(lambda vec: _lecture_python_and_c(shape, vec), "LectureBatchNorm",
                        shape)
