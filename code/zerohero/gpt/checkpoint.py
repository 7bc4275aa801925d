"""Checkpoints of a GPT run: written atomically, read back with clear errors (chapter 7).

A checkpoint holds everything a run needs to go on exactly where it stopped: the model and
optimiser states, both configs, the tokenizer's characters, the evaluations so far and the
random generators' states. Resuming from it gives the same numbers as never having stopped.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from zerohero.gpt.model import GPT, GPTConfig, ModelError
from zerohero.gpt.text import CharTokenizer
from zerohero.gpt.train import TrainConfig, TrainState, make_optimizer

FORMAT = "zerohero.gpt/1"
KEYS = ("format", "model_config", "train_config", "model", "optimizer", "iter", "history",
        "train_seconds", "tokens", "chars", "rng")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or used; the message says which file and what to do."""


def save_checkpoint(path: str | os.PathLike, model: GPT, optimizer: torch.optim.Optimizer,
                    train_config: TrainConfig, state: TrainState,
                    tokenizer: CharTokenizer) -> Path:
    """Write a checkpoint to ``path`` atomically: a temp file beside it, then a rename."""
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
        "train_seconds": state.train_seconds,
        "tokens": state.tokens,
        "chars": tokenizer.chars,
        "rng": rng,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Read and validate a checkpoint; ``CheckpointError`` if it is missing or not one."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}; train first with "
                              f"`python -m zerohero.gpt train --out-dir {path.parent}`")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:
        raise CheckpointError(f"{path} is not a readable checkpoint ({type(err).__name__}: "
                              f"{str(err).splitlines()[0][:200]}); it may be truncated or not "
                              f"written by zerohero.gpt: delete it and train again") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        found = ckpt.get("format") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"{path} is not a {FORMAT} checkpoint (found {found!r}); "
                              f"train again with `python -m zerohero.gpt train`")
    missing = [k for k in KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}: it is incomplete; "
                              f"delete it and train again")
    return ckpt


@dataclass
class Restored:
    """What a checkpoint rebuilds: the run's pieces, ready to go on or to sample from."""

    model: GPT
    optimizer: torch.optim.Optimizer
    train_config: TrainConfig
    state: TrainState
    tokenizer: CharTokenizer
    rng: dict


def restore(ckpt: dict, device: str | torch.device = "cpu") -> Restored:
    """Rebuild model, optimiser, configs and progress from a loaded checkpoint."""
    try:
        model_config = GPTConfig.from_dict(ckpt["model_config"])
        train_config = TrainConfig.from_dict(ckpt["train_config"])
        model = GPT(model_config).to(device)
        model.load_state_dict(ckpt["model"])
        optimizer = make_optimizer(model, train_config.learning_rate, device)
        optimizer.load_state_dict(ckpt["optimizer"])
    except (ModelError, RuntimeError, KeyError, ValueError, TypeError) as err:
        raise CheckpointError(f"the checkpoint does not fit the GPT code: "
                              f"{str(err).splitlines()[0][:300]}") from None
    state = TrainState(iter=ckpt["iter"], history=list(ckpt["history"]),
                       train_seconds=ckpt["train_seconds"], tokens=ckpt["tokens"])
    return Restored(model, optimizer, train_config, state, CharTokenizer(ckpt["chars"]),
                    ckpt["rng"])


def set_rng_state(rng: dict) -> None:
    """Put the random generators back where the checkpoint left them."""
    torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
