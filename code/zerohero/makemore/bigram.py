"""Bigram language models: counting, and the same model as a network.

The counting model keeps a table of how often each character follows each
context (the previous character for a bigram, the previous two for the
trigram of the exercises) and turns rows of counts into probabilities. The
neural bigram gets the same table by gradient descent: a one-hot input times
a 27x27 weight matrix gives log-counts, softmax gives probabilities.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from zerohero.makemore.words import Vocabulary, build_examples

LECTURE_SEED = 2147483647


def bigram_pairs(words, vocab: Vocabulary):
    """The lecture's ``xs, ys``: every (character, next character) pair.

    Each word is wrapped in the boundary token '.', so 'emma' gives
    .e em mm ma a. (five pairs).
    """
    X, Y = build_examples(words, vocab, block_size=1)
    return X[:, 0], Y


def count_bigrams_dict(words) -> dict[tuple[str, str], int]:
    """The lecture's first count: a dictionary from each pair to its count.

    '<S>' marks the start of a word and '<E>' its end.
    """
    b = {}
    for w in words:
        chs = ["<S>"] + list(w) + ["<E>"]
        for ch1, ch2 in zip(chs, chs[1:]):
            bigram = (ch1, ch2)
            b[bigram] = b.get(bigram, 0) + 1
    return b


def count_bigrams_loop(words, vocab: Vocabulary) -> torch.Tensor:
    """The lecture's 27x27 table ``N``, filled one bigram at a time.

    A single '.' marks both ends of a word. ``NGramCounts.fit`` builds the
    same table with one ``torch.bincount``.
    """
    V = len(vocab)
    N = torch.zeros((V, V), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = vocab.stoi[ch1]
            ix2 = vocab.stoi[ch2]
            N[ix1, ix2] += 1
    return N


def sample_loop(P: torch.Tensor, vocab: Vocabulary, n: int,
                generator=None) -> list[str]:
    """``n`` words drawn from the rows of ``P``, the lecture's while loop.

    Start at '.', draw the next character from that character's row, stop
    when '.' is drawn again. The word keeps its final '.', as printed in
    the lecture.
    """
    words = []
    for _ in range(n):
        out = []
        ix = 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True,
                                   generator=generator).item()
            out.append(vocab.itos[ix])
            if ix == 0:
                break
        words.append("".join(out))
    return words


def log_likelihood_loop(words, P: torch.Tensor,
                        vocab: Vocabulary) -> tuple[float, float]:
    """The lecture's loop over every bigram: add up ``log P[ix1, ix2]``.

    Returns ``(log_likelihood, nll / n)``; ``lecture_log_likelihood``
    computes the same from a vector of log-probabilities.
    """
    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            prob = P[vocab.stoi[ch1], vocab.stoi[ch2]]
            log_likelihood += torch.log(prob)
            n += 1
    nll = -log_likelihood
    return float(log_likelihood), float(nll / n)


class NGramCounts:
    """A counting n-gram model: P(next | previous n-1 characters).

    ``counts`` has one row per context (``vocab_size ** (n-1)`` rows; row
    ``i`` of the bigram table is "the previous character is ``i``") and one
    column per next character; for n=2 it is the lecture's 27x27 ``N``.
    ``smoothing`` is the fake count added to every cell before normalising
    (the lecture's ``N+1``): it keeps unseen pairs from getting probability
    zero. Without smoothing, a context never seen has a row of NaN.
    """

    def __init__(self, counts, vocab: Vocabulary, n=2, smoothing=1.0):
        V = len(vocab)
        assert counts.shape == (V ** (n - 1), V), counts.shape
        assert smoothing >= 0, smoothing
        self.counts, self.vocab = counts, vocab
        self.n, self.smoothing = n, smoothing
        # As in the lecture: P = (N+1).float(); P /= P.sum(1, keepdims=True)
        P = counts.float() + smoothing if smoothing else counts.float()
        self.probs = P / P.sum(1, keepdim=True)

    @classmethod
    def fit(cls, words, vocab=None, n=2, smoothing=1.0) -> "NGramCounts":
        """Count the n-grams of ``words``, each padded on the left with n-1
        boundaries."""
        assert n >= 2, "bigram: n=2, trigram: n=3"
        vocab = Vocabulary.from_words(words) if vocab is None else vocab
        X, Y = build_examples(words, vocab, block_size=n - 1)
        V = len(vocab)
        counts = torch.bincount(cls._row(X, V) * V + Y, minlength=V ** n)
        counts = counts.view(V ** (n - 1), V).to(torch.int32)
        return cls(counts, vocab, n, smoothing)

    def with_smoothing(self, smoothing: float) -> "NGramCounts":
        """The same counts with another fake count (to tune it on dev)."""
        return NGramCounts(self.counts, self.vocab, self.n, smoothing)

    @staticmethod
    def _row(context: torch.Tensor, V: int) -> torch.Tensor:
        # The context (c1, ..., c_{n-1}) read as a number in base V: its
        # row of the table.
        row = torch.zeros(len(context), dtype=torch.long)
        for j in range(context.shape[1]):
            row = row * V + context[:, j]
        return row

    @property
    def block_size(self) -> int:
        return self.n - 1

    def count(self, context: str, next_char: str) -> int:
        """How often ``next_char`` followed ``context`` ('.': a boundary)."""
        assert len(context) == self.n - 1, context
        ids = torch.tensor(self.vocab.encode(context))[None]
        row = self._row(ids, len(self.vocab))
        return int(self.counts[row, self.vocab.encode(next_char)[0]])

    def _rows(self, context: torch.Tensor) -> torch.Tensor:
        assert context.shape[1] >= self.n - 1, context.shape
        return self._row(context[:, -(self.n - 1):], len(self.vocab))

    def logits(self, context: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the next character, (B, >= n-1) contexts."""
        return self.probs[self._rows(context)].log()

    def log_probs(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """log P(y | x) of each example, in float32, as the lecture's
        ``torch.log(P[ix1, ix2])``."""
        return self.probs[self._rows(X), Y].log()

    def nll(self, X: torch.Tensor, Y: torch.Tensor) -> float:
        """Mean negative log-likelihood, summed in float64 (accurately)."""
        return float(-self.log_probs(X, Y).double().mean())

    def __call__(self, context: torch.Tensor) -> torch.Tensor:
        return self.logits(context)


def lecture_log_likelihood(log_probs: torch.Tensor) -> tuple[float, float]:
    """Sum and mean of log-probabilities added in float32, one at a time.

    The lecture's loop ``log_likelihood += logprob`` adds float32 tensors in
    order; its rounding shows in the 5th digit of the mean (a float64 sum
    differs there). ``np.add.accumulate`` on float32 adds in the same
    order with the same rounding. Returns ``(log_likelihood, nll / n)``,
    the division in float32 too.
    """
    assert log_probs.ndim == 1 and len(log_probs) > 0, log_probs.shape
    total = np.add.accumulate(log_probs.detach().float().numpy())[-1]
    nll = torch.tensor(-total, dtype=torch.float32) / len(log_probs)
    return float(total), float(nll)


def softmax_nll(logits: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """The lecture's hand-written softmax and mean negative log-likelihood.

    ``F.cross_entropy(logits, ys)`` computes the same, more stably and
    faster (chapter 3).
    """
    counts = logits.exp()  # "log-counts" -> counts, the equivalent of N
    probs = counts / counts.sum(1, keepdim=True)
    return -probs[torch.arange(len(ys)), ys].log().mean()


class NeuralBigram:
    """The bigram model as a network: logits = one_hot(x) @ W, W is 27x27.

    ``W`` is drawn from N(0, 1) with the lecture's generator.
    ``inputs="index"`` reads row x of W directly (exercise 4: the one-hot
    product only selects that row); ``loss="cross_entropy"`` uses
    ``F.cross_entropy`` instead of the hand-written softmax (exercise 5).
    """

    def __init__(self, vocab_size=27, generator=None, inputs="one_hot",
                 loss="manual"):
        assert inputs in ("one_hot", "index"), inputs
        assert loss in ("manual", "cross_entropy"), loss
        self.vocab_size, self.inputs, self.loss_kind = vocab_size, inputs, loss
        self.W = torch.randn((vocab_size, vocab_size), generator=generator,
                             requires_grad=True)

    def __call__(self, xs: torch.Tensor) -> torch.Tensor:
        if xs.ndim == 2:  # (B, block_size) contexts from the sampler
            xs = xs[:, -1]
        if self.inputs == "index":
            return self.W[xs]
        xenc = F.one_hot(xs, num_classes=self.vocab_size).float()
        return xenc @ self.W  # log-counts

    def parameters(self) -> list[torch.Tensor]:
        return [self.W]

    def loss(self, xs, ys, reg=0.01) -> torch.Tensor:
        """Mean NLL plus ``reg * mean(W**2)``: the regulariser pulls W
        towards 0, towards uniform probabilities, as smoothing does."""
        logits = self(xs)
        if self.loss_kind == "manual":
            nll = softmax_nll(logits, ys)
        else:
            nll = F.cross_entropy(logits, ys)
        return nll + reg * (self.W ** 2).mean()

    @property
    def probs(self) -> torch.Tensor:
        """Row i: the model's distribution of the character after i."""
        with torch.no_grad():
            return F.softmax(self.W, dim=1)


def train_neural_bigram(model, xs, ys, steps=100, lr=50.0, reg=0.01):
    """Full-batch gradient descent, the lecture's loop.

    Returns the loss of each step, computed before that step's update.
    """
    lossi = []
    for k in range(steps):
        # forward pass
        loss = model.loss(xs, ys, reg)
        # backward pass
        model.W.grad = None
        loss.backward()
        # update
        model.W.data += -lr * model.W.grad
        lossi.append(loss.item())
    return lossi
