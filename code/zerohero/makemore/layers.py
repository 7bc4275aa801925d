"""From-scratch layers with a torch.nn-like interface (chapter 4, extended in chapter 6).

Written as in the lectures ("PyTorchifying the code"): plain classes holding tensors,
``__call__`` for the forward pass, ``parameters()`` for the optimiser and a ``training`` flag.
Default arguments follow the lectures so that their numbers reproduce; where the lectures
differ from ``torch.nn`` the docstring says so.
"""

from __future__ import annotations

import torch


class Module:
    """What every layer has: ``parameters()``, ``train()`` / ``eval()``."""

    training = True

    def parameters(self) -> list[torch.Tensor]:
        return []

    def children(self) -> list["Module"]:
        return []

    def train(self, mode: bool = True) -> "Module":
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)


class Linear(Module):
    """``x @ W + b`` with W drawn from N(0, 1/fan_in) (chapter 4).

    Weight is (fan_in, fan_out), as in the lecture: the transpose of torch.nn.Linear's.
    ``generator`` makes the draw come from the lecture's ``g`` (part 3); ``None`` uses the
    global generator (part 5, ``torch.manual_seed(42)``).
    """

    def __init__(self, fan_in: int, fan_out: int, bias: bool = True, generator=None):
        self.weight = torch.randn((fan_in, fan_out), generator=generator) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out = self.out + self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d(Module):
    """Batch normalisation (Ioffe & Szegedy 2015) as written in the lectures (chapter 4).

    Training normalises with the batch statistics and updates running estimates with
    ``momentum``; evaluation uses the running estimates. Two choices follow the lectures:

    - ``correction=1``: the lecture's ``x.var(0, keepdim=True)`` is torch's unbiased variance.
      ``torch.nn.BatchNorm1d`` normalises with the biased variance (``correction=0``) and keeps
      the unbiased one in its running estimate; pass ``correction=0`` to match it exactly.
    - 3-D input (batch, time, channels) is reduced over dims (0, 1) (chapter 6's fix).
      ``reduce_time=False`` reproduces the lecture's bug: statistics over dim 0 only.
    """

    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1,
                 correction: int = 1, reduce_time: bool = True):
        self.eps, self.momentum = eps, momentum
        self.correction, self.reduce_time = correction, reduce_time
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if x.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d expects (batch, channels) or (batch, time, channels) "
                             f"input, got shape {tuple(x.shape)}")
        if self.training:
            dim = (0, 1) if x.ndim == 3 and self.reduce_time else 0
            xmean = x.mean(dim, keepdim=True)
            xvar = x.var(dim, keepdim=True, correction=self.correction)
        else:
            xmean, xvar = self.running_mean, self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            self.update_running(x, dim, xmean, xvar)
        return self.out

    @torch.no_grad()
    def update_running(self, x, dim, xmean, xvar):
        """Move the running estimates towards this batch's statistics by ``momentum``."""
        m = self.momentum
        # The running estimate is always the unbiased variance, as in torch.nn.
        if self.correction != 1:
            xvar = x.var(dim, keepdim=True, correction=1)
        self.running_mean = (1 - m) * self.running_mean + m * xmean
        self.running_var = (1 - m) * self.running_var + m * xvar

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh(Module):
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out


class Embedding(Module):
    """A lookup table of ``num_embeddings`` rows drawn from N(0, 1) (chapter 6)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, generator=None):
        self.weight = torch.randn((num_embeddings, embedding_dim), generator=generator)

    def __call__(self, ix):
        self.out = self.weight[ix]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive(Module):
    """Concatenate ``n`` consecutive time steps: (B, T, C) -> (B, T/n, C*n) (chapter 6).

    A time dimension of 1 is squeezed away, giving (B, C*n), as in the lecture.
    """

    def __init__(self, n: int):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        if T % self.n:
            raise ValueError(f"FlattenConsecutive({self.n}) needs a time dimension divisible "
                             f"by {self.n}, got shape {tuple(x.shape)}")
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out


class Flatten(Module):
    """(B, T, C) -> (B, T*C): the flat MLP's concatenation of the context."""

    def __call__(self, x):
        self.out = x.view(x.shape[0], -1)
        return self.out


class Sequential(Module):
    """Apply ``layers`` in order (chapter 6)."""

    def __init__(self, layers):
        self.layers = list(layers)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def children(self):
        return self.layers

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
