"""The lectures' training loop without autograd's graph: same bits, less time (issue 8).

For networks this small, ``loss.backward()`` spends much of each step recording and walking
the graph rather than computing. Here each layer's backward pass is written out (chapter 5
derives the derivatives), and written with the very kernels, in the very order, that
autograd's derivative formulas use (PyTorch's ``tools/autograd/derivatives.yaml`` and
``FunctionsManual.cpp``). Floating-point results depend on the order of operations, not on who
calls them, so every gradient is bit-identical to ``loss.backward()``'s, every trained weight is
too, and chapters 3, 4 and 6 keep the lecture's numbers. ``tests/test_makemore_fast_train.py``
trains each model both ways and compares every bit; ``python -m zerohero.bench`` measures the
speed.

A model is trained as a list of *steps*: objects with ``forward(x)`` (which keeps what the
backward pass needs) and ``backward(dout) -> dx`` (which fills ``grads``, one per tensor of
``params``). ``steps_of`` builds that list for the layers of ``zerohero.makemore.layers``;
chapters 3 and 4's hand-written models describe themselves with ``Embedding``, ``Linear``, ...
below (``mlp.fast_steps``, ``batchnorm.fast_steps``).
"""

from __future__ import annotations

import functools
from typing import Callable

import torch

from zerohero.makemore import fused_sgd, layers, welford


def sum_to(grad: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Sum a broadcast gradient back to ``shape``, as autograd's engine does (``at::sum_to``)."""
    dims, lead = _summed_dims(grad.shape, shape)
    if dims:
        grad = grad.sum(dims, keepdim=True)
    return grad.view(shape) if lead else grad


@functools.cache
def _summed_dims(grad_shape: torch.Size, shape: torch.Size) -> tuple[tuple[int, ...], int]:
    """The dimensions ``sum_to`` adds up (the leading extra ones, and those broadcast from 1)."""
    lead = len(grad_shape) - len(shape)
    dims = tuple(range(lead)) + tuple(i for i in range(lead, len(grad_shape))
                                      if shape[i - lead] == 1 and grad_shape[i] != 1)
    return dims, lead


@functools.cache
def const(value: float) -> torch.Tensor:
    """``value`` as a float32 0-dim tensor: the number a Python float becomes inside a float32
    operation, converted once instead of at every call."""
    return torch.tensor(value, dtype=torch.float32)


class Step:
    """One layer of the forward pass and its backward pass."""

    params: list[torch.Tensor] = []
    grads: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def backward(self, dout: torch.Tensor) -> torch.Tensor | None:
        raise NotImplementedError

    def finish(self) -> None:
        """After training: make what the step left in the model ordinary tensors again."""


class Embedding(Step):
    """``weight[ix]``; backward: scatter-add into zeros (IndexBackward0)."""

    def __init__(self, weight: torch.Tensor):
        self.weight = weight
        self.params = [weight]

    def forward(self, ix):
        self.ix = ix
        return torch.embedding(self.weight, ix)  # weight[ix], copied by a faster kernel

    def backward(self, dout):
        zeros = self.weight.new_zeros(self.weight.shape)
        self.grads = [zeros.index_put_((self.ix,), dout, accumulate=True)]
        return None  # the indices have no gradient


class Reshape(Step):
    """``Flatten`` and ``FlattenConsecutive``: a view forward, a reshape back (no arithmetic)."""

    def __init__(self, layer: layers.Module | None = None):
        self.layer = layer or layers.Flatten()

    def forward(self, x):
        self.shape = x.shape
        return self.layer(x)

    def backward(self, dout):
        return dout.reshape(self.shape)


class Linear(Step):
    """``x @ weight (+ bias)``; for 3-D ``x``, matmul folds it to 2-D and uses ``mm``."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None):
        self.weight, self.bias = weight, bias
        self.params = [weight] + ([] if bias is None else [bias])

    def forward(self, x):
        self.x = x
        out = x @ self.weight
        return out if self.bias is None else out + self.bias

    def backward(self, dout):
        x2 = self.x.reshape(-1, self.x.shape[-1])
        d2 = dout.reshape(-1, dout.shape[-1])
        # MmBackward0 for row-major operands: mat1.t() @ grad and grad @ mat2.t()
        self.grads = [x2.t().mm(d2)]
        if self.bias is not None:
            self.grads.append(sum_to(dout, self.bias.shape))
        return d2.mm(self.weight.t()).view(self.x.shape)


class Tanh(Step):
    def forward(self, x):
        self.out = torch.tanh(x)
        return self.out

    def backward(self, dout):
        return torch.ops.aten.tanh_backward.default(dout, self.out)


class SumOf(Step):
    """``a(x) + b(x)`` for two chains of steps: a skip connection (chapter 3's direct
    connections). Autograd adds the two gradients that reach ``x``; with two of them the order
    does not matter (``a + b`` and ``b + a`` are the same float)."""

    def __init__(self, a: list[Step], b: list[Step]):
        self.branches = (a, b)
        self.params = [p for branch in self.branches for s in branch for p in s.params]

    def forward(self, x):
        outs = []
        for branch in self.branches:
            y = x
            for s in branch:
                y = s.forward(y)
            outs.append(y)
        return outs[0] + outs[1]

    def backward(self, dout):
        dxs = []
        for branch in self.branches:
            d = dout
            for s in reversed(branch):
                d = s.backward(d)
            dxs.append(d)
        self.grads = [g for branch in self.branches for s in branch for g in s.grads]
        return dxs[0] + dxs[1]

    def finish(self):
        for branch in self.branches:
            for s in branch:
                s.finish()


class BatchNorm1d(Step):
    """``layers.BatchNorm1d`` in training mode, its running statistics updated as its own.

    Where autograd's formulas recompute something the forward pass already has (``x - mean``
    in VarBackward0, ``self / other`` in DivBackward0), the kept tensor is reused: the same
    operation on the same inputs gives the same bits. Negations are moved after a sum and the
    division of MeanBackward1 before a broadcast: neither changes a bit either.
    """

    def __init__(self, layer: layers.BatchNorm1d):
        self.layer = layer
        self.params = layer.parameters()

    def forward(self, x):
        bn = self.layer
        dim = (0, 1) if x.ndim == 3 and bn.reduce_time else 0
        xmean = x.mean(dim, keepdim=True)
        xvar = welford.var(x, dim, bn.correction)  # x.var(dim, keepdim=True), faster
        self.centred = x - xmean
        self.std = torch.sqrt(xvar + const(bn.eps))
        self.xhat = self.centred / self.std
        if bn.correction == 1:  # bn.update_running, its constants converted once
            keep, m = const(1 - bn.momentum), const(bn.momentum)
            bn.running_mean = keep * bn.running_mean + m * xmean
            bn.running_var = keep * bn.running_var + m * xvar
        else:
            bn.update_running(x, dim, xmean, xvar)
        self.n = x.numel() // xmean.numel()
        return bn.gamma * self.xhat + bn.beta

    def backward(self, dout):
        bn, std, n = self.layer, self.std, self.n
        self.grads = [sum_to(dout * self.xhat, bn.gamma.shape), sum_to(dout, bn.beta.shape)]
        dxhat = dout * bn.gamma
        dcentred = dxhat / std                                        # DivBackward0, self
        dstd = -sum_to(dxhat * (self.xhat / std), std.shape)          # DivBackward0, other
        dvar = dstd / (const(2.0) * std)                              # SqrtBackward0
        dmean = -sum_to(dcentred, std.shape)                          # SubBackward0, other
        dx_var = const(2.0 / (n - bn.correction)) * dvar * self.centred  # VarBackward0
        # autograd adds the three paths into x in the order its nodes run: sub, var, mean
        return (dcentred + dx_var) + dmean / const(float(n))         # MeanBackward1

    def finish(self):
        self.layer.running_mean = self.layer.running_mean.clone()
        self.layer.running_var = self.layer.running_var.clone()


class LectureBatchNorm(Step):
    """The hand-written BatchNorm of chapter 4's ``RevisitedMLP`` (std, momentum 0.001)."""

    def __init__(self, model):
        self.model = model
        self.params = [model.bngain, model.bnbias]

    def forward(self, h):
        m = self.model
        bnmeani = h.mean(0, keepdim=True)
        self.bnstdi = bnstdi = welford.std(h, 0)  # h.std(0, keepdim=True), faster
        # as RevisitedMLP.hidden: the running estimates, outside the gradient
        m.bnmean_running = const(0.999) * m.bnmean_running + const(0.001) * bnmeani
        m.bnstd_running = const(0.999) * m.bnstd_running + const(0.001) * bnstdi
        self.centred = h - bnmeani
        self.normed = m.bngain * self.centred / bnstdi
        return self.normed + m.bnbias

    def backward(self, dout):
        m, bnstdi = self.model, self.bnstdi
        dbnbias = sum_to(dout, m.bnbias.shape)
        dscaled = dout / bnstdi                                        # DivBackward0, self
        dstd = -sum_to(dout * (self.normed / bnstdi), bnstdi.shape)    # DivBackward0, other
        dbngain = sum_to(dscaled * self.centred, m.bngain.shape)       # MulBackward0
        self.grads = [dbngain, dbnbias]
        dcentred = dscaled * m.bngain
        dmean = -sum_to(dcentred, bnstdi.shape)                        # SubBackward0, other
        dvar = (dstd / (bnstdi * const(2.0))).masked_fill_(bnstdi == 0, 0)  # StdBackward0
        n = self.centred.shape[0]
        dx_var = const(2.0 / (n - 1)) * dvar * self.centred           # VarBackward0
        return (dcentred + dx_var) + dmean / const(float(n))          # MeanBackward1

    def finish(self):
        self.model.bnmean_running = self.model.bnmean_running.clone()
        self.model.bnstd_running = self.model.bnstd_running.clone()


def steps_of(model) -> list[Step]:
    """The steps of a model: its own ``fast_steps()`` (chapters 3 and 4's hand-written
    networks), or one per layer of a ``layers.Sequential`` (chapter 6)."""
    if hasattr(model, "fast_steps"):
        return model.fast_steps()
    if not isinstance(model, layers.Sequential):
        raise TypeError(f"fast_train cannot train a {type(model).__name__}: give it a "
                        f"layers.Sequential or a model with fast_steps()")
    out = []
    for layer in model.layers:
        if isinstance(layer, layers.Embedding):
            out.append(Embedding(layer.weight))
        elif isinstance(layer, (layers.Flatten, layers.FlattenConsecutive)):
            out.append(Reshape(layer))
        elif isinstance(layer, layers.Linear):
            out.append(Linear(layer.weight, layer.bias))
        elif isinstance(layer, layers.BatchNorm1d):
            # the same step with both passes in C where that is verified to give the same bits
            from zerohero.makemore.fused_batchnorm import FusedBatchNorm1d
            out.append(FusedBatchNorm1d(layer))
        elif isinstance(layer, layers.Tanh):
            out.append(Tanh())
        else:
            raise TypeError(f"fast_train has no backward pass for {type(layer).__name__}; "
                            f"train this model with loss.backward() instead")
    return out


class CrossEntropy:
    """``F.cross_entropy`` (log-softmax, then the mean negative log-likelihood) and its
    gradient with respect to the logits."""

    def __init__(self):
        self.one = torch.ones(())  # autograd starts the backward pass from ones_like(loss)

    def forward(self, logits, targets):
        self.logp, self.targets = torch.log_softmax(logits, 1), targets
        loss, self.total_weight = torch.ops.aten.nll_loss_forward.default(self.logp, targets,
                                                                          None, 1, -100)
        return loss

    def backward(self):
        dlogp = torch.ops.aten.nll_loss_backward.default(self.one, self.logp, self.targets, None,
                                                         1, -100, self.total_weight)
        return torch._log_softmax_backward_data(dlogp, self.logp, 1, self.logp.dtype)


PREFETCH_STEPS = 1000  # minibatches drawn per randint call


def train(model, X: torch.Tensor, Y: torch.Tensor, *, max_steps: int,
          lr: Callable[[int], float], batch_size: int = 32,
          generator: torch.Generator | None = None) -> torch.Tensor:
    """Minibatch SGD exactly as the lectures' loop, one layer's backward pass after the other.

    Each step draws ``batch_size`` indices with ``torch.randint`` from ``generator`` (default:
    torch's global one); a block of steps is drawn at once, which gives the same numbers. The
    update is the lecture's ``p.data += -lr * p.grad``, for all parameters in one call
    (``fused_sgd``). It all runs in inference mode, which skips autograd's bookkeeping (the
    kernels are the same). Returns the loss of every step.
    """
    if max_steps < 1 or batch_size < 1:
        raise ValueError(f"max_steps and batch_size must be positive, "
                         f"got {max_steps}, {batch_size}")
    if len(X) != len(Y):
        raise ValueError(f"X and Y differ in length: {len(X)} vs {len(Y)}")
    steps = steps_of(model)
    params = [p for s in steps for p in s.params]
    criterion = CrossEntropy()
    update = fused_sgd.SGD(params)
    losses = []
    backward = list(reversed(steps))
    i = 0
    with torch.inference_mode():
        while i < max_steps:
            block = min(PREFETCH_STEPS, max_steps - i)
            ix = torch.randint(0, X.shape[0], (block, batch_size), generator=generator)
            for Xb, Yb in zip(X[ix], Y[ix]):
                x = Xb
                for s in steps:
                    x = s.forward(x)
                losses.append(criterion.forward(x, Yb))
                d = criterion.backward()
                for s in backward:
                    d = s.backward(d)
                update([g for s in steps for g in s.grads], lr(i))
                i += 1
    losses = torch.stack(losses)  # outside inference mode: an ordinary tensor
    for s in steps:
        s.finish()
    return losses
