"""The MLP language model of Bengio et al. (2003), as built in makemore part 2.

Each of the ``block_size`` previous characters is looked up in an embedding
table ``C``; the embeddings are concatenated and go through one tanh hidden
layer and a linear output layer that gives the logits of the next character.
The parameters are plain tensors, as in the lecture, drawn from one
``torch.Generator`` in the lecture's order (C, W1, b1, W2, b2), so the
lecture's seed gives the lecture's initial network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from zerohero.makemore.sampling import mean_nll
from zerohero.makemore.words import Splits

LECTURE_SEED = 2147483647


@dataclass
class MLPConfig:
    """The MLP's sizes; the defaults are the lecture's final model."""

    vocab_size: int = 27
    block_size: int = 3   # characters of context
    n_embd: int = 10      # dimensions of each character's embedding
    n_hidden: int = 200   # tanh units
    # "lecture": every parameter ~ N(0, 1). "calibrated": the same draws,
    # scaled so that the initial loss is -log(1/27) and tanh is not
    # saturated (exercise 2, and chapter 4).
    init: str = "lecture"
    # Bengio et al.'s direct connections from the embeddings to the output
    # (exercise 3).
    direct: bool = False

    def __post_init__(self):
        assert self.init in ("lecture", "calibrated"), self.init


class MLP:
    """Embedding table, concatenation, tanh hidden layer, output logits."""

    def __init__(self, config: MLPConfig | None = None,
                 generator: torch.Generator | None = None):
        self.config = c = config or MLPConfig()
        g = generator
        fan_in = c.block_size * c.n_embd
        self.C = torch.randn((c.vocab_size, c.n_embd), generator=g)
        self.W1 = torch.randn((fan_in, c.n_hidden), generator=g)
        self.b1 = torch.randn(c.n_hidden, generator=g)
        self.W2 = torch.randn((c.n_hidden, c.vocab_size), generator=g)
        self.b2 = torch.randn(c.vocab_size, generator=g)
        if c.init == "calibrated":
            # Small output weights: logits near 0, a near-uniform prediction.
            # W1 by the tanh gain over sqrt(fan_in): unit-variance inputs
            # to tanh.
            self.W1 *= (5 / 3) / fan_in ** 0.5
            self.b1 *= 0.01
            self.W2 *= 0.01
            self.b2 *= 0
        # Zeros draw nothing: the rest of the network and the minibatches
        # stay those of the model without direct connections.
        self.W3 = torch.zeros((fan_in, c.vocab_size)) if c.direct else None
        for p in self.parameters():
            p.requires_grad_(True)

    def parameters(self) -> list[torch.Tensor]:
        params = [self.C, self.W1, self.b1, self.W2, self.b2]
        return params + ([self.W3] if self.W3 is not None else [])

    def num_parameters(self) -> int:
        return sum(p.nelement() for p in self.parameters())

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """(B, block_size) character indices -> (B, vocab_size) logits."""
        emb = self.C[X]                          # (B, block_size, n_embd)
        x = emb.view(emb.shape[0], -1)           # the concatenation
        h = torch.tanh(x @ self.W1 + self.b1)    # (B, n_hidden)
        logits = h @ self.W2 + self.b2           # (B, vocab_size)
        if self.W3 is not None:
            logits = logits + x @ self.W3
        return logits

    def state_dict(self) -> dict[str, torch.Tensor]:
        names = ["C", "W1", "b1", "W2", "b2"]
        names += ["W3"] if self.W3 is not None else []
        return {n: getattr(self, n).detach().clone() for n in names}

    @classmethod
    def from_state(cls, config: MLPConfig | dict,
                   state: dict[str, torch.Tensor]) -> "MLP":
        """Rebuild a trained model from its config and ``state_dict()``."""
        if isinstance(config, dict):
            config = MLPConfig(**config)
        model = cls(config)
        for name, value in state.items():
            assert getattr(model, name).shape == value.shape, name
            setattr(model, name, value.clone().requires_grad_(True))
        return model


def step_decay(lr=0.1, at=100_000, then=0.01):
    """The lecture's schedule: ``lr`` for ``at`` steps, then ``then``."""
    return lambda i: lr if i < at else then


def train(model, X, Y, steps, batch_size=32, lr=step_decay(),
          generator=None):
    """Minibatch gradient descent, the lecture's loop.

    ``lr`` is a number or a function of the step (the learning-rate finder
    gives each step its own rate). ``batch_size=None`` trains on all of
    ``X`` at every step. Returns the loss of every step.
    """
    parameters = model.parameters()
    lossi = []
    for i in range(steps):
        # minibatch construct
        if batch_size is None:
            Xb, Yb = X, Y
        else:
            ix = torch.randint(0, X.shape[0], (batch_size,),
                               generator=generator)
            Xb, Yb = X[ix], Y[ix]
        # forward pass
        logits = model(Xb)
        loss = F.cross_entropy(logits, Yb)
        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()
        # update
        rate = lr(i) if callable(lr) else lr
        for p in parameters:
            p.data += -rate * p.grad
        lossi.append(loss.item())
    return torch.tensor(lossi)


@torch.no_grad()
def split_losses(model: MLP, splits: Splits) -> dict[str, float]:
    """Mean negative log-likelihood on the train, val (dev) and test sets."""
    return {name: mean_nll(model, *splits[name])
            for name in ("train", "val", "test")}


def uniform_loss(vocab_size: int = 27) -> float:
    """The loss of a uniform prediction, 1/vocab_size for every character."""
    return -math.log(1 / vocab_size)
