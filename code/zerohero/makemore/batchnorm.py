"""Activations, gradients and Batch Normalization: makemore part 3.

Two networks, built as the lecture builds them so that its numbers
reproduce:

- ``RevisitedMLP``: chapter 3's MLP (embedding, one tanh hidden layer,
  output layer) with the initialisations of the lecture's "loss log"
  (``INIT_SCHEMES``), the last one with BatchNorm written out by hand.
- ``DeepMLP``: the "PyTorchified" network built from
  ``zerohero.makemore.layers``: an embedding, then
  5 x (Linear -> BatchNorm1d -> Tanh) + Linear -> BatchNorm1d.

Every random draw comes from one ``torch.Generator`` seeded with the
lecture's 2147483647, in the lecture's order: the weights first, then one
``randint`` per minibatch. An extra or missing draw changes every number
after it, which is why the BatchNorm variant does not even draw ``b1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from zerohero.makemore.diagnostics import update_to_data
from zerohero.makemore.layers import BatchNorm1d, Linear, Module, Tanh
from zerohero.makemore.mlp import step_decay

SEED = 2147483647  # the lecture's torch.Generator seed


# ---------------------------------------------------------------------------
# The MLP of chapter 3, five ways to initialise it


@dataclass(frozen=True)
class InitScheme:
    """Factors applied to the N(0, 1) draws of ``RevisitedMLP``.

    ``W1="kaiming"`` is the tanh gain over the square root of the fan-in.
    ``b1=None`` means no hidden bias at all, not even drawn: BatchNorm
    would subtract it again.
    """

    W1: float | str
    b1: float | None
    W2: float
    b2: float
    batchnorm: bool = False


# The rows of the lecture's "loss log", in its order.
INIT_SCHEMES: dict[str, InitScheme] = {
    "original": InitScheme(W1=1.0, b1=1.0, W2=1.0, b2=1.0),
    "fix_softmax": InitScheme(W1=1.0, b1=1.0, W2=0.01, b2=0.0),
    "fix_tanh": InitScheme(W1=0.2, b1=0.01, W2=0.01, b2=0.0),
    "kaiming": InitScheme(W1="kaiming", b1=0.01, W2=0.01, b2=0.0),
    "batchnorm": InitScheme(W1="kaiming", b1=None, W2=0.01, b2=0.0,
                            batchnorm=True),
}

# tanh(x) of x ~ N(0, 1) has a std of about 3/5; the gain undoes that.
TANH_GAIN = 5 / 3


class RevisitedMLP(Module):
    """Chapter 3's MLP with the lecture's init fixes and its BatchNorm.

    ``variant`` names a row of ``INIT_SCHEMES``. With BatchNorm, the hidden
    pre-activation is normalised with the batch mean and (unbiased)
    standard deviation while training, as the lecture writes it; running
    estimates with momentum 0.001 serve at inference.
    """

    def __init__(self, variant="batchnorm", vocab_size=27, block_size=3,
                 n_embd=10, n_hidden=200, generator=None):
        scheme = INIT_SCHEMES[variant]
        self.variant, self.block_size = variant, block_size
        fan_in = n_embd * block_size
        g = generator
        # The lecture's draw order: C, W1, (b1), W2, b2.
        self.C = torch.randn((vocab_size, n_embd), generator=g)
        W1 = torch.randn((fan_in, n_hidden), generator=g)
        if scheme.W1 == "kaiming":
            self.W1 = W1 * TANH_GAIN / fan_in**0.5
        else:
            self.W1 = W1 * scheme.W1
        self.b1 = None
        if scheme.b1 is not None:
            self.b1 = torch.randn(n_hidden, generator=g) * scheme.b1
        self.W2 = torch.randn((n_hidden, vocab_size), generator=g) * scheme.W2
        self.b2 = torch.randn(vocab_size, generator=g) * scheme.b2
        self.batchnorm = scheme.batchnorm
        if self.batchnorm:
            self.bngain = torch.ones((1, n_hidden))
            self.bnbias = torch.zeros((1, n_hidden))
            self.bnmean_running = torch.zeros((1, n_hidden))
            self.bnstd_running = torch.ones((1, n_hidden))

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in vars(self).items()
                if isinstance(v, torch.Tensor)}

    @classmethod
    def from_state(cls, variant, state) -> "RevisitedMLP":
        """Rebuild a trained model from its ``state_dict()``."""
        C, W1 = state["C"], state["W1"]
        # throwaway draws, overwritten below
        model = cls(variant, C.shape[0], W1.shape[0] // C.shape[1],
                    C.shape[1], W1.shape[1], torch.Generator())
        for name, value in state.items():
            setattr(model, name, value.clone())
        return model

    def parameters(self) -> list[torch.Tensor]:
        params = [self.C, self.W1] + ([self.b1] if self.b1 is not None else [])
        params += [self.W2, self.b2]
        return params + ([self.bngain, self.bnbias] if self.batchnorm else [])

    def preactivation(self, X):
        """The hidden layer before BatchNorm and tanh, (B, n_hidden)."""
        emb = self.C[X]  # (B, block_size, n_embd)
        embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
        hpreact = embcat @ self.W1
        return hpreact if self.b1 is None else hpreact + self.b1

    def hidden(self, X):
        """The hidden activations tanh(...), (B, n_hidden)."""
        hpreact = self.preactivation(X)
        if self.batchnorm:
            if self.training:
                bnmeani = hpreact.mean(0, keepdim=True)
                bnstdi = hpreact.std(0, keepdim=True)
                with torch.no_grad():
                    self.bnmean_running = (0.999 * self.bnmean_running
                                           + 0.001 * bnmeani)
                    self.bnstd_running = (0.999 * self.bnstd_running
                                          + 0.001 * bnstdi)
            else:
                bnmeani, bnstdi = self.bnmean_running, self.bnstd_running
            hpreact = (self.bngain * (hpreact - bnmeani) / bnstdi
                       + self.bnbias)
        return torch.tanh(hpreact)

    def __call__(self, X):
        return self.hidden(X) @ self.W2 + self.b2


# ---------------------------------------------------------------------------
# The deep network, "PyTorchified" with the layers of makemore.layers


class DeepMLP(Module):
    """Embedding + 5 x (Linear -> BatchNorm1d -> Tanh) + Linear -> BatchNorm1d.

    Without ``batchnorm`` it is the lecture's plain deep tanh network
    (Linear layers with bias). ``gain`` multiplies the Linear weights (5/3
    for tanh; the lecture keeps 1 with BatchNorm); ``last_scale`` makes the
    first predictions unconfident. With BatchNorm it scales the last
    BatchNorm's gamma and the gain reaches every Linear layer; without, it
    scales the last Linear's weight instead of the gain.
    """

    def __init__(self, vocab_size=27, block_size=3, n_embd=10, n_hidden=100,
                 n_layers=6, batchnorm=True, gain=1.0, last_scale=0.1,
                 generator=None):
        self.block_size = block_size
        self.C = torch.randn((vocab_size, n_embd), generator=generator)
        sizes = ([n_embd * block_size] + [n_hidden] * (n_layers - 1)
                 + [vocab_size])
        self.layers: list[Module] = []
        for k, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
            # A bias before BatchNorm is useless: BatchNorm subtracts the
            # mean right away.
            self.layers.append(Linear(fan_in, fan_out, bias=not batchnorm,
                                      generator=generator))
            if batchnorm:
                self.layers.append(BatchNorm1d(fan_out))
            if k < n_layers - 1:
                self.layers.append(Tanh())
        with torch.no_grad():
            last = self.layers[-1]
            if batchnorm:
                last.gamma *= last_scale
            else:
                last.weight *= last_scale
            # as the lecture: with BatchNorm, the last Linear too
            for layer in self.layers[:-1]:
                if isinstance(layer, Linear):
                    layer.weight *= gain

    def children(self) -> list[Module]:
        return self.layers

    def parameters(self) -> list[torch.Tensor]:
        params = [p for layer in self.layers for p in layer.parameters()]
        return [self.C] + params

    def __call__(self, X):
        emb = self.C[X]
        x = emb.view(emb.shape[0], -1)
        for layer in self.layers:
            x = layer(x)
        return x

    def retain_grads(self) -> None:
        """Keep the gradient of every layer's output at the next backward."""
        for layer in self.layers:
            layer.out.retain_grad()


# ---------------------------------------------------------------------------
# Training and evaluation


@dataclass
class History:
    """The loss of every step and, if tracked, the log10 update:data ratio
    of every parameter at every step."""

    losses: torch.Tensor  # (steps,)
    update_ratios: torch.Tensor | None = None  # (steps, n_params)


def train(model, X, Y, *, steps, generator, batch_size=32, lr=step_decay(),
          track_updates=False, retain_grads=False):
    """Minibatch SGD, the lecture's loop.

    ``track_updates`` records the lecture's ``ud``: log10(std(lr * grad) /
    std(data)) of each parameter after each update. ``retain_grads`` keeps
    the gradients of the layers' outputs (``DeepMLP``) for the figures.
    """
    parameters = model.parameters()
    for p in parameters:
        p.requires_grad = True
    lossi, ud = [], []
    model.train()
    for i in range(steps):
        # minibatch construct
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=generator)
        Xb, Yb = X[ix], Y[ix]
        # forward pass
        logits = model(Xb)
        loss = F.cross_entropy(logits, Yb)
        if retain_grads:
            model.retain_grads()
        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()
        # update
        rate = lr(i)
        for p in parameters:
            p.data += -rate * p.grad
        # track stats
        lossi.append(loss.item())
        if track_updates:
            ud.append(update_to_data(parameters, rate))
    return History(torch.tensor(lossi),
                   torch.stack(ud) if track_updates else None)


def init_batch(variant, X, Y, batch_size=32, seed=SEED):
    """A fresh ``RevisitedMLP`` and the first minibatch it would train on."""
    g = torch.Generator().manual_seed(seed)
    model = RevisitedMLP(variant, generator=g)
    ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)
    return model, X[ix], Y[ix]


def first_step(model, X, Y, generator, batch_size=32) -> float:
    """Forward and backward the first minibatch, without an update.

    The lecture's "break after the first step", to look at the activations
    and gradients at initialisation. Returns the loss.
    """
    params = model.parameters()
    for p in params:
        p.requires_grad_(True)
        p.grad = None
    model.train()
    ix = torch.randint(0, X.shape[0], (batch_size,), generator=generator)
    loss = F.cross_entropy(model(X[ix]), Y[ix])
    if hasattr(model, "retain_grads"):
        model.retain_grads()
    loss.backward()
    return loss.item()


# ---------------------------------------------------------------------------
# Exercise: BatchNorm folded into the Linear layer before it


def fold_batchnorm(linear: Linear, bn: BatchNorm1d) -> Linear:
    """A Linear layer equal to ``bn(linear(x))`` in inference mode.

    In eval mode BatchNorm is an affine map per channel,
    ``gamma * (y - mean) / sqrt(var + eps) + beta``, so it folds into the
    weights and bias of the Linear layer before it.
    """
    assert not bn.training, "fold a BatchNorm in eval mode"
    assert linear.weight.shape[1] == bn.gamma.shape[0]
    with torch.no_grad():
        scale = bn.gamma / torch.sqrt(bn.running_var + bn.eps)
        bias = linear.bias
        if bias is None:
            bias = torch.zeros_like(bn.beta)
        folded = Linear(*linear.weight.shape, bias=True)
        folded.weight = (linear.weight * scale).reshape(linear.weight.shape)
        folded.bias = ((bias - bn.running_mean) * scale
                       + bn.beta).reshape(bn.beta.shape)
    return folded
