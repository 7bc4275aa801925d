"""Sampling words from any makemore model, and its loss on a split.

Introduced in chapter 2, used by every later makemore chapter and the
command line. A model is seen through one function,
``logits_fn(context) -> logits``: ``context`` is a (B, block_size) int64
tensor of vocabulary indices, the result (B, vocab_size) unnormalised
log-probabilities of the next character.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zerohero.makemore.words import Vocabulary


@torch.no_grad()
def sample_words(logits_fn, vocab: Vocabulary, block_size: int, n: int,
                 generator=None, *, temperature=1.0, top_k=None,
                 max_len=100) -> list[str]:
    """Draw ``n`` words, one character at a time, as the lectures do.

    Each step draws with ``torch.multinomial(probs, num_samples=1,
    generator=g)``, the lecture's order of draws, so a seeded generator
    gives the same words. (Not the 2022 videos' words: ``torch.multinomial``
    changed in torch 2.0.)
    """
    words = []
    for _ in range(n):
        context = [0] * block_size
        out = []
        for _ in range(max_len):
            logits = logits_fn(torch.tensor([context]))
            ix = sample_next(logits, temperature, top_k, generator).item()
            if ix == 0:
                break
            out.append(ix)
            context = context[1:] + [ix]
        words.append(vocab.decode(out))
    return words


@torch.no_grad()
def mean_nll(logits_fn, X, Y, batch_size=65536) -> float:
    """Mean negative log-likelihood (nats) of targets ``Y`` given ``X``."""
    assert len(X) == len(Y) > 0, (len(X), len(Y))
    total = 0.0
    for i in range(0, len(X), batch_size):
        logits = logits_fn(X[i:i + batch_size])
        total += F.cross_entropy(logits, Y[i:i + batch_size],
                                 reduction="sum").item()
    return total / len(X)


def sample_next(logits, temperature=1.0, top_k=None, generator=None):
    """One token per row of ``logits`` (B, vocab): (B, 1).

    The logits divided by ``temperature``, cut to the ``top_k`` likeliest
    (all if ``None``), one ``torch.multinomial`` draw from ``generator``
    (else the global one). Used by the makemore appendix and chapter 7.
    """
    assert temperature > 0, temperature
    if temperature != 1.0:
        logits = logits / temperature
    if top_k is not None:
        v, _ = torch.topk(logits, min(top_k, logits.shape[-1]))
        logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
    probs = F.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator)
