"""Exercise 3 of chapter 7: pre-train, then fine-tune on a smaller dataset.

The lecture's exercise pre-trains on a large corpus and fine-tunes on tiny
Shakespeare. With no larger corpus offline, this runs the same experiment
one size down: the small GPT pre-trained on tiny Shakespeare (1.1M
characters) is fine-tuned on the 32,033 names of the makemore chapters,
against the same model trained on the names from scratch.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from zerohero.gpt.model import GPT
from zerohero.gpt.text import TextData, load_shakespeare
from zerohero.gpt.train import preset, train


def load_names_text(tokenizer) -> TextData:
    """names.txt as one text, a name a line, in Shakespeare's characters."""
    from zerohero.data import read_text
    return TextData.from_text(read_text("names.txt"), tokenizer=tokenizer)


def finetune_names(pretrained: dict, max_iters: int = 500,
                   eval_interval: int = 100, eval_iters: int = 50,
                   scratch_lr: float = 1e-3, finetune_lr: float = 1e-3,
                   low_lr: float = 3e-4, seed: int = 1337) -> dict:
    """Names from scratch vs. names after Shakespeare: the val curves.

    "scratch" and "pretrained": the same steps, batches and learning rate,
    so only the starting weights differ. "pretrained-low-lr": the
    exercise's recipe, fine-tuning at a lower learning rate.
    """
    data = load_names_text(load_shakespeare().tokenizer)
    config, cfg = preset("small")
    cfg = replace(cfg, max_iters=max_iters, eval_interval=eval_interval,
                  eval_iters=eval_iters)
    results = {}
    for init, lr in (("scratch", scratch_lr), ("pretrained", finetune_lr),
                     ("pretrained-low-lr", low_lr)):
        torch.manual_seed(seed)
        model = GPT(config)
        if init.startswith("pretrained"):
            model.load_state_dict(pretrained["state_dict"])
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        state = train(model, optimizer, data, cfg, config.block_size)
        results[init] = state.history
    return results
