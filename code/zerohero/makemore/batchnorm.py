"""Activations, gradients and Batch Normalization: makemore part 3 (chapter 4).

Two networks, both exactly as the lecture builds them so that its numbers reproduce:

- ``RevisitedMLP``: chapter 3's MLP (embedding, one tanh hidden layer, output layer) with the
  five initialisations of the lecture's "loss log" (``INIT_SCHEMES``), the last one with a
  BatchNorm layer written out by hand (gain, bias, running mean and std).
- ``DeepMLP``: the "PyTorchified" network built from ``zerohero.makemore.layers``: an embedding
  and 5 x (Linear -> BatchNorm1d -> Tanh) + Linear -> BatchNorm1d, 47,024 parameters.

Every random draw comes from one ``torch.Generator`` seeded with the lecture's 2147483647, in
the lecture's order (weights first, then one ``randint`` per minibatch). An extra or missing
draw changes every number after it: that is why ``RevisitedMLP`` does not even draw ``b1`` for
the BatchNorm variant, as in the lecture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from zerohero.makemore import fast_train
from zerohero.makemore.diagnostics import update_to_data
from zerohero.makemore.fused_batchnorm import FusedLectureBatchNorm
from zerohero.makemore.layers import BatchNorm1d, Linear, Module, Tanh
from zerohero.makemore.words import Splits, load_names, make_splits

SEED = 2147483647  # the lecture's torch.Generator seed


# --------------------------------------------------------------------------------------------
# The MLP of chapter 3, five ways to initialise it


@dataclass(frozen=True)
class InitScheme:
    """Factors applied to the freshly drawn N(0, 1) tensors of ``RevisitedMLP`` (chapter 4).

    ``W1="kaiming"`` means the tanh gain over the square root of fan-in, (5/3)/sqrt(fan_in).
    ``b1=None`` means no hidden bias at all, not even drawn: BatchNorm subtracts it again.
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
    "batchnorm": InitScheme(W1="kaiming", b1=None, W2=0.01, b2=0.0, batchnorm=True),
}

TANH_GAIN = 5 / 3  # std of tanh(x) for x ~ N(0, 1) is about 3/5; this undoes the squashing


def _scheme(variant: str) -> InitScheme:
    if variant not in INIT_SCHEMES:
        raise ValueError(f"unknown initialisation {variant!r}; "
                         f"choose one of {', '.join(INIT_SCHEMES)}")
    return INIT_SCHEMES[variant]


class RevisitedMLP(Module):
    """Chapter 3's MLP with the lecture's init fixes and hand-written BatchNorm (chapter 4).

    ``variant`` names a row of ``INIT_SCHEMES``. With BatchNorm, the hidden pre-activation is
    normalised with the batch mean and standard deviation while training (``std``, unbiased, as
    the lecture writes it) and running estimates are kept with momentum 0.001 for inference.
    """

    def __init__(self, variant: str = "batchnorm", vocab_size: int = 27, block_size: int = 3,
                 n_embd: int = 10, n_hidden: int = 200, generator: torch.Generator | None = None):
        scheme = _scheme(variant)
        self.variant, self.block_size = variant, block_size
        fan_in = n_embd * block_size
        g = generator
        # The draw order is the lecture's: C, W1, (b1), W2, b2.
        self.C = torch.randn((vocab_size, n_embd), generator=g)
        W1 = torch.randn((fan_in, n_hidden), generator=g)
        self.W1 = W1 * TANH_GAIN / fan_in**0.5 if scheme.W1 == "kaiming" else W1 * scheme.W1
        self.b1 = None if scheme.b1 is None else torch.randn(n_hidden, generator=g) * scheme.b1
        self.W2 = torch.randn((n_hidden, vocab_size), generator=g) * scheme.W2
        self.b2 = torch.randn(vocab_size, generator=g) * scheme.b2
        self.batchnorm = scheme.batchnorm
        if self.batchnorm:
            self.bngain = torch.ones((1, n_hidden))
            self.bnbias = torch.zeros((1, n_hidden))
            self.bnmean_running = torch.zeros((1, n_hidden))
            self.bnstd_running = torch.ones((1, n_hidden))

    @classmethod
    def from_state(cls, variant: str, state: dict[str, torch.Tensor]) -> "RevisitedMLP":
        """Rebuild a trained model from the ``state`` a ``loss_log_run`` returns."""
        C, W1 = state["C"], state["W1"]
        model = cls(variant, C.shape[0], W1.shape[0] // C.shape[1], C.shape[1], W1.shape[1],
                    generator=torch.Generator())  # throwaway draws, overwritten below
        for name, value in state.items():
            setattr(model, name, value.clone())
        return model

    def parameters(self) -> list[torch.Tensor]:
        params = [self.C, self.W1] + ([] if self.b1 is None else [self.b1]) + [self.W2, self.b2]
        return params + ([self.bngain, self.bnbias] if self.batchnorm else [])

    def preactivation(self, X: torch.Tensor) -> torch.Tensor:
        """The hidden layer before BatchNorm and tanh, (B, n_hidden)."""
        if X.ndim != 2 or X.shape[1] != self.block_size:
            raise ValueError(f"expected contexts of shape (batch, {self.block_size}), "
                             f"got {tuple(X.shape)}")
        emb = self.C[X]  # (B, block_size, n_embd)
        embcat = emb.view(emb.shape[0], -1)  # concatenate the context's vectors
        hpreact = embcat @ self.W1
        return hpreact if self.b1 is None else hpreact + self.b1

    def hidden(self, X: torch.Tensor) -> torch.Tensor:
        """The hidden activations tanh(...), (B, n_hidden)."""
        hpreact = self.preactivation(X)
        if self.batchnorm:
            if self.training:
                bnmeani = hpreact.mean(0, keepdim=True)
                bnstdi = hpreact.std(0, keepdim=True)
                with torch.no_grad():
                    self.bnmean_running = 0.999 * self.bnmean_running + 0.001 * bnmeani
                    self.bnstd_running = 0.999 * self.bnstd_running + 0.001 * bnstdi
            else:
                bnmeani, bnstdi = self.bnmean_running, self.bnstd_running
            hpreact = self.bngain * (hpreact - bnmeani) / bnstdi + self.bnbias
        return torch.tanh(hpreact)

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return self.hidden(X) @ self.W2 + self.b2

    def fast_steps(self) -> list[fast_train.Step]:
        """This network as the layers of ``fast_train``: the same operations, in order."""
        # the lecture's BatchNorm step, in C where that is verified to give the same bits
        norm = [FusedLectureBatchNorm(self)] if self.batchnorm else []
        return [fast_train.Embedding(self.C), fast_train.Reshape(),
                fast_train.Linear(self.W1, self.b1), *norm, fast_train.Tanh(),
                fast_train.Linear(self.W2, self.b2)]


# --------------------------------------------------------------------------------------------
# The deep network, "PyTorchified" with the layers of zerohero.makemore.layers


class DeepMLP(Module):
    """Embedding + 5 x (Linear -> BatchNorm1d -> Tanh) + Linear -> BatchNorm1d (chapter 4).

    Without ``batchnorm`` it is the lecture's plain deep tanh network (Linear layers with bias).
    ``gain`` multiplies every Linear weight but the last layer's (the lecture's 5/3 for tanh,
    1.0 once BatchNorm is there); ``last_scale`` makes the output less confident at init: it
    scales the last BatchNorm's gamma, or the last Linear's weight when there is no BatchNorm.
    """

    def __init__(self, vocab_size: int = 27, block_size: int = 3, n_embd: int = 10,
                 n_hidden: int = 100, n_layers: int = 6, batchnorm: bool = True,
                 gain: float = 1.0, last_scale: float = 0.1,
                 generator: torch.Generator | None = None):
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1, got {n_layers}")
        self.block_size = block_size
        self.C = torch.randn((vocab_size, n_embd), generator=generator)
        sizes = [n_embd * block_size] + [n_hidden] * (n_layers - 1) + [vocab_size]
        self.layers: list[Module] = []
        for k, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
            # A bias before BatchNorm is useless: BatchNorm subtracts the mean right away.
            self.layers.append(Linear(fan_in, fan_out, bias=not batchnorm, generator=generator))
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
            for layer in self.layers[:-1]:  # as the lecture: with BatchNorm, the last Linear too
                if isinstance(layer, Linear):
                    layer.weight *= gain

    def children(self) -> list[Module]:
        return self.layers

    def parameters(self) -> list[torch.Tensor]:
        return [self.C] + [p for layer in self.layers for p in layer.parameters()]

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        if X.ndim != 2 or X.shape[1] != self.block_size:
            raise ValueError(f"expected contexts of shape (batch, {self.block_size}), "
                             f"got {tuple(X.shape)}")
        emb = self.C[X]
        x = emb.view(emb.shape[0], -1)
        for layer in self.layers:
            x = layer(x)
        return x

    def release(self) -> "DeepMLP":
        """Drop the layer outputs and gradients kept from the last forward and backward pass."""
        for layer in self.layers:
            layer.__dict__.pop("out", None)
        for p in self.parameters():
            p.grad = None
            p.requires_grad_(False)
        return self

    def retain_grads(self) -> None:
        """Keep the gradient of every layer's output at the next backward (for the figures)."""
        for layer in self.layers:
            layer.out.retain_grad()


# --------------------------------------------------------------------------------------------
# Training and evaluation


def step_decay(steps_at_first_rate: int = 100_000, lr: float = 0.1,
               lr_after: float = 0.01) -> Callable[[int], float]:
    """The lecture's schedule: ``lr`` for the first steps, then ``lr_after`` (chapter 3)."""
    return lambda i: lr if i < steps_at_first_rate else lr_after


PREFETCH_STEPS = 1000  # minibatch indices drawn per randint call in ``train``


@dataclass
class History:
    """What a training run records: the loss of every step and, optionally, the log10
    update:data ratio of every parameter at every step (chapter 4)."""

    losses: torch.Tensor  # (steps,)
    update_ratios: torch.Tensor | None = None  # (steps, n_params)


def train(model: Module, X: torch.Tensor, Y: torch.Tensor, *, steps: int,
          generator: torch.Generator, batch_size: int = 32,
          lr: Callable[[int], float] = step_decay(), track_updates: bool = False,
          retain_last: bool = False) -> History:
    """Minibatch SGD as in the lecture (chapter 4): ``randint`` minibatches from ``generator``.

    Every step's loss is kept as a tensor (the lecture's ``lossi.append(loss.log10().item())``
    without converting to a Python float at every step). ``track_updates`` records the
    lecture's ``ud``: log10(std(lr * grad) / std(data)) after each update. ``retain_last``
    keeps the gradients of the layer outputs at the last step (``DeepMLP`` only), for the
    diagnostic figures.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    params = model.parameters()
    for p in params:
        p.requires_grad_(True)
    losses = []
    ratios = torch.empty(steps, len(params)) if track_updates else None
    model.train()
    i = 0
    while i < steps:
        # Draw a block of minibatches at once: the generator fills them in order, so these are
        # the very numbers of one randint per step, with less work per step.
        block = min(PREFETCH_STEPS, steps - i)
        ix = torch.randint(0, X.shape[0], (block, batch_size), generator=generator)
        for Xb, Yb in zip(X[ix], Y[ix]):
            loss = F.cross_entropy(model(Xb), Yb)
            if retain_last and i == steps - 1:
                model.retain_grads()
            for p in params:
                p.grad = None
            loss.backward()
            rate = lr(i)
            with torch.no_grad():
                # p += -rate * p.grad for every parameter, in two calls (as torch.optim does)
                torch._foreach_add_(params, torch._foreach_mul([p.grad for p in params], -rate))
                if ratios is not None:
                    ratios[i] = update_to_data(params, rate)
            losses.append(loss.detach())
            i += 1
    losses = torch.stack(losses)
    return History(losses, ratios)


@torch.no_grad()
def split_loss(model: Module, X: torch.Tensor, Y: torch.Tensor) -> float:
    """Cross-entropy of a whole split in one forward pass, in inference mode (chapter 4).

    One ``F.cross_entropy`` over all examples, as the lecture's ``split_loss``: a chunked mean
    would round differently in the last digits.
    """
    model.eval()
    loss = F.cross_entropy(model(X), Y).item()
    model.train()
    return loss


# --------------------------------------------------------------------------------------------
# Experiments: the loss log and the deep network


def _splits(block_size: int) -> Splits:
    return make_splits(load_names(), block_size)


def _state(model: Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in vars(model).items() if isinstance(v, torch.Tensor)}


def loss_log_run(variant: str = "batchnorm", steps: int = 200_000, batch_size: int = 32,
                 n_embd: int = 10, n_hidden: int = 200, block_size: int = 3,
                 seed: int = SEED) -> dict:
    """One row of the lecture's loss log: train ``RevisitedMLP(variant)`` (chapter 4)."""
    splits = _splits(block_size)
    g = torch.Generator().manual_seed(seed)
    model = RevisitedMLP(variant, len(splits.vocab), block_size, n_embd, n_hidden, generator=g)
    # ``train``'s loop, bit for bit, without autograd's graph (faster)
    losses = fast_train.train(model, *splits.train, max_steps=steps, generator=g,
                              batch_size=batch_size, lr=step_decay(steps // 2))
    return {
        "variant": variant,
        "n_params": sum(p.nelement() for p in model.parameters()),
        "train": split_loss(model, *splits.train),
        "val": split_loss(model, *splits.val),
        "losses": losses,
        "state": _state(model),
    }


def deep_run(steps: int = 1001, batch_size: int = 32, n_embd: int = 10, n_hidden: int = 100,
             block_size: int = 3, gain: float = 1.0, last_scale: float = 0.1,
             batchnorm: bool = True, seed: int = SEED) -> dict:
    """The PyTorchified deep network, trained as the lecture did for its figures (chapter 4).

    The lecture's loop stops with ``if i >= 1000: break`` after the update of step 1000: 1001
    steps. Returned with the last step's layer outputs and gradients for the four figures.
    """
    splits = _splits(block_size)
    g = torch.Generator().manual_seed(seed)
    model = DeepMLP(len(splits.vocab), block_size, n_embd, n_hidden, batchnorm=batchnorm,
                    gain=gain, last_scale=last_scale, generator=g)
    history = train(model, *splits.train, steps=steps, generator=g, batch_size=batch_size,
                    lr=step_decay(150_000), track_updates=True, retain_last=True)
    snapshot = layer_snapshot(model)  # before split_loss overwrites every layer's output
    params = model.parameters()
    train_loss, val_loss = split_loss(model, *splits.train), split_loss(model, *splits.val)
    model.release()
    return {
        "n_params": sum(p.nelement() for p in params),
        "train": train_loss,
        "val": val_loss,
        "losses": history.losses,
        "update_ratios": history.update_ratios,
        "param_shapes": [tuple(p.shape) for p in params],
        **snapshot,
        "model": model,
    }


def layer_snapshot(model: DeepMLP) -> dict:
    """Tanh outputs and their gradients, and the 2-D weights and their gradients (chapter 4)."""
    tanh = [(i, layer) for i, layer in enumerate(model.layers[:-1]) if isinstance(layer, Tanh)]
    params = model.parameters()
    return {
        "tanh_index": [i for i, _ in tanh],
        "tanh_out": [layer.out.detach().clone() for _, layer in tanh],
        "tanh_grad": [None if layer.out.grad is None else layer.out.grad.clone()
                      for _, layer in tanh],
        "weight_index": [k for k, p in enumerate(params) if p.ndim == 2],
        "weights": [p.detach().clone() for p in params if p.ndim == 2],
        "weight_grads": [None if p.grad is None else p.grad.clone() for p in params if p.ndim == 2],
    }


def init_batch(variant: str, X: torch.Tensor, Y: torch.Tensor, batch_size: int = 32,
               seed: int = SEED) -> tuple[RevisitedMLP, torch.Tensor, torch.Tensor]:
    """A freshly initialised ``RevisitedMLP`` and the first minibatch its training would see."""
    g = torch.Generator().manual_seed(seed)
    model = RevisitedMLP(variant, generator=g)
    ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)
    return model, X[ix], Y[ix]


def first_step(model: Module, X: torch.Tensor, Y: torch.Tensor,
               generator: torch.Generator, batch_size: int = 32) -> float:
    """Forward and backward the first minibatch, without an update; the loss at init (chapter 4).

    The lecture's "break after the first step", used to look at activations and gradients
    at initialisation.
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


# --------------------------------------------------------------------------------------------
# Exercises


def zero_init_run(steps: int = 20_000, batch_size: int = 32, n_embd: int = 10,
                  n_hidden: int = 200, block_size: int = 3, seed: int = SEED) -> dict:
    """Exercise: every weight and bias of the MLP set to zero, then trained (chapter 4)."""
    splits = _splits(block_size)
    g = torch.Generator().manual_seed(seed)
    model = RevisitedMLP("kaiming", len(splits.vocab), block_size, n_embd, n_hidden, generator=g)
    before = {}
    with torch.no_grad():
        for name in ("C", "W1", "b1", "W2", "b2"):
            getattr(model, name).zero_()
            before[name] = getattr(model, name).clone()
    losses = fast_train.train(model, *splits.train, max_steps=steps, generator=g,
                              batch_size=batch_size, lr=step_decay(steps))
    with torch.no_grad():
        changed = {k: float((getattr(model, k) - v).abs().max()) for k, v in before.items()}
    return {
        "train": split_loss(model, *splits.train),
        "val": split_loss(model, *splits.val),
        "losses": losses,
        "changed": changed,
        "state": _state(model),
    }


def fold_batchnorm(linear: Linear, bn: BatchNorm1d) -> Linear:
    """A Linear layer equal to ``bn(linear(x))`` in inference mode (chapter 4, exercise).

    In eval mode BatchNorm is an affine map per channel, ``gamma * (y - mean) / sqrt(var + eps)
    + beta``, so it folds into the weights and bias of the Linear layer before it.
    """
    if bn.training:
        raise ValueError("fold_batchnorm needs the BatchNorm in eval mode (bn.eval()): "
                         "in training mode it uses the batch statistics, not an affine map")
    if linear.weight.shape[1] != bn.gamma.shape[0]:
        raise ValueError(f"the Linear layer has {linear.weight.shape[1]} outputs but the "
                         f"BatchNorm normalises {bn.gamma.shape[0]} channels")
    with torch.no_grad():
        scale = bn.gamma / torch.sqrt(bn.running_var + bn.eps)
        bias = linear.bias if linear.bias is not None else torch.zeros_like(bn.beta)
        folded = Linear(*linear.weight.shape, bias=True)
        folded.weight = (linear.weight * scale).reshape(linear.weight.shape)
        folded.bias = ((bias - bn.running_mean) * scale + bn.beta).reshape(bn.beta.shape)
    return folded


def loss_log_rows(results: dict[str, dict]) -> list[tuple]:
    """(variant, lecture train, lecture val, our train, our val) in the loss log's order."""
    return [(v, *LECTURE_LOSS_LOG[v], results[v]["train"], results[v]["val"])
            for v in INIT_SCHEMES if v in results]


# The lecture's printed numbers (makemore_part3_bn.ipynb, "loss log" and final cells).
LECTURE_LOSS_LOG = {
    "original": (2.1245384216308594, 2.168196439743042),
    "fix_softmax": (2.07, 2.13),  # the lecture wrote these two digits only
    "fix_tanh": (2.0355966091156006, 2.1026785373687744),
    "kaiming": (2.0376641750335693, 2.106989622116089),
    # The loss log's own row (2.0668, 2.1048) came from an earlier cell; the notebook's final
    # code (no b1, running statistics) printed these:
    "batchnorm": (2.0674145221710205, 2.1056840419769287),
}
LECTURE_STEP0_LOSS = 27.8817  # printed by the video for the original initialisation
LECTURE_DEEP = (2.4002976417541504, 2.3982467651367188)  # the 1,000-step deep network
