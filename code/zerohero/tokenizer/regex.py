"""Byte-pair encoding after a regex split, as GPT-2 and GPT-4 do, with special
tokens.

The split cuts the text into chunks (words with their leading space,
numbers, punctuation, whitespace) and merges happen only inside a chunk, so
no token spans a letter and a punctuation mark, or a word and the next.
"""

from __future__ import annotations

import regex as re

from zerohero.tokenizer.base import Tokenizer, get_stats, merge
from zerohero.tokenizer.basic import check_pairs_left, check_vocab_size

# The patterns of GPT-2 (openai/gpt-2, encoder.py) and GPT-4 (cl100k_base in
# tiktoken): \p{L} is any letter, \p{N} any digit, in any script.
GPT2_SPLIT_PATTERN = (
    r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+"""
    r"""|\s+(?!\S)|\s+""")
GPT4_SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}"""
    r"""| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+""")

ALLOWED_SPECIAL = ('"all", "none", "none_raise" or a set of special tokens')


class RegexTokenizer(Tokenizer):

    def __init__(self, pattern=None):
        super().__init__()
        self.pattern = GPT4_SPLIT_PATTERN if pattern is None else pattern
        self.compiled_pattern = re.compile(self.pattern)
        self.inverse_special_tokens = {}

    def train(self, text, vocab_size, verbose=False):
        check_vocab_size(vocab_size)
        chunks = re.findall(self.compiled_pattern, text)
        ids = [list(chunk.encode("utf-8")) for chunk in chunks]
        merges = {}
        vocab = {idx: bytes([idx]) for idx in range(256)}
        for i in range(vocab_size - 256):
            stats = {}
            for chunk_ids in ids:
                get_stats(chunk_ids, stats)  # pairs inside chunks only
            check_pairs_left(stats, i)
            pair = max(stats, key=stats.get)
            idx = 256 + i
            ids = [merge(chunk_ids, pair, idx) for chunk_ids in ids]
            merges[pair] = idx
            vocab[idx] = vocab[pair[0]] + vocab[pair[1]]
            if verbose:
                print(f"merge {i + 1}: {pair} -> {idx} {vocab[idx]!r} "
                      f"({stats[pair]} times)")
        self.merges = merges
        self.vocab = vocab

    def register_special_tokens(self, special_tokens):
        """Add tokens such as {"<|endoftext|>": 100257}: never merged, never
        split, produced only when ``encode`` is allowed to."""
        self.special_tokens = dict(special_tokens)
        self.inverse_special_tokens = {v: k for k, v in special_tokens.items()}

    def load_model_text(self, text, source="the model text"):
        super().load_model_text(text, source)
        self.compiled_pattern = re.compile(self.pattern)
        self.register_special_tokens(self.special_tokens)

    def decode(self, ids):
        parts = []
        for idx in ids:
            if idx in self.inverse_special_tokens:
                parts.append(self.inverse_special_tokens[idx].encode("utf-8"))
            elif idx in self.vocab:
                parts.append(self.vocab[idx])
            else:
                raise ValueError(f"invalid token id: {idx}")
        return b"".join(parts).decode("utf-8", errors="replace")

    def _encode_chunk(self, text_bytes):
        ids = list(text_bytes)
        while len(ids) >= 2:
            stats = get_stats(ids)
            pair = min(stats, key=lambda p: self.merges.get(p, float("inf")))
            if pair not in self.merges:
                break
            ids = merge(ids, pair, self.merges[pair])
        return ids

    def encode_ordinary(self, text):
        """Encode ``text`` as plain text: a special token's string is just
        characters here."""
        ids = []
        for chunk in re.findall(self.compiled_pattern, text):
            ids.extend(self._encode_chunk(chunk.encode("utf-8")))
        return ids

    def encode(self, text, allowed_special="none_raise"):
        """Encode ``text``, turning the special tokens ``allowed_special``
        names into their ids: "all", "none" (encode them as text),
        "none_raise" (tiktoken's default: refuse text that contains one) or a
        set of them."""
        if allowed_special == "all":
            special = self.special_tokens
        elif allowed_special in ("none", "none_raise"):
            special = {}
            found = [t for t in self.special_tokens if t in text]
            if found and allowed_special == "none_raise":
                raise ValueError(
                    f"the text contains the special token {found[0]!r}; pass "
                    f"allowed_special='all' (or a set naming it) to encode it "
                    f"as one token, or 'none' to encode it as plain text")
        elif isinstance(allowed_special, (set, frozenset)):
            special = {t: self.special_tokens[t] for t in allowed_special
                       if t in self.special_tokens}
        else:
            raise ValueError(f"allowed_special={allowed_special!r}: expected "
                             f"{ALLOWED_SPECIAL}")
        if not special:
            return self.encode_ordinary(text)
        # a capturing group keeps the special tokens in the split's output
        pattern = "(" + "|".join(re.escape(t) for t in special) + ")"
        ids = []
        for part in re.split(pattern, text):
            if part in special:
                ids.append(special[part])
            else:
                ids.extend(self.encode_ordinary(part))
        return ids
