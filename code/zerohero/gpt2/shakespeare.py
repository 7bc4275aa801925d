"""The book's GPT-2 runs: tiny Shakespeare in chapter 8's tokens, a model
small enough for a CPU, the lecture's recipe unchanged.

The text is split as chapter 7 splits it, the first 90% of its characters
for training, so that the two chapters' validation losses measure the same
text.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from zerohero.data import read_text
from zerohero.gpt2.data import write_shard
from zerohero.gpt2.model import GPTConfig, num_params, padded_vocab
from zerohero.gpt2.train import TrainConfig, launch, train


def tokenizer_from(result: dict):
    from zerohero.tokenizer import RegexTokenizer
    return RegexTokenizer.from_model_text(result["model"])


def tokenize_shakespeare(tokenizer: dict) -> dict:
    """Both splits of tiny Shakespeare in the tokens of ``tokenizer`` (the
    results of chapter 8's experiment), and their sizes in bytes."""
    tok = tokenizer_from(tokenizer)
    text = read_text("tinyshakespeare.txt")
    n = int(0.9 * len(text))
    start = time.perf_counter()
    out = {split: np.array(tok.encode(part), dtype=np.uint16)
           for split, part in (("train", text[:n]), ("val", text[n:]))}
    return {**out, "encode_seconds": time.perf_counter() - start,
            "vocab_size": tok.vocab_size, "model": tokenizer["model"],
            "train_bytes": len(text[:n].encode()),
            "val_bytes": len(text[n:].encode())}


def write_shards(tokens: dict, data_root) -> None:
    write_shard(Path(data_root) / "shakespeare_val_000000.npy", tokens["val"])
    write_shard(Path(data_root) / "shakespeare_train_000001.npy",
                tokens["train"])


def train_small(tokens: dict, n_layer: int = 4, n_head: int = 4,
                n_embd: int = 128, block_size: int = 256, B: int = 8,
                total_batch_size: int = 4096, max_lr: float = 3e-3,
                warmup_steps: int = 20, max_steps: int = 240,
                val_every: int = 40) -> dict:
    """The book's run: the lecture's loop and recipe at a CPU's size, in
    float32 (bfloat16's results would depend on the machine's kernels).
    Each validation reads the whole val split (``val_steps`` batches)."""
    config = GPTConfig(block_size=block_size, n_layer=n_layer, n_head=n_head,
                       n_embd=n_embd,
                       vocab_size=padded_vocab(tokens["vocab_size"]))
    val_steps = (len(tokens["val"]) - 1) // (B * block_size)
    with tempfile.TemporaryDirectory() as tmp:
        write_shards(tokens, tmp)
        cfg = TrainConfig(data_root=tmp, log_dir=tmp, B=B, T=block_size,
                          total_batch_size=total_batch_size, max_lr=max_lr,
                          min_lr=max_lr / 10, warmup_steps=warmup_steps,
                          max_steps=max_steps, val_every=val_every,
                          val_steps=val_steps, checkpoint_every=0,
                          device="cpu", bf16="off", verbose=False)
        model, log = train(config, cfg)
    return {"log": log, "config": config.__dict__, "train_config": cfg.__dict__,
            "params": num_params(model),
            "val_loss": log[-1]["val"],
            "val_tokens": val_steps * B * block_size,
            "state_dict": {k: v.detach().clone()
                           for k, v in model.state_dict().items()}}


def ddp_vs_single(tokens: dict, max_steps: int = 10, B: int = 4,
                  block_size: int = 256, n_layer: int = 4, n_head: int = 4,
                  n_embd: int = 128) -> dict:
    """The same steps twice: 2 processes (DDP, gloo) with 2 micro-steps
    each, and 1 process with 4 micro-steps, on the same batches."""
    model_args = ["--n-layer", n_layer, "--n-head", n_head, "--n-embd", n_embd,
                  "--block-size", block_size, "--vocab-size",
                  padded_vocab(tokens["vocab_size"])]
    train_args = ["--B", B, "--T", block_size, "--device", "cpu",
                  "--bf16", "off",
                  "--total-batch-size", 4 * B * block_size,
                  "--max-steps", max_steps, "--warmup-steps", 2,
                  "--val-every", max_steps, "--val-steps", 4,
                  "--checkpoint-every", max_steps, "--no-verbose"]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_shards(tokens, tmp)
        for name, nproc in (("ddp", 2), ("single", 1)):
            log_dir = Path(tmp) / name
            start = time.perf_counter()
            launch(nproc, model_args + train_args +
                   ["--data-root", tmp, "--log-dir", log_dir])
            ckpt = torch.load(log_dir / f"model_{max_steps:05d}.pt",
                              weights_only=False)
            out[name] = {"seconds": time.perf_counter() - start,
                         "log": json.loads((log_dir / "log.json").read_text()),
                         "state_dict": ckpt["model"]}
    a, b = out["ddp"]["state_dict"], out["single"]["state_dict"]
    out["max_param_diff"] = max((a[k] - b[k]).abs().max().item() for k in a)
    return out
