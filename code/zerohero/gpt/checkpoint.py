"""Checkpoints of a GPT run: written atomically, read back with clear errors.

A checkpoint holds what a run needs to go on exactly where it stopped: the
model and optimiser states, both configs, the tokenizer's characters, the
evaluations so far and the random generators' states. Resuming from it
gives the same numbers as never having stopped. The command line's files:
their errors say which file is wrong and what to do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from zerohero import atomic
from zerohero.gpt.model import GPT, GPTConfig
from zerohero.gpt.text import CharTokenizer
from zerohero.gpt.train import TrainConfig, TrainState

FORMAT = "zerohero.gpt/2"
KEYS = ("format", "model_config", "train_config", "model", "optimizer",
        "iter", "history", "chars", "rng")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or used: which file, what to do."""


def save_checkpoint(path: str | os.PathLike, model: GPT,
                    optimizer: torch.optim.Optimizer,
                    train_config: TrainConfig, state: TrainState,
                    tokenizer: CharTokenizer) -> Path:
    """Write a checkpoint to ``path``: a temp file beside it, then a rename,
    so a crash never leaves half a checkpoint."""
    path = Path(path)
    rng = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    payload = {
        "format": FORMAT,
        "model_config": model.config.to_dict(),
        "train_config": train_config.to_dict(),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "iter": state.iter,
        "history": state.history,
        "chars": tokenizer.chars,
        "rng": rng,
    }
    atomic.save(payload, path)
    return path


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Read and check a checkpoint; ``CheckpointError`` if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"no checkpoint at {path}; train first with "
            f"`python -m zerohero.gpt train --out-dir {path.parent}`")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:
        first = str(err).splitlines()[0][:200]
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(err).__name__}: "
            f"{first}); it may be truncated or not written by zerohero.gpt: "
            f"delete it and train again") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        found = (ckpt.get("format") if isinstance(ckpt, dict)
                 else type(ckpt).__name__)
        raise CheckpointError(
            f"{path} is not a {FORMAT} checkpoint (found {found!r}); "
            f"train again with `python -m zerohero.gpt train`")
    missing = [k for k in KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}: it is "
                              f"incomplete; delete it and train again")
    return ckpt


@dataclass
class Restored:
    """What a checkpoint rebuilds: a run, ready to go on or to sample."""

    model: GPT
    optimizer: torch.optim.Optimizer
    train_config: TrainConfig
    state: TrainState
    tokenizer: CharTokenizer
    rng: dict


def restore(ckpt: dict, device: str | torch.device = "cpu") -> Restored:
    """Rebuild model, optimiser, configs and progress from a checkpoint."""
    try:
        model_config = GPTConfig(**ckpt["model_config"])
        train_config = TrainConfig(**ckpt["train_config"])
        model = GPT(model_config).to(device)
        model.load_state_dict(ckpt["model"])
        optimizer = torch.optim.AdamW(model.parameters(),
                                      lr=train_config.learning_rate)
        optimizer.load_state_dict(ckpt["optimizer"])
    except (AssertionError, RuntimeError, KeyError, ValueError,
            TypeError) as err:
        first = str(err).splitlines()[0][:300] if str(err) else repr(err)
        raise CheckpointError(f"the checkpoint does not fit the GPT code: "
                              f"{first}") from None
    state = TrainState(iter=ckpt["iter"], history=list(ckpt["history"]))
    return Restored(model, optimizer, train_config, state,
                    CharTokenizer(ckpt["chars"]), ckpt["rng"])


def set_rng_state(rng: dict) -> None:
    """Put the random generators back where the checkpoint left them."""
    torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
