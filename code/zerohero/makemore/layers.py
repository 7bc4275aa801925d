"""Layers written from scratch with a torch.nn-like interface.

As in the lectures ("PyTorchifying the code"): plain classes holding
tensors, ``__call__`` for the forward pass, ``parameters()`` for the update
and a ``training`` flag. Chapter 4 introduces them, chapter 6 adds the rest.
Defaults follow the lectures so that their numbers reproduce; where the
lectures differ from ``torch.nn`` the docstring says so.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


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
    """``x @ W + b`` with W drawn from N(0, 1/fan_in).

    The weight is (fan_in, fan_out), as in the lecture: the transpose of
    torch.nn.Linear's. ``generator=None`` draws from the global generator
    (part 5 seeds it with ``torch.manual_seed(42)``).
    """

    def __init__(self, fan_in, fan_out, bias=True, generator=None):
        self.weight = torch.randn((fan_in, fan_out),
                                  generator=generator) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out = self.out + self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d(Module):
    """Batch normalisation (Ioffe & Szegedy 2015) as chapter 4 builds it.

    Training normalises with the batch's statistics and moves running
    estimates towards them by ``momentum``; evaluation uses the running
    estimates. The statistics are taken over dim 0, the batch: right for
    the (batch, features) input of chapter 4.

    ``correction=1`` is the lecture's ``x.var(0, keepdim=True)``, torch's
    unbiased variance. ``torch.nn.BatchNorm1d`` normalises with the biased
    one (``correction=0``) and keeps the unbiased one as its running
    estimate; ``correction=0`` matches it.
    """

    def __init__(self, dim, eps=1e-5, momentum=0.1, correction=1):
        self.eps, self.momentum = eps, momentum
        self.correction = correction
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def batch_dims(self, x):
        """The dims the statistics are taken over: the batch."""
        return 0

    def __call__(self, x):
        if self.training:
            dim = self.batch_dims(x)
            xmean = x.mean(dim, keepdim=True)
            xvar = x.var(dim, keepdim=True, correction=self.correction)
        else:
            xmean, xvar = self.running_mean, self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                if self.correction != 1:  # the running estimate is unbiased
                    xvar = x.var(dim, keepdim=True, correction=1)
                m = self.momentum
                self.running_mean = (1 - m) * self.running_mean + m * xmean
                self.running_var = (1 - m) * self.running_var + m * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh(Module):
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out


class Embedding(Module):
    """A lookup table of ``num_embeddings`` rows drawn from N(0, 1)."""

    def __init__(self, num_embeddings, embedding_dim, generator=None):
        self.weight = torch.randn((num_embeddings, embedding_dim),
                                  generator=generator)

    def __call__(self, ix):
        self.out = self.weight[ix]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive(Module):
    """Concatenate ``n`` consecutive steps: (B, T, C) -> (B, T/n, C*n).

    A time dimension of 1 is squeezed away, giving (B, C*n), as in the
    lecture.
    """

    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        assert T % self.n == 0, (T, self.n)
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
    """Apply ``layers`` in order."""

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


@torch.no_grad()
def split_loss(model, X, Y) -> float:
    """The cross-entropy of a whole split, in one pass, in eval mode.

    Eval mode makes BatchNorm use its running statistics; the model stays
    in it, as the lecture leaves it for sampling. One ``F.cross_entropy``
    over all the examples, as the lecture's ``split_loss``: a mean over
    chunks would round differently.
    """
    model.eval()
    return F.cross_entropy(model(X), Y).item()
