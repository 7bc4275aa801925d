"""Training the GPT as the lecture does, and the book's experiments (chapter 7).

The loop is the lecture's: every ``eval_interval`` steps, estimate the train and val loss over
``eval_iters`` random batches each; then draw a training batch, step AdamW. All random draws come
from the global generator seeded once with ``torch.manual_seed(seed)`` before the model is built,
in the lecture's order, which is why the bigram baseline reproduces the video's numbers exactly.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from typing import Callable

import torch
import torch.nn as nn

from zerohero.gpt.milestones import STAGES, MilestoneModel
from zerohero.gpt.model import (GPT, BigramLanguageModel, GPTConfig, ModelError, _loss,
                                num_params)
from zerohero.gpt.text import TextData, get_batch, load_shakespeare


@dataclass
class TrainConfig:
    """Optimisation hyperparameters (chapter 7). Defaults: the lecture's full run."""

    batch_size: int = 64
    max_iters: int = 5000
    eval_interval: int = 500
    eval_iters: int = 200
    learning_rate: float = 3e-4
    eval_last: bool = True  # also evaluate at the last step (gpt.py does, bigram.py does not)
    seed: int = 1337

    def __post_init__(self):
        for name in ("batch_size", "max_iters", "eval_interval", "eval_iters"):
            if getattr(self, name) < 1:
                raise ModelError(f"TrainConfig.{name} must be at least 1, "
                                 f"got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise ModelError(f"learning_rate must be positive, got {self.learning_rate}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ModelError(f"unknown TrainConfig field(s) {sorted(unknown)}; "
                             f"known: {sorted(known)}")
        return cls(**d)


# The two sizes of the lecture: "small" is the notebook's CPU-sized final model (0.21M
# parameters), "full" the gpt.py run on a GPU (10.8M). "tiny" is for smoke tests.
PRESETS: dict[str, tuple[GPTConfig, TrainConfig]] = {
    "small": (GPTConfig(block_size=32, n_embd=64, n_head=4, n_layer=4, dropout=0.0),
              TrainConfig(batch_size=16, max_iters=5000, eval_interval=100,
                          learning_rate=1e-3)),
    "full": (GPTConfig(block_size=256, n_embd=384, n_head=6, n_layer=6, dropout=0.2),
             TrainConfig(batch_size=64, max_iters=5000, eval_interval=500,
                         learning_rate=3e-4)),
    "tiny": (GPTConfig(block_size=8, n_embd=16, n_head=2, n_layer=1, dropout=0.0),
             TrainConfig(batch_size=8, max_iters=20, eval_interval=10, eval_iters=2,
                         learning_rate=1e-3)),
}


def preset(name: str, vocab_size: int = 65) -> tuple[GPTConfig, TrainConfig]:
    """Fresh copies of a preset's model and training configs, sized for ``vocab_size``."""
    if name not in PRESETS:
        raise ModelError(f"unknown config {name!r}; the presets are {', '.join(PRESETS)}")
    model_cfg, train_cfg = PRESETS[name]
    return (GPTConfig(**{**model_cfg.to_dict(), "vocab_size": vocab_size}),
            TrainConfig(**train_cfg.to_dict()))


def make_optimizer(model: nn.Module, learning_rate: float,
                   device: str | torch.device = "cpu") -> torch.optim.AdamW:
    """AdamW with the default betas and weight decay, as in the lecture.

    The fused kernel updates every parameter in one call; on CPU it gives the same numbers as
    the default loop here (the bigram baseline still reproduces the video to every digit).
    """
    fused = torch.device(device).type in ("cpu", "cuda")
    return torch.optim.AdamW(model.parameters(), lr=learning_rate, fused=fused)


EVAL_TOKENS = 4096  # at most this many tokens per forward pass in estimate_loss


@torch.inference_mode()  # no graph and none of autograd's bookkeeping; the same kernels
def estimate_loss(model: nn.Module, data: TextData, block_size: int, batch_size: int,
                  eval_iters: int, device: str | torch.device = "cpu") -> dict[str, float]:
    """Mean loss over ``eval_iters`` random batches of each split, in eval mode (chapter 7).

    Draws its batches from the global generator, train first, then val: as the lecture does.
    Each batch's loss is the lecture's, but several batches go through the model at once (up
    to ``EVAL_TOKENS`` tokens): every sequence is computed on its own, so this gives the same
    numbers as one forward pass per batch, with less overhead.
    """
    was_training = model.training
    model.eval()
    per_pass = max(1, EVAL_TOKENS // (block_size * batch_size))
    out = {}
    for split in ("train", "val"):
        batches = [get_batch(data.split(split), block_size, batch_size, device=device)
                   for _ in range(eval_iters)]
        losses = []
        for k in range(0, eval_iters, per_pass):
            xs, ys = zip(*batches[k:k + per_pass])
            logits, _ = model(torch.cat(xs))
            losses += [_loss(chunk, y) for chunk, y in zip(logits.split(batch_size), ys)]
        out[split] = torch.stack(losses).mean().item()  # one host sync per split
    model.train(was_training)
    return out


@dataclass
class TrainState:
    """Where a run stands: the next iteration and the evaluations so far."""

    iter: int = 0
    history: list = None  # [{"step", "train", "val"}, ...]
    train_seconds: float = 0.0  # time in training steps, evaluations excluded
    tokens: int = 0             # training tokens processed

    def __post_init__(self):
        self.history = [] if self.history is None else self.history

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.train_seconds if self.train_seconds else 0.0


def train(model: nn.Module, data: TextData, cfg: TrainConfig, *,
          optimizer: torch.optim.Optimizer | None = None, state: TrainState | None = None,
          device: str | torch.device = "cpu",
          on_eval: Callable[[int, dict], None] | None = None,
          on_step: Callable[[int, TrainState], None] | None = None,
          stop_at: int | None = None, block_size: int | None = None) -> TrainState:
    """Train ``model`` from ``state.iter`` to ``cfg.max_iters``; returns the final state.

    Batches are chunks of ``block_size`` tokens (default: the model's context length).
    ``stop_at`` ends this session early (before iteration ``stop_at``) without changing the
    schedule, so a run resumed from there continues exactly as if it had never stopped.
    ``on_eval(step, losses)`` is called after each evaluation, ``on_step(it, state)`` after
    each optimiser step (the command line draws its progress bar and checkpoints there). The
    loop never waits for the device except at evaluations.
    """
    block_size = block_size or getattr(model, "block_size", None)
    if block_size is None:
        raise ModelError(f"{type(model).__name__} has no block_size: pass train(..., "
                         f"block_size=N) for the length of the training chunks")
    optimizer = optimizer or make_optimizer(model, cfg.learning_rate, device)
    state = state or TrainState()
    model.train()
    end = cfg.max_iters if stop_at is None else min(stop_at, cfg.max_iters)
    for it in range(state.iter, end):
        if it % cfg.eval_interval == 0 or (cfg.eval_last and it == cfg.max_iters - 1):
            losses = estimate_loss(model, data, block_size, cfg.batch_size, cfg.eval_iters,
                                   device)
            state.history.append({"step": it, **losses})
            if on_eval is not None:
                on_eval(it, losses)
        start = time.perf_counter()
        xb, yb = get_batch(data.train, block_size, cfg.batch_size, device=device)
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        state.train_seconds += time.perf_counter() - start
        state.tokens += xb.numel()
        state.iter = it + 1
        if on_step is not None:
            on_step(it, state)
    return state


def sample_text(model: nn.Module, data: TextData, n_chars: int, *, prompt: str = "\n",
                device: str | torch.device = "cpu", **kwargs) -> str:
    """``n_chars`` sampled characters after ``prompt`` (token 0, a newline, by default)."""
    idx = torch.tensor([data.tokenizer.encode(prompt)], dtype=torch.long, device=device)
    out = model.generate(idx, n_chars, **kwargs)
    return data.tokenizer.decode(out[0, idx.size(1):].tolist())


def _results(model, state: TrainState, sample: str, **extra) -> dict:
    last = state.history[-1]
    return {"history": state.history, "train_loss": last["train"], "val_loss": last["val"],
            "final_step": last["step"], "sample": sample, "params": num_params(model),
            "tokens_per_second": state.tokens_per_second,
            "train_seconds": state.train_seconds, **extra}


# ---------------------------------------------------------------------------------------------
# The book's experiments


def bigram_baseline(seed: int = 1337, batch_size: int = 32, block_size: int = 8,
                    max_iters: int = 3000, eval_interval: int = 300, eval_iters: int = 200,
                    learning_rate: float = 1e-2, sample_chars: int = 500) -> dict:
    """The lecture's ``bigram.py`` (chapter 7): reproduces its printed losses exactly."""
    data = load_shakespeare()
    torch.manual_seed(seed)
    model = BigramLanguageModel(data.tokenizer.vocab_size)
    cfg = TrainConfig(batch_size=batch_size, max_iters=max_iters, eval_interval=eval_interval,
                      eval_iters=eval_iters, learning_rate=learning_rate, eval_last=False,
                      seed=seed)
    state = train(model, data, cfg, block_size=block_size)
    # the lecture samples right after training, from the same global generator
    sample = sample_text(model, data, sample_chars)
    return _results(model, state, sample, block_size=block_size)


def milestone(stage: str = "layernorm", seed: int = 1337, batch_size: int = 32,
              block_size: int = 8, n_embd: int = 32, n_head: int = 4, n_layer: int = 3,
              max_iters: int = 5000, eval_interval: int = 500, eval_iters: int = 200,
              learning_rate: float = 1e-3, video_scale: bool = False,
              tie_weights: bool = False, sample_chars: int = 500) -> dict:
    """One of the lecture's intermediate models at its small setting (chapter 7).

    ``video_scale=True`` scales attention by ``n_embd ** -0.5`` as the video's code did.
    """
    if stage not in STAGES:
        raise ModelError(f"unknown stage {stage!r}; the stages are {', '.join(STAGES)}")
    data = load_shakespeare()
    torch.manual_seed(seed)
    config = GPTConfig(vocab_size=data.tokenizer.vocab_size, block_size=block_size,
                       n_embd=n_embd, n_head=n_head, n_layer=n_layer, dropout=0.0,
                       attn_scale=n_embd ** -0.5 if video_scale else None,
                       tie_weights=tie_weights)
    model = MilestoneModel(config, stage)
    cfg = TrainConfig(batch_size=batch_size, max_iters=max_iters, eval_interval=eval_interval,
                      eval_iters=eval_iters, learning_rate=learning_rate, seed=seed)
    state = train(model, data, cfg)
    sample = sample_text(model, data, sample_chars)
    return _results(model, state, sample, stage=stage)


def train_preset(name: str, data: TextData | None = None, **overrides) -> tuple[GPT, dict]:
    """Build and train a preset model on CPU as the lecture does; (model, results)."""
    data = data or load_shakespeare()
    model_cfg, cfg = preset(name, data.tokenizer.vocab_size)
    model_over = {k: v for k, v in overrides.items() if k in model_cfg.to_dict()}
    train_over = {k: v for k, v in overrides.items() if k in cfg.to_dict()}
    unknown = set(overrides) - set(model_over) - set(train_over)
    if unknown:
        raise ModelError(f"unknown option(s) {sorted(unknown)}")
    model_cfg = GPTConfig(**{**model_cfg.to_dict(), **model_over})
    cfg = TrainConfig(**{**cfg.to_dict(), **train_over})
    torch.manual_seed(cfg.seed)
    model = GPT(model_cfg)
    state = train(model, data, cfg)
    return model, _results(model, state, "", config=model_cfg.to_dict(), train=cfg.to_dict())


def small_gpt(max_iters: int = 5000, attention: str = "sdpa", sample_chars: int = 500) -> dict:
    """The lecture notebook's final model at CPU size: 209,729 parameters (chapter 7)."""
    data = load_shakespeare()
    model, results = train_preset("small", data, max_iters=max_iters, attention=attention)
    results["sample"] = sample_text(model, data, sample_chars)
    results["state_dict"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return results
