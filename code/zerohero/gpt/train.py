"""Training the GPT as the lecture does, and the runs the chapter shows.

The loop is the lecture's: every ``eval_interval`` steps, estimate the
train and val loss over ``eval_iters`` random batches each; then draw a
training batch and take an AdamW step. Every random draw comes from the
global generator, seeded once before the model is built, in the lecture's
order: that is why the bigram baseline prints the video's numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import torch
import torch.nn as nn

from zerohero.gpt.milestones import MilestoneModel
from zerohero.gpt.model import GPT, BigramLanguageModel, GPTConfig, num_params
from zerohero.gpt.text import TextData, get_batch, load_shakespeare


@dataclass
class TrainConfig:
    """Optimisation settings. The defaults are the lecture's full run."""

    batch_size: int = 64
    max_iters: int = 5000
    eval_interval: int = 500
    eval_iters: int = 200
    learning_rate: float = 3e-4
    eval_last: bool = True  # gpt.py also evaluates at the last step
    seed: int = 1337

    def to_dict(self) -> dict:
        return asdict(self)


# "small": the lecture notebook's CPU-sized final model (0.21M parameters);
# "full": gpt.py's run on a GPU (10.8M); "tiny": for smoke tests.
PRESETS: dict[str, tuple[GPTConfig, TrainConfig]] = {
    "small": (GPTConfig(block_size=32, n_embd=64, n_head=4, n_layer=4,
                        dropout=0.0),
              TrainConfig(batch_size=16, max_iters=5000, eval_interval=100,
                          learning_rate=1e-3)),
    "full": (GPTConfig(block_size=256, n_embd=384, n_head=6, n_layer=6,
                       dropout=0.2),
             TrainConfig(batch_size=64, max_iters=5000, eval_interval=500,
                         learning_rate=3e-4)),
    "tiny": (GPTConfig(block_size=8, n_embd=16, n_head=2, n_layer=1,
                       dropout=0.0),
             TrainConfig(batch_size=8, max_iters=20, eval_interval=10,
                         eval_iters=2, learning_rate=1e-3)),
}


def preset(name: str, vocab_size: int = 65):
    """Copies of a preset's (GPTConfig, TrainConfig), for ``vocab_size``."""
    model_cfg, train_cfg = PRESETS[name]
    return replace(model_cfg, vocab_size=vocab_size), replace(train_cfg)


@torch.no_grad()
def estimate_loss(model: nn.Module, data: TextData, block_size: int,
                  batch_size: int, eval_iters: int,
                  device: str | torch.device = "cpu") -> dict[str, float]:
    """Mean loss over ``eval_iters`` random batches of each split."""
    out = {}
    model.eval()
    for split in ("train", "val"):
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(data.split(split), block_size, batch_size,
                             device=device)
            logits, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean().item()
    model.train()
    return out


@dataclass
class TrainState:
    """Where a run stands: the next iteration and the evaluations so far."""

    iter: int = 0
    history: list = field(default_factory=list)  # {"step", "train", "val"}


def train(model: nn.Module, optimizer: torch.optim.Optimizer,
          data: TextData, cfg: TrainConfig, block_size: int, *,
          state: TrainState | None = None, stop_at: int | None = None,
          on_step=None, device: str | torch.device = "cpu") -> TrainState:
    """Train from ``state.iter`` to ``cfg.max_iters``; the final state.

    ``stop_at`` ends early without changing the schedule, so a run resumed
    from there goes on as if it had never stopped. ``on_step(state)`` runs
    after each step: the command line's progress bar and checkpoints.
    """
    state = state or TrainState()
    end = cfg.max_iters if stop_at is None else min(stop_at, cfg.max_iters)
    for iter in range(state.iter, end):

        # every once in a while evaluate the loss on train and val sets
        last = cfg.eval_last and iter == cfg.max_iters - 1
        if iter % cfg.eval_interval == 0 or last:
            losses = estimate_loss(model, data, block_size, cfg.batch_size,
                                   cfg.eval_iters, device)
            state.history.append({"step": iter, **losses})

        # sample a batch of data
        xb, yb = get_batch(data.train, block_size, cfg.batch_size,
                           device=device)

        # evaluate the loss
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

        state.iter = iter + 1
        if on_step is not None:
            on_step(state)
    return state


def sample_text(model: nn.Module, tokenizer, n_chars: int, *,
                prompt: str = "\n", device: str | torch.device = "cpu",
                **kwargs) -> str:
    """``n_chars`` sampled characters after ``prompt`` (token 0, a newline,
    by default, as the lecture's ``torch.zeros((1, 1))``)."""
    idx = torch.tensor([tokenizer.encode(prompt)], device=device)
    out = model.generate(idx, n_chars, **kwargs)
    return tokenizer.decode(out[0, idx.size(1):].tolist())


def summary(model: nn.Module, state: TrainState, sample: str) -> dict:
    last = state.history[-1]
    return {"history": state.history, "train_loss": last["train"],
            "val_loss": last["val"], "final_step": last["step"],
            "sample": sample, "params": num_params(model)}


# -------------------------------------------------------------------------
# The runs the chapter shows


def bigram_baseline(seed: int = 1337, batch_size: int = 32,
                    block_size: int = 8, max_iters: int = 3000,
                    eval_interval: int = 300, eval_iters: int = 200,
                    learning_rate: float = 1e-2,
                    sample_chars: int = 500) -> dict:
    """The lecture's ``bigram.py``: its printed losses, to every digit."""
    data = load_shakespeare()
    torch.manual_seed(seed)
    model = BigramLanguageModel(data.tokenizer.vocab_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    cfg = TrainConfig(batch_size, max_iters, eval_interval, eval_iters,
                      learning_rate, eval_last=False)
    state = train(model, optimizer, data, cfg, block_size)
    # the lecture samples right after training, from the same generator
    sample = sample_text(model, data.tokenizer, sample_chars)
    return summary(model, state, sample)


def milestone(stage: str = "layernorm", seed: int = 1337,
              batch_size: int = 32, block_size: int = 8, n_embd: int = 32,
              n_head: int = 4, n_layer: int = 3, max_iters: int = 5000,
              eval_interval: int = 500, eval_iters: int = 200,
              learning_rate: float = 1e-3, video_scale: bool = False,
              tie_weights: bool = False, gpt_init: bool = False,
              sample_chars: int = 500) -> dict:
    """One of the lecture's intermediate models, at its small setting.

    ``video_scale=True`` scales attention by ``n_embd ** -0.5``, as the
    video's code did; ``gpt_init=True`` initialises as ``gpt.py`` does.
    """
    data = load_shakespeare()
    torch.manual_seed(seed)
    config = GPTConfig(
        vocab_size=data.tokenizer.vocab_size, block_size=block_size,
        n_embd=n_embd, n_head=n_head, n_layer=n_layer, dropout=0.0,
        attn_scale=n_embd ** -0.5 if video_scale else None,
        tie_weights=tie_weights, gpt_init=gpt_init)
    model = MilestoneModel(config, stage)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    cfg = TrainConfig(batch_size, max_iters, eval_interval, eval_iters,
                      learning_rate)
    state = train(model, optimizer, data, cfg, block_size)
    sample = sample_text(model, data.tokenizer, sample_chars)
    return summary(model, state, sample)


def small_gpt(sample_chars: int = 500) -> dict:
    """The lecture notebook's final model at CPU size: 209,729 parameters."""
    data = load_shakespeare()
    config, cfg = preset("small", data.tokenizer.vocab_size)
    torch.manual_seed(cfg.seed)
    model = GPT(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate)
    state = train(model, optimizer, data, cfg, config.block_size)
    sample = sample_text(model, data.tokenizer, sample_chars)
    return {**summary(model, state, sample),
            "state_dict": {k: v.detach().clone()
                           for k, v in model.state_dict().items()}}
