"""The MLP language model of Bengio et al. (2003), as built in makemore part 2 (chapter 3).

Each of the ``block_size`` previous characters is looked up in an embedding table ``C``; the
embeddings are concatenated and go through one tanh hidden layer and a linear output layer
that gives the logits of the next character. The parameters are plain tensors, as in the
lecture, drawn from one ``torch.Generator`` in the lecture's order (C, W1, b1, W2, b2), so the
lecture's seed gives the lecture's initial network.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from zerohero.makemore import fast_train
from zerohero.makemore.sampling import mean_nll
from zerohero.makemore.words import load_names, make_splits

LECTURE_SEED = 2147483647
INITS = ("lecture", "calibrated")


@dataclass
class MLPConfig:
    """Hyperparameters of the MLP (chapter 3); the defaults are the lecture's final model."""

    vocab_size: int = 27
    block_size: int = 3   # characters of context
    n_embd: int = 10      # dimensions of each character's embedding
    n_hidden: int = 200   # tanh units
    # "lecture": every parameter ~ N(0, 1). "calibrated": the same draws, scaled so that the
    # initial loss is -log(1/27) and tanh is not saturated (exercise 2, and chapter 4).
    init: str = "lecture"
    # Bengio et al.'s optional direct connections from the embeddings to the output (exercise 3).
    direct: bool = False

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"unknown init={self.init!r}; use one of {INITS}")
        for name in ("vocab_size", "block_size", "n_embd", "n_hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


class MLP:
    """Embedding table, concatenation, tanh hidden layer, output logits (chapter 3)."""

    def __init__(self, config: MLPConfig | None = None, generator: torch.Generator | None = None):
        self.config = c = config or MLPConfig()
        g = generator
        fan_in = c.block_size * c.n_embd
        self.C = torch.randn((c.vocab_size, c.n_embd), generator=g)
        self.W1 = torch.randn((fan_in, c.n_hidden), generator=g)
        self.b1 = torch.randn(c.n_hidden, generator=g)
        self.W2 = torch.randn((c.n_hidden, c.vocab_size), generator=g)
        self.b2 = torch.randn(c.vocab_size, generator=g)
        if c.init == "calibrated":
            # Small output weights: logits near 0, so the initial prediction is near uniform.
            # W1 scaled by the tanh gain over sqrt(fan_in): pre-activations of unit variance.
            self.W1 *= (5 / 3) / fan_in ** 0.5
            self.b1 *= 0.01
            self.W2 *= 0.01
            self.b2 *= 0
        # Zero direct weights: no extra random draw, so the rest of the network and the
        # minibatches are exactly those of the model without them.
        self.W3 = torch.zeros((fan_in, c.vocab_size)) if c.direct else None
        for p in self.parameters():
            p.requires_grad_(True)

    def parameters(self) -> list[torch.Tensor]:
        return [self.C, self.W1, self.b1, self.W2, self.b2] + ([self.W3] if self.config.direct else [])

    def num_parameters(self) -> int:
        return sum(p.nelement() for p in self.parameters())

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """(B, block_size) character indices -> (B, vocab_size) logits of the next character."""
        c = self.config
        if X.ndim != 2 or X.shape[1] != c.block_size:
            raise ValueError(f"expected contexts of shape (batch, {c.block_size}), got "
                             f"{tuple(X.shape)}; build them with words.build_examples(words, "
                             f"vocab, block_size={c.block_size})")
        emb = self.C[X]                           # (B, block_size, n_embd)
        x = emb.view(emb.shape[0], -1)            # (B, block_size * n_embd): the concatenation
        h = torch.tanh(x @ self.W1 + self.b1)     # (B, n_hidden)
        logits = h @ self.W2 + self.b2            # (B, vocab_size)
        if self.W3 is not None:
            logits = logits + x @ self.W3
        return logits

    def fast_steps(self) -> list[fast_train.Step]:
        """This network as the layers of ``fast_train``: the same operations, in order."""
        trunk = [fast_train.Linear(self.W1, self.b1), fast_train.Tanh(),
                 fast_train.Linear(self.W2, self.b2)]
        if self.W3 is not None:  # logits + x @ W3: the direct connections beside the trunk
            trunk = [fast_train.SumOf(trunk, [fast_train.Linear(self.W3)])]
        return [fast_train.Embedding(self.C), fast_train.Reshape(), *trunk]

    def state_dict(self) -> dict[str, torch.Tensor]:
        names = ["C", "W1", "b1", "W2", "b2"] + (["W3"] if self.config.direct else [])
        return {n: getattr(self, n).detach().clone() for n in names}

    @classmethod
    def from_state(cls, config: MLPConfig | dict, state: dict[str, torch.Tensor]) -> "MLP":
        """Rebuild a trained model from ``state_dict()`` (e.g. an experiment's result)."""
        config = MLPConfig(**config) if isinstance(config, dict) else config
        model = cls(config)
        for name, value in state.items():
            old = getattr(model, name)
            if old is None or old.shape != value.shape:
                raise ValueError(f"parameter {name} of shape {tuple(value.shape)} does not fit "
                                 f"this config ({config})")
            setattr(model, name, value.clone().requires_grad_(True))
        return model


LearningRate = float | Sequence[float] | torch.Tensor | Callable[[int], float]


def step_decay(lr: float = 0.1, at: int = 100_000, then: float = 0.01) -> Callable[[int], float]:
    """The lecture's schedule: ``lr`` for the first ``at`` steps, ``then`` afterwards."""
    return lambda i: lr if i < at else then


def train(model: MLP, X: torch.Tensor, Y: torch.Tensor, steps: int, batch_size: int | None = 32,
          lr: LearningRate = 0.1, generator: torch.Generator | None = None) -> torch.Tensor:
    """Minibatch gradient descent, the lecture's loop; returns the loss of every step.

    Each step draws ``batch_size`` random examples with ``torch.randint`` from ``generator``
    (``batch_size=None``: the whole set, no draw). ``lr`` is a number, a per-step sequence (the
    learning-rate finder) or a function of the step. Losses are kept as a tensor, not
    ``.item()``-ed each step, which would synchronise for nothing.
    """
    if len(X) != len(Y):
        raise ValueError(f"X and Y differ in length: {len(X)} vs {len(Y)}")
    if callable(lr):
        lr_at = lr
    elif isinstance(lr, (int, float)):
        lr_at = lambda i: lr  # noqa: E731
    else:
        if len(lr) < steps:
            raise ValueError(f"a per-step learning rate needs {steps} values, got {len(lr)}")
        lr_at = lr.__getitem__
    parameters = model.parameters()
    losses = torch.empty(steps)
    for i in range(steps):
        if batch_size is None:
            Xb, Yb = X, Y
        else:
            ix = torch.randint(0, X.shape[0], (batch_size,), generator=generator)
            Xb, Yb = X[ix], Y[ix]
        loss = F.cross_entropy(model(Xb), Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        step_lr = lr_at(i)
        for p in parameters:
            p.data += -step_lr * p.grad
        losses[i] = loss.detach()
    return losses


@torch.no_grad()
def split_losses(model: MLP, splits) -> dict[str, float]:
    """Mean negative log-likelihood on the train, val (dev) and test examples."""
    return {name: mean_nll(model, *splits[name]) for name in ("train", "val", "test")}


# Exercise 1's tuning: calibrated initialisation (exercise 2), four characters of context,
# batches of 64 and half the lecture's steps.
TUNED = dict(init="calibrated", block_size=4, steps=100_000, batch_size=64, lr_decay_at=70_000)


def mlp_experiment(block_size: int = 3, n_embd: int = 10, n_hidden: int = 200,
                   init: str = "lecture", direct: bool = False, steps: int = 200_000,
                   batch_size: int = 32, lr: float = 0.1, lr_decay_at: int = 100_000,
                   lr_decayed: float = 0.01, seed: int = LECTURE_SEED) -> dict:
    """Train an MLP on the lecture's training split and evaluate it (chapter 3).

    The defaults are the lecture's final model. The parameters and then the minibatches are
    drawn from one generator seeded with ``seed`` (the lecture drew its minibatches from the
    unseeded global generator; seeding makes the book's numbers reproducible).
    """
    splits = make_splits(load_names(), block_size)
    config = MLPConfig(len(splits.vocab), block_size, n_embd, n_hidden, init, direct)
    g = torch.Generator().manual_seed(seed)
    model = MLP(config, g)
    schedule = step_decay(lr, lr_decay_at, lr_decayed)
    # ``train``'s loop, bit for bit, without autograd's graph (faster)
    losses = fast_train.train(model, *splits.train, max_steps=steps, batch_size=batch_size,
                              lr=schedule, generator=g)
    return {"config": asdict(config), "state": model.state_dict(), "losses": losses,
            "n_params": model.num_parameters(), **split_losses(model, splits)}


def lr_finder_experiment(n_embd: int = 2, n_hidden: int = 100, steps: int = 1000,
                         lre_min: float = -3.0, lre_max: float = 0.0, batch_size: int = 32,
                         seed: int = LECTURE_SEED) -> dict:
    """The learning-rate finder (chapter 3): step i uses lr = 10**lre[i], lre from -3 to 0.

    As in the lecture it runs on the small network (2-D embeddings, 100 hidden units, 3,481
    parameters). Where the loss is lowest before it blows up is a good learning rate.
    """
    splits = make_splits(load_names(), 3)
    g = torch.Generator().manual_seed(seed)
    model = MLP(MLPConfig(len(splits.vocab), 3, n_embd, n_hidden), g)
    lre = torch.linspace(lre_min, lre_max, steps)
    losses = train(model, *splits.train, steps=steps, batch_size=batch_size, lr=10 ** lre,
                   generator=g)
    return {"lre": lre, "losses": losses, "n_params": model.num_parameters()}


def uniform_loss(vocab_size: int = 27) -> float:
    """The loss of a model that gives every character probability 1/vocab_size: log(vocab)."""
    return -math.log(1 / vocab_size)
