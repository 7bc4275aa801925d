"""makemore part 5: from a flat MLP to a WaveNet-like tree (chapter 6).

The models are stacks of the layers of ``zerohero.makemore.layers``:

- the *flat* MLP of chapters 3-4: embed the whole context, concatenate
  it, one hidden layer;
- the *hierarchical* model: fuse two neighbouring characters, then two
  neighbouring pairs, then two neighbouring quadruples (van den Oord et
  al. 2016), so that the context enters the network gradually.

``train`` is the lecture's training loop. ``dilated_logits`` runs a
trained tree as the dilated causal convolution it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from zerohero.makemore import layers
from zerohero.makemore.layers import (Embedding, Flatten,
                                      FlattenConsecutive, Linear, Module,
                                      Sequential, Tanh)


class BatchNorm1d(layers.BatchNorm1d):
    """Chapter 4's BatchNorm with the lecture's fix for 3-D input.

    On (batch, time, channels) the statistics must be taken over the
    batch AND the time positions: each channel is one feature, whichever
    position it sits at. Chapter 4's class reduces dim 0 only, so that it
    keeps separate statistics for every (position, channel) pair.
    """

    def batch_dims(self, x):
        assert x.ndim in (2, 3), f"2-D or 3-D input, not {x.ndim}-D"
        return 0 if x.ndim == 2 else (0, 1)


def batchnorm(cfg: "WaveNetConfig", dim: int) -> layers.BatchNorm1d:
    """The fixed BatchNorm, or chapter 4's when ``cfg`` keeps the bug."""
    return BatchNorm1d(dim) if cfg.bn_reduce_time else layers.BatchNorm1d(dim)


@dataclass
class WaveNetConfig:
    """The chapter's models; the defaults are the lecture's final one
    (76,579 parameters)."""

    vocab_size: int = 27
    block_size: int = 8   # characters of context
    n_embd: int = 24      # dimensions of a character's embedding
    n_hidden: int = 128   # neurons of each hidden layer
    hierarchical: bool = True  # False: the flat MLP of chapters 3-4
    fan: int = 2          # neighbours fused at each level of the tree
    # False keeps the lecture's bug: chapter 4's BatchNorm, statistics
    # over dim 0 only
    bn_reduce_time: bool = True

    def __post_init__(self):
        if self.hierarchical:
            assert self.fan ** self.levels == self.block_size, \
                f"block_size must be a power of {self.fan}"

    @property
    def levels(self) -> int:
        """Levels of the tree: log_fan(block_size)."""
        if not self.hierarchical:
            return 1
        return max(1, round(math.log(self.block_size, self.fan)))


def flat_mlp(cfg: WaveNetConfig, generator=None) -> Sequential:
    """Chapter 4's network as layers: embed, concatenate the whole
    context, one hidden layer."""
    return Sequential([
        Embedding(cfg.vocab_size, cfg.n_embd, generator=generator),
        Flatten(),
        Linear(cfg.n_embd * cfg.block_size, cfg.n_hidden, bias=False,
               generator=generator),
        batchnorm(cfg, cfg.n_hidden), Tanh(),
        Linear(cfg.n_hidden, cfg.vocab_size, generator=generator),
    ])


def hierarchical_mlp(cfg: WaveNetConfig, generator=None) -> Sequential:
    """The WaveNet-like tree: each level fuses ``fan`` neighbours.

    (B, 8) -> (B, 8, n_embd) -> (B, 4, 2 n_embd) -> (B, 4, n_hidden)
    -> (B, 2, 2 n_hidden) -> ... -> (B, n_hidden) -> (B, vocab_size).
    """
    layers = [Embedding(cfg.vocab_size, cfg.n_embd, generator=generator)]
    width = cfg.n_embd
    for _ in range(cfg.levels):
        layers += [
            FlattenConsecutive(cfg.fan),
            # no bias: BatchNorm subtracts the mean, and the bias with it
            Linear(width * cfg.fan, cfg.n_hidden, bias=False,
                   generator=generator),
            batchnorm(cfg, cfg.n_hidden),
            Tanh(),
        ]
        width = cfg.n_hidden
    layers.append(Linear(cfg.n_hidden, cfg.vocab_size, generator=generator))
    return Sequential(layers)


def build_model(cfg: WaveNetConfig, generator=None) -> Sequential:
    """The model of ``cfg``, initialised as in the lecture.

    The weights come from ``generator``, in layer order; the lecture uses
    torch's global generator (``None``) after ``torch.manual_seed(42)``.
    """
    if cfg.hierarchical:
        model = hierarchical_mlp(cfg, generator)
    else:
        model = flat_mlp(cfg, generator)
    with torch.no_grad():
        model.layers[-1].weight *= 0.1  # last layer: make less confident
    for p in model.parameters():
        p.requires_grad = True
    return model


def count_parameters(model: Module) -> int:
    return sum(p.nelement() for p in model.parameters())


def train(model: Module, Xtr: torch.Tensor, Ytr: torch.Tensor,
          max_steps: int = 200_000, batch_size: int = 32, lr: float = 0.1,
          lr_late: float = 0.01, decay_step: int = 150_000,
          generator=None) -> torch.Tensor:
    """The lecture's training loop: minibatch SGD, the learning rate
    dropping from ``lr`` to ``lr_late`` at ``decay_step``.

    The minibatches come from ``generator`` (the lecture: the global
    one), drawn after the model's weights. Returns every step's loss.
    """
    parameters = model.parameters()
    lossi = []
    model.train()
    for i in range(max_steps):
        # minibatch construct
        ix = torch.randint(0, Xtr.shape[0], (batch_size,),
                           generator=generator)
        Xb, Yb = Xtr[ix], Ytr[ix]
        # forward pass
        logits = model(Xb)
        loss = F.cross_entropy(logits, Yb)
        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()
        # update: simple SGD
        step = lr if i < decay_step else lr_late
        for p in parameters:
            p.data += -step * p.grad
        lossi.append(loss.item())
    return torch.tensor(lossi)


def window_means(losses: torch.Tensor, window: int = 1000) -> torch.Tensor:
    """Mean log10 loss of consecutive windows: the lecture's
    ``torch.tensor(lossi).view(-1, 1000).mean(1)``."""
    n = len(losses) // window * window
    assert n > 0, f"need at least {window} losses"
    return losses[:n].log10().view(-1, window).mean(1)


@torch.no_grad()
def dilated_logits(model: Sequential, idx: torch.Tensor) -> torch.Tensor:
    """A trained tree as a dilated causal convolution over sequences.

    ``idx`` is (B, L) characters. Each ``FlattenConsecutive(n)`` becomes
    a convolution of kernel ``n`` and dilation ``d`` (1, then 2, 4, ...):
    at every position ``t`` it joins the vectors at ``t - (n-1)d, ...,
    t - d, t``, and the Linear after it is the kernel. Returns
    (B, L - block_size + 1, vocab) logits, position ``j`` the model's on
    ``idx[:, j : j + block_size]``, with every node computed once.

    Needs eval mode and the BatchNorm fix: then BatchNorm is the same
    affine map at every position.
    """
    for layer in model.layers:
        assert not isinstance(layer, Flatten), "needs the hierarchical model"
        if isinstance(layer, layers.BatchNorm1d):
            assert not layer.training, "needs eval mode: call model.eval()"
            assert layer.running_mean.shape[:-1].numel() == 1, \
                "trained with the BatchNorm bug: no convolution"
    dilation = 1
    for layer in model.layers:
        if isinstance(layer, Embedding):
            x = layer(idx)  # (B, L, C)
        elif isinstance(layer, FlattenConsecutive):
            n, L = layer.n, x.shape[1]
            span = (n - 1) * dilation
            assert L > span, "sequences shorter than the receptive field"
            x = torch.cat([x[:, i * dilation: L - span + i * dilation]
                           for i in range(n)], dim=2)
            dilation *= n
        else:
            x = layer(x)  # Linear, BatchNorm1d (eval), Tanh: per position
    return x
