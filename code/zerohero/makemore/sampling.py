"""Sampling words from any makemore model, and its mean negative log-likelihood on a split.

Introduced in chapter 2 and used by every later makemore chapter and the command line. A model
is seen through one function, ``logits_fn(context) -> logits``: ``context`` is a (B, block_size)
int64 tensor of vocabulary indices, the result (B, vocab_size) unnormalised log-probabilities of
the next character.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from zerohero.makemore.words import Vocabulary

LogitsFn = Callable[[torch.Tensor], torch.Tensor]


@torch.no_grad()
def sample_words(logits_fn: LogitsFn, vocab: Vocabulary, block_size: int, n: int,
                 generator: torch.Generator | None = None, *, temperature: float = 1.0,
                 top_k: int | None = None, max_len: int = 100) -> list[str]:
    """Draw ``n`` words, one character at a time, as the lectures do.

    Each step draws with ``torch.multinomial(probs, num_samples=1, generator=g)``: the same order
    of draws as the lecture's loop, so a seeded generator gives the same words. (They differ from
    the 2022 videos: ``torch.multinomial`` changed in torch 2.0.)
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    words = []
    for _ in range(n):
        context = [0] * block_size
        out = []
        for _ in range(max_len):
            logits = logits_fn(torch.tensor([context])) / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.shape[-1]))
                logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=generator).item()
            if ix == 0:
                break
            out.append(ix)
            context = context[1:] + [ix]
        words.append(vocab.decode(out))
    return words


@torch.no_grad()
def mean_nll(logits_fn: LogitsFn, X: torch.Tensor, Y: torch.Tensor,
             batch_size: int = 65536) -> float:
    """Mean negative log-likelihood (cross-entropy, nats) of targets ``Y`` given contexts ``X``."""
    if len(X) != len(Y):
        raise ValueError(f"X and Y differ in length: {len(X)} vs {len(Y)}")
    if len(X) == 0:
        raise ValueError("no examples to evaluate")
    total = 0.0
    for i in range(0, len(X), batch_size):
        logits = logits_fn(X[i:i + batch_size])
        total += F.cross_entropy(logits, Y[i:i + batch_size], reduction="sum").item()
    return total / len(X)


def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """One token per row of ``logits`` (B, vocab), (B, 1): the logits divided by ``temperature``,
    cut to the ``top_k`` likeliest (all if ``None``), one ``torch.multinomial`` draw from
    ``generator`` (else the global one). Used by the makemore appendix and chapter 7."""
    if temperature != 1.0:
        logits = logits / temperature
    if top_k is not None:
        v, _ = torch.topk(logits, min(top_k, logits.shape[-1]))
        logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)
