"""Words, their vocabulary, (context, target) examples and the lecture's split.

Introduced in chapter 2 and used by every later makemore chapter and by the
makemore command line. The vocabulary comes from the data, so any word list
works. ``WordsError`` carries the messages the command line shows for a word
file it cannot use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import torch

BOUNDARY = "."
# Used instead of '.' when the words themselves contain '.'.
FALLBACK_BOUNDARY = "\u2400"


class WordsError(ValueError):
    """A word list that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a word list; index 0 is the boundary token that
    starts and ends a word."""

    chars: tuple[str, ...]  # the data's characters, sorted, boundary excluded
    boundary: str = BOUNDARY

    @classmethod
    def from_words(cls, words) -> "Vocabulary":
        chars = sorted(set("".join(words)))
        if not chars:
            raise WordsError("the word list has no characters: "
                             "every line is empty")
        boundary = BOUNDARY if BOUNDARY not in chars else FALLBACK_BOUNDARY
        return cls(tuple(chars), boundary)

    @property
    def itos(self) -> dict[int, str]:
        chars = {i + 1: c for i, c in enumerate(self.chars)}
        return {0: self.boundary, **chars}

    @property
    def stoi(self) -> dict[str, int]:
        return {c: i for i, c in self.itos.items()}

    def __len__(self) -> int:
        return len(self.chars) + 1

    def encode(self, word: str) -> list[int]:
        stoi = self.stoi
        unknown = sorted(set(word) - set(stoi))
        if unknown:
            raise WordsError(f"characters {unknown} of {word!r} are not in "
                             f"the vocabulary")
        return [stoi[c] for c in word]

    def decode(self, ids) -> str:
        itos = self.itos
        return "".join(itos[int(i)] for i in ids)


def parse_words(text: str) -> list[str]:
    """One word per line; surrounding whitespace and empty lines dropped."""
    return [w.strip() for w in text.splitlines() if w.strip()]


def read_words(path) -> list[str]:
    """Read a word file (one item per line), with errors that say what to
    give instead of a missing or empty file."""
    path = Path(path)
    if not path.is_file():
        raise WordsError(f"{path}: no such file; give a text file with one "
                         f"word per line")
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        which = "is empty" if not text else "has only empty lines"
        raise WordsError(f"{path}: the file {which}; give a text file with "
                         f"one word per line")
    return parse_words(text)


def load_names() -> list[str]:
    """The 32,033 names of ``names.txt`` in file order, fetched and verified
    by ``zerohero.data``."""
    from zerohero.data import read_text
    return read_text("names.txt").splitlines()


def build_examples(words, vocab: Vocabulary, block_size: int):
    """(context, target) pairs, each word padded on the left with
    ``block_size`` boundaries: the lecture's ``build_dataset``.

    Returns ``X`` (n, block_size) and ``Y`` (n,), int64 tensors.
    """
    assert block_size >= 1, block_size
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ix in vocab.encode(w) + [0]:
            X.extend(context)  # one flat list, viewed as rows below
            Y.append(ix)
            context = context[1:] + [ix]
    X = torch.tensor(X, dtype=torch.long).view(-1, block_size)
    return X, torch.tensor(Y, dtype=torch.long)


def split_words(words, seed: int = 42):
    """The lecture's split: ``random.seed(42); random.shuffle(words)``, then
    80% / 10% / 10%.

    Uses its own ``random.Random(seed)`` (the same sequence as seeding the
    global generator) and leaves the caller's list as it was.
    """
    words = list(words)
    random.Random(seed).shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return words[:n1], words[n1:n2], words[n2:]


@dataclass
class Splits:
    """Examples of the three splits for one block size."""

    vocab: Vocabulary
    block_size: int
    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]

    def __getitem__(self, split: str):
        assert split in ("train", "val", "test"), split
        return getattr(self, split)


def make_splits(words, block_size: int, vocab: Vocabulary | None = None,
                seed: int = 42) -> Splits:
    """The vocabulary of all the words, the lecture's shuffle and split, and
    the examples of each split."""
    vocab = vocab or Vocabulary.from_words(words)
    tr, va, te = split_words(words, seed)
    return Splits(vocab, block_size, build_examples(tr, vocab, block_size),
                  build_examples(va, vocab, block_size),
                  build_examples(te, vocab, block_size))
