"""Bigram language models (chapter 2): counting, and the same model as a one-layer network.

The counting model keeps a table of how often each character follows each context (the
previous character for a bigram, the previous two for the trigram of the exercises) and turns
rows of counts into probabilities. The neural bigram gets the same table by gradient descent:
one-hot input times a 27x27 weight matrix gives log-counts, softmax gives probabilities.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from zerohero.makemore.words import Vocabulary, build_examples, load_names

LECTURE_SEED = 2147483647


def bigram_pairs(words, vocab: Vocabulary) -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's training set ``xs, ys``: every (character, next character) pair (chapter 2).

    Each word is wrapped in the boundary token '.', so 'emma' gives .e em mm ma a. (five pairs).
    """
    X, Y = build_examples(words, vocab, block_size=1)
    return X[:, 0], Y


class NGramCounts:
    """A counting n-gram model (chapter 2): P(next | previous n-1 characters) from counts.

    ``counts`` has one row per context (``vocab_size ** (n-1)`` rows; row ``i`` of the bigram
    table is "the previous character is ``i``") and one column per next character; for n=2
    it is the lecture's 27x27 ``N``. ``smoothing`` is the fake count added to every cell before
    normalising (the lecture's ``N+1``): it keeps unseen pairs from getting probability zero.
    Without smoothing, a context that never occurs has no distribution (a row of NaN).
    """

    def __init__(self, counts: torch.Tensor, vocab: Vocabulary, n: int = 2,
                 smoothing: float = 1.0):
        V = len(vocab)
        if counts.shape != (V ** (n - 1), V):
            raise ValueError(f"counts of a {n}-gram model over {V} characters must have shape "
                             f"({V ** (n - 1)}, {V}), got {tuple(counts.shape)}")
        if smoothing < 0:
            raise ValueError(f"smoothing is a count added to every cell; it must be >= 0, "
                             f"got {smoothing}")
        self.counts, self.vocab, self.n, self.smoothing = counts, vocab, n, smoothing
        # As in the lecture: P = (N+1).float(); P /= P.sum(1, keepdims=True)
        P = counts.float() + smoothing if smoothing else counts.float()
        self.probs = P / P.sum(1, keepdim=True)

    @classmethod
    def fit(cls, words, vocab: Vocabulary | None = None, n: int = 2,
            smoothing: float = 1.0) -> "NGramCounts":
        """Count the n-grams of ``words`` (each padded with n-1 boundaries on the left)."""
        if n < 2:
            raise ValueError(f"an n-gram model needs n >= 2 (bigram: 2, trigram: 3), got {n}")
        vocab = Vocabulary.from_words(words) if vocab is None else vocab
        X, Y = build_examples(words, vocab, block_size=n - 1)
        V = len(vocab)
        counts = torch.bincount(cls._row(X, V) * V + Y, minlength=V ** n)
        return cls(counts.view(V ** (n - 1), V).to(torch.int32), vocab, n, smoothing)

    def with_smoothing(self, smoothing: float) -> "NGramCounts":
        """The same counts with another fake count (for tuning it on the dev split)."""
        return NGramCounts(self.counts, self.vocab, self.n, smoothing)

    @staticmethod
    def _row(context: torch.Tensor, V: int) -> torch.Tensor:
        # The context (c1, ..., c_{n-1}) read as a number in base V: its row of the table.
        row = torch.zeros(len(context), dtype=torch.long)
        for j in range(context.shape[1]):
            row = row * V + context[:, j]
        return row

    @property
    def block_size(self) -> int:
        return self.n - 1

    def count(self, context: str, next_char: str) -> int:
        """How often ``next_char`` followed ``context`` (n-1 characters; '.' is the boundary)."""
        if len(context) != self.n - 1:
            raise ValueError(f"a {self.n}-gram context has {self.n - 1} character(s), "
                             f"got {context!r}")
        ids = torch.tensor(self.vocab.encode(context))[None]  # clear error on unknown characters
        return int(self.counts[self._row(ids, len(self.vocab)), self.vocab.encode(next_char)[0]])

    def _rows(self, context: torch.Tensor) -> torch.Tensor:
        if context.ndim != 2 or context.shape[1] < self.n - 1:
            raise ValueError(f"a {self.n}-gram model reads (batch, >= {self.n - 1}) contexts, got "
                             f"shape {tuple(context.shape)}; build them with "
                             f"build_examples(words, vocab, block_size={self.n - 1})")
        return self._row(context[:, -(self.n - 1):], len(self.vocab))

    def logits(self, context: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the next character for (B, >= n-1) contexts (for sampling)."""
        return self.probs[self._rows(context)].log()

    def log_probs(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """log P(y | x) of each example, float32, as the lecture's ``torch.log(P[ix1, ix2])``."""
        return self.probs[self._rows(X), Y].log()

    def nll(self, X: torch.Tensor, Y: torch.Tensor) -> float:
        """Mean negative log-likelihood of the examples, summed in float64 (accurately)."""
        return float(-self.log_probs(X, Y).double().mean())

    def __call__(self, context: torch.Tensor) -> torch.Tensor:
        return self.logits(context)


def lecture_log_likelihood(log_probs: torch.Tensor) -> tuple[float, float]:
    """Sum and mean of log-probabilities accumulated in float32, one term after the other.

    The lecture's loop ``log_likelihood += logprob`` adds float32 tensors in order; its
    rounding shows in the 4th digit (2.454094 instead of 2.454014 summed in float64 for the
    bigram counts). ``np.add.accumulate`` on float32 adds in the same order with the same rounding.
    Returns ``(log_likelihood, nll / n)`` with the division also done in float32.
    """
    if log_probs.ndim != 1 or len(log_probs) == 0:
        raise ValueError(f"expected a non-empty 1-D tensor of log-probabilities, "
                         f"got shape {tuple(log_probs.shape)}")
    total = np.add.accumulate(log_probs.detach().float().numpy())[-1]
    return float(total), float(torch.tensor(-total, dtype=torch.float32) / len(log_probs))


def softmax_nll(logits: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """The lecture's hand-written softmax and mean negative log-likelihood (chapter 2).

    ``F.cross_entropy(logits, ys)`` computes the same thing more stably and faster (chapter 3).
    """
    counts = logits.exp()  # "log-counts" -> counts, the equivalent of N
    probs = counts / counts.sum(1, keepdim=True)
    return -probs[torch.arange(len(ys)), ys].log().mean()


class NeuralBigram:
    """The bigram model as a network (chapter 2): logits = one_hot(x) @ W, W is 27x27.

    ``W`` is drawn from N(0, 1) with the lecture's generator. ``inputs="index"`` reads row x of
    W directly (exercise 4: the one-hot product only selects that row); ``loss="cross_entropy"``
    uses ``F.cross_entropy`` instead of the hand-written softmax (exercise 5).
    """

    INPUTS = ("one_hot", "index")
    LOSSES = ("manual", "cross_entropy")

    def __init__(self, vocab_size: int = 27, generator: torch.Generator | None = None,
                 inputs: str = "one_hot", loss: str = "manual"):
        if inputs not in self.INPUTS:
            raise ValueError(f"unknown inputs={inputs!r}; use one of {self.INPUTS}")
        if loss not in self.LOSSES:
            raise ValueError(f"unknown loss={loss!r}; use one of {self.LOSSES}")
        self.vocab_size, self.inputs, self.loss_kind = vocab_size, inputs, loss
        self.W = torch.randn((vocab_size, vocab_size), generator=generator, requires_grad=True)

    def __call__(self, xs: torch.Tensor) -> torch.Tensor:
        if xs.ndim == 2:  # (B, block_size) contexts from the sampler: the last character
            xs = xs[:, -1]
        if self.inputs == "index":
            return self.W[xs]
        xenc = F.one_hot(xs, num_classes=self.vocab_size).float()
        return xenc @ self.W  # log-counts

    def parameters(self) -> list[torch.Tensor]:
        return [self.W]

    def loss(self, xs: torch.Tensor, ys: torch.Tensor, reg: float = 0.01) -> torch.Tensor:
        """Mean NLL plus ``reg * mean(W**2)``: the regulariser pulls W towards 0, i.e. towards
        uniform probabilities, as smoothing does for counts."""
        logits = self(xs)
        nll = softmax_nll(logits, ys) if self.loss_kind == "manual" else F.cross_entropy(logits, ys)
        return nll + reg * (self.W ** 2).mean()

    @property
    def probs(self) -> torch.Tensor:
        """Row i: the model's distribution of the character after character i."""
        with torch.no_grad():
            return F.softmax(self.W, dim=1)


def train_neural_bigram(model: NeuralBigram, xs, ys, steps: int = 100, lr: float = 50.0,
                        reg: float = 0.01) -> list[float]:
    """Full-batch gradient descent as in the lecture; returns the loss of each step.

    Entry k is the loss computed in step k+1, before that step's update: the lecture's loop
    prints 2.4901304244995117 at its 100th step.
    """
    losses = torch.empty(steps)
    for k in range(steps):
        loss = model.loss(xs, ys, reg)
        model.W.grad = None
        loss.backward()
        model.W.data += -lr * model.W.grad
        losses[k] = loss.detach()
    return losses.tolist()


def neural_bigram_experiment(steps: int = 100, lr: float = 50.0, reg: float = 0.01,
                             seed: int = LECTURE_SEED, inputs: str = "one_hot",
                             loss: str = "manual") -> dict:
    """The lecture's neural bigram on all 228,146 bigrams of names.txt (chapter 2)."""
    words = load_names()
    vocab = Vocabulary.from_words(words)
    xs, ys = bigram_pairs(words, vocab)
    g = torch.Generator().manual_seed(seed)
    model = NeuralBigram(len(vocab), g, inputs=inputs, loss=loss)
    losses = train_neural_bigram(model, xs, ys, steps, lr, reg)
    with torch.no_grad():
        nll = F.cross_entropy(model.W[xs], ys).item()  # after the last update, without reg
    return {"losses": losses, "final_loss": losses[-1], "nll": nll,
            "W": model.W.detach().clone()}
