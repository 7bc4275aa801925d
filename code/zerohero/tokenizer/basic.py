"""Byte-pair encoding on the raw UTF-8 bytes of a text: no split pattern, no
special tokens."""

from __future__ import annotations

from zerohero.tokenizer.base import Tokenizer, get_stats, merge


def check_vocab_size(vocab_size):
    if vocab_size < 256:
        raise ValueError(
            f"vocab_size={vocab_size} is smaller than the 256 byte tokens "
            f"every byte-level tokenizer starts from; ask for 256 + the "
            f"number of merges you want")


def check_pairs_left(stats, done):
    if not stats:
        raise ValueError(
            f"the text has no pairs left to merge after {done} merges; ask "
            f"for vocab_size={256 + done} or less, or train on more text")


class BasicTokenizer(Tokenizer):

    def train(self, text, vocab_size, verbose=False):
        check_vocab_size(vocab_size)
        ids = list(text.encode("utf-8"))
        merges = {}
        vocab = {idx: bytes([idx]) for idx in range(256)}
        for i in range(vocab_size - 256):
            stats = get_stats(ids)
            check_pairs_left(stats, i)
            pair = max(stats, key=stats.get)  # ties: the pair seen first
            idx = 256 + i
            ids = merge(ids, pair, idx)
            merges[pair] = idx
            vocab[idx] = vocab[pair[0]] + vocab[pair[1]]
            if verbose:
                print(f"merge {i + 1}: {pair} -> {idx} {vocab[idx]!r} "
                      f"({stats[pair]} times)")
        self.merges = merges
        self.vocab = vocab

    def encode(self, text):
        ids = list(text.encode("utf-8"))
        while len(ids) >= 2:
            # the pair learned earliest goes first: later merges build on it
            stats = get_stats(ids)
            pair = min(stats, key=lambda p: self.merges.get(p, float("inf")))
            if pair not in self.merges:
                break  # nothing left to merge
            ids = merge(ids, pair, self.merges[pair])
        return ids

    def decode(self, ids):
        text_bytes = b"".join(self.vocab[idx] for idx in ids)
        # a cut through a multi-byte character cannot be decoded: show it as
        # the replacement character instead of failing
        return text_bytes.decode("utf-8", errors="replace")
