"""Characters as tokens, the 90/10 split and random batches of chunks (chapter 7).

The lecture's data pipeline: every distinct character of the text is a token (65 for tiny
Shakespeare), the first 90% of the encoded text trains and the last 10% validates, and a batch is
``batch_size`` random chunks of ``block_size + 1`` consecutive tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


class TextError(ValueError):
    """Text that cannot be tokenized or split; the message says why and what to do."""


@dataclass(frozen=True)
class CharTokenizer:
    """One token per distinct character of the training text, in sorted order (chapter 7)."""

    chars: str

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        if not text:
            raise TextError("the text is empty: there are no characters to make a vocabulary of")
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    @property
    def stoi(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.chars)}

    def encode(self, s: str) -> list[int]:
        stoi = self.stoi
        try:
            return [stoi[c] for c in s]
        except KeyError:
            unknown = sorted(set(s) - set(stoi))
            raise TextError(f"characters {unknown} of the input are not in the vocabulary of "
                            f"{self.vocab_size} characters; use only characters of the "
                            f"training text") from None

    def decode(self, ids) -> str:
        chars = self.chars
        try:
            return "".join(chars[int(i)] for i in ids)
        except IndexError:
            bad = sorted({int(i) for i in ids if not 0 <= int(i) < len(chars)})
            raise TextError(f"token ids {bad} are outside the vocabulary "
                            f"(0..{len(chars) - 1})") from None


@dataclass
class TextData:
    """A text encoded once: its tokenizer and the train/val token tensors (chapter 7)."""

    tokenizer: CharTokenizer
    train: torch.Tensor  # int64, the first train_fraction of the text
    val: torch.Tensor    # int64, the rest

    @classmethod
    def from_text(cls, text: str, train_fraction: float = 0.9,
                  tokenizer: CharTokenizer | None = None) -> "TextData":
        if not 0.0 < train_fraction < 1.0:
            raise TextError(f"train_fraction must be between 0 and 1, got {train_fraction}")
        tokenizer = tokenizer or CharTokenizer.from_text(text)
        data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
        n = int(train_fraction * len(data))  # the lecture's split: no shuffling, text order
        return cls(tokenizer, data[:n], data[n:])

    def split(self, name: str) -> torch.Tensor:
        if name == "train":
            return self.train
        if name == "val":
            return self.val
        raise TextError(f"unknown split {name!r}; use 'train' or 'val'")


def load_shakespeare() -> TextData:
    """Tiny Shakespeare (1,115,394 characters) through the verified loader, split 90/10."""
    from zerohero.data import read_text
    return TextData.from_text(read_text("tinyshakespeare.txt"))


def get_batch(data: torch.Tensor, block_size: int, batch_size: int,
              generator: torch.Generator | None = None, device: str | torch.device = "cpu"):
    """``batch_size`` random chunks: inputs ``x`` and next-token targets ``y``, both (B, T).

    One ``torch.randint(len(data) - block_size, (batch_size,))`` per batch, from the global
    generator unless one is given: the lecture's exact draw, so seeded runs reproduce it.
    """
    if data.dim() != 1:
        raise TextError(f"data must be a 1-d tensor of token ids, got shape {tuple(data.shape)}")
    if len(data) <= block_size:
        raise TextError(f"the data has {len(data)} tokens, too few for chunks of "
                        f"block_size + 1 = {block_size + 1}; use a smaller block_size or "
                        f"more text")
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    offsets = ix[:, None] + torch.arange(block_size)
    x, y = data[offsets], data[offsets + 1]
    if torch.device(device).type != "cpu":
        x = x.to(device, non_blocking=True)
        y = y.to(device, non_blocking=True)
    return x, y
