"""Token shards: the lecture's data format and its loader.

A corpus is tokenized once into shards, each a NumPy ``.npy`` array of
uint16 token ids (two bytes a token: enough for a vocabulary under 65,536),
named ``<prefix>_<split>_<index>.npy``; the first shard is validation, the
rest training, as build-nanogpt's ``fineweb.py`` writes them.
``DataLoaderLite`` walks through the shards in order, each process of a
distributed run reading its own slice of every batch.

``python -m zerohero.gpt2.data`` shards text files (or, on a connected
machine, FineWeb-Edu): see ``main``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch


def write_shard(path: str | os.PathLike, tokens) -> None:
    tokens = np.asarray(tokens)
    assert tokens.size == 0 or (0 <= tokens.min() and tokens.max() < 2**16), \
        "token ids must fit in uint16"
    np.save(path, tokens.astype(np.uint16))


def load_tokens(path: str | os.PathLike) -> torch.Tensor:
    # uint16 -> int32 in NumPy first: torch has no uint16 -> long cast
    return torch.tensor(np.load(path).astype(np.int32), dtype=torch.long)


def shard_paths(data_root: str | os.PathLike, split: str) -> list[Path]:
    return sorted(p for p in Path(data_root).glob("*.npy")
                  if f"_{split}_" in p.name)


class DataLoaderLite:
    """Batches of ``B`` rows of ``T`` tokens, in order, through the shards.

    Process ``process_rank`` of ``num_processes`` takes every
    ``num_processes``-th slice of ``B * T`` tokens, starting at its rank:
    together the processes read the tokens one process would read.
    """

    def __init__(self, B: int, T: int, process_rank: int, num_processes: int,
                 split: str, data_root: str | os.PathLike):
        assert split in ("train", "val")
        self.B, self.T = B, T
        self.process_rank = process_rank
        self.num_processes = num_processes
        self.shards = shard_paths(data_root, split)
        assert self.shards, f"no {split} shards in {data_root}"
        self.reset()

    def reset(self):
        self.current_shard = 0
        self.tokens = load_tokens(self.shards[0])
        self.current_position = self.B * self.T * self.process_rank

    def next_batch(self):
        B, T = self.B, self.T
        pos = self.current_position
        buf = self.tokens[pos:pos + B * T + 1]
        x = buf[:-1].view(B, T)  # inputs
        y = buf[1:].view(B, T)  # targets: the next token of each input
        self.current_position += B * T * self.num_processes
        # the next step of all processes would run off the end: go on with
        # the next shard. (The lecture tests each rank's own position, so
        # ranks above 0 could move on a step before rank 0.)
        step_start = self.current_position - B * T * self.process_rank
        if step_start + B * T * self.num_processes + 1 > len(self.tokens):
            self.current_shard = (self.current_shard + 1) % len(self.shards)
            self.tokens = load_tokens(self.shards[self.current_shard])
            self.current_position = B * T * self.process_rank
        return x, y

    def batches_per_epoch(self) -> int:
        """Batches each process reads before the loader starts over (one
        shard's worth when there is one shard)."""
        per_step = self.B * self.T * self.num_processes
        return sum((len(load_tokens(p)) - 1) // per_step for p in self.shards)

    # A checkpoint stores where the loader is, the same for every rank.
    def state_dict(self) -> dict:
        return {"shard": self.current_shard, "position":
                self.current_position - self.B * self.T * self.process_rank}

    def load_state_dict(self, state: dict):
        self.current_shard = state["shard"]
        self.tokens = load_tokens(self.shards[self.current_shard])
        self.current_position = (state["position"]
                                 + self.B * self.T * self.process_rank)


def shard(documents: Iterable[str], encode: Callable[[str], list[int]],
          out_dir: str | os.PathLike, prefix: str, shard_size: int,
          eot: int | None = None) -> list[Path]:
    """Tokenize ``documents`` into shards of ``shard_size`` tokens (the last
    holds the rest); ``eot``, if given, starts every document. Shard 0 is
    the validation split. The shards' paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths, buf, count = [], np.empty(shard_size, dtype=np.uint16), 0

    def flush(n):
        split = "val" if not paths else "train"
        path = out_dir / f"{prefix}_{split}_{len(paths):06d}.npy"
        write_shard(path, buf[:n])
        paths.append(path)

    for doc in documents:
        tokens = np.array(([eot] if eot is not None else []) + encode(doc),
                          dtype=np.int64)
        assert tokens.size == 0 or tokens.max() < 2**16, "ids over uint16"
        while count + len(tokens) >= shard_size:  # fill this shard, go on
            room = shard_size - count
            buf[count:] = tokens[:room]
            flush(shard_size)
            tokens, count = tokens[room:], 0
        buf[count:count + len(tokens)] = tokens
        count += len(tokens)
    if count:
        flush(count)
    return paths


def _tokenizer(spec: str):
    """``encode`` and the end-of-text id of ``gpt2`` (tiktoken, which
    downloads its file once) or of a chapter 8 ``.model`` file."""
    if spec == "gpt2":
        import tiktoken
        enc = tiktoken.get_encoding("gpt2")
        return enc.encode_ordinary, enc.eot_token
    from zerohero.tokenizer import RegexTokenizer
    tok = RegexTokenizer.from_model_text(Path(spec).read_text(encoding="utf-8"))
    return tok.encode, None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zerohero.gpt2.data",
        description="Tokenize text into uint16 .npy shards (shard 0: val).")
    parser.add_argument("files", nargs="*",
                        help="text files, one document each")
    parser.add_argument("--fineweb", metavar="NAME",
                        help="shard FineWeb-Edu's sample NAME (e.g. "
                             "sample-10BT) instead; needs `datasets` and "
                             "a network")
    parser.add_argument("--tokenizer", default="gpt2",
                        help="'gpt2' (tiktoken) or a .model file of chapter 8")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--prefix", default="shard")
    parser.add_argument("--shard-size", type=int, default=100_000_000)
    args = parser.parse_args(argv)
    if not args.files and not args.fineweb:
        parser.error("give text files or --fineweb NAME")
    encode, eot = _tokenizer(args.tokenizer)
    if args.fineweb:
        from datasets import load_dataset
        docs = (row["text"] for row in load_dataset(
            "HuggingFaceFW/fineweb-edu", name=args.fineweb, split="train",
            streaming=True))
    else:
        docs = (Path(f).read_text(encoding="utf-8") for f in args.files)
    for path in shard(docs, encode, args.out, args.prefix, args.shard_size,
                      eot):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
