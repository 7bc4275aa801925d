"""The same RegexTokenizer, trained and run faster: the same merges, the same
ids.

Two observations make training fast. A text repeats its chunks: tiny
Shakespeare's 300,000 chunks are about 14,000 distinct ones, so each is
counted once and weighted by how often it occurs. And a merge changes only
the chunks that contain its pair, so only those are recounted. Encoding
repeats chunks too, so each distinct chunk is encoded once.
"""

from __future__ import annotations

from collections import Counter

import regex as re

from zerohero.tokenizer.base import get_stats, merge
from zerohero.tokenizer.basic import check_pairs_left, check_vocab_size
from zerohero.tokenizer.regex import RegexTokenizer


class FastRegexTokenizer(RegexTokenizer):

    def __init__(self, pattern=None):
        super().__init__(pattern)
        self.cache = {}  # chunk bytes -> ids

    def train(self, text, vocab_size, verbose=False):
        check_vocab_size(vocab_size)
        # distinct chunks in order of first appearance, and how often each
        # occurs (Counter keeps the order in which keys first appear)
        counted = Counter(re.findall(self.compiled_pattern, text))
        chunks = [list(chunk.encode("utf-8")) for chunk in counted]
        weights = list(counted.values())
        stats = {}                # pair -> occurrences in the whole text
        where = {}                # pair -> the chunks that contain it
        for j, ids in enumerate(chunks):
            for pair, n in get_stats(ids).items():
                stats[pair] = stats.get(pair, 0) + n * weights[j]
                where.setdefault(pair, set()).add(j)
        merges = {}
        length = sum(len(ids) * w for ids, w in zip(chunks, weights))
        self.lengths = []         # the text's length in tokens after each merge
        vocab = {idx: bytes([idx]) for idx in range(256)}
        for i in range(vocab_size - 256):
            check_pairs_left(stats, i)
            pair = most_common(stats, where, chunks)
            idx = 256 + i
            count = stats[pair]
            for j in where.pop(pair):
                old, before = get_stats(chunks[j]), len(chunks[j])
                chunks[j] = merge(chunks[j], pair, idx)
                new = get_stats(chunks[j])
                length -= (before - len(chunks[j])) * weights[j]
                for p, n in old.items():
                    stats[p] -= n * weights[j]
                    if p not in new and p != pair:
                        where[p].discard(j)
                        if not where[p]:
                            del where[p], stats[p]
                for p, n in new.items():
                    stats[p] = stats.get(p, 0) + n * weights[j]
                    where.setdefault(p, set()).add(j)
            del stats[pair]
            merges[pair] = idx
            self.lengths.append(length)
            vocab[idx] = vocab[pair[0]] + vocab[pair[1]]
            if verbose:
                print(f"merge {i + 1}: {pair} -> {idx} {vocab[idx]!r} "
                      f"({count} times)")
        self.merges = merges
        self.vocab = vocab
        self.cache = {}

    def load_model_text(self, text, source="the model text"):
        super().load_model_text(text, source)
        self.cache = {}

    def _encode_chunk(self, text_bytes):
        if text_bytes not in self.cache:
            self.cache[text_bytes] = super()._encode_chunk(text_bytes)
        return self.cache[text_bytes]


def most_common(stats, where, chunks):
    """The pair the plain loop's ``max(stats, key=stats.get)`` picks: the
    largest count, and among equal counts the pair that occurs first in the
    text (the plain loop's dict is filled in text order)."""
    top = max(stats.values())
    tied = [p for p, n in stats.items() if n == top]
    if len(tied) == 1:
        return tied[0]

    def first_seen(pair):
        j = min(where[pair])  # chunks are in order of first appearance
        ids = chunks[j]
        return j, next(k for k in range(len(ids) - 1)
                       if (ids[k], ids[k + 1]) == pair)
    return min(tied, key=first_seen)
