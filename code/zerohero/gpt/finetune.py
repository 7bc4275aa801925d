"""Exercise 3 of chapter 7: pre-train, then fine-tune on a smaller dataset.

The lecture's exercise pre-trains on a large corpus and fine-tunes on tiny Shakespeare. With no
larger corpus offline, this runs the same experiment one size down: the small GPT pre-trained on
tiny Shakespeare (1.1M characters, experiment ``gpt-small``) is fine-tuned on the 32,033 names
of the makemore chapters, against the same model trained on the names from scratch.
"""

from __future__ import annotations

import torch

from zerohero.gpt.model import GPT
from zerohero.gpt.text import TextData, load_shakespeare
from zerohero.gpt.train import TrainConfig, preset, train


def load_names_text(tokenizer) -> TextData:
    """names.txt as one text (a name per line) in tiny Shakespeare's characters, split 90/10."""
    from zerohero.data import read_text
    return TextData.from_text(read_text("names.txt"), tokenizer=tokenizer)


def finetune_names(pretrained: dict, max_iters: int = 500, eval_interval: int = 100, eval_iters: int = 50,
                   scratch_lr: float = 1e-3, finetune_lr: float = 1e-3,
                   seed: int = 1337) -> dict:
    """EX3 of chapter 7: names from scratch vs. names after Shakespeare.

    Same steps, batches and learning rate: only the starting weights differ.
    """
    data = load_names_text(load_shakespeare().tokenizer)
    model_cfg, _ = preset("small")
    results = {}
    for init, lr in (("scratch", scratch_lr), ("pretrained", finetune_lr)):
        torch.manual_seed(seed)
        model = GPT(model_cfg)
        if init == "pretrained":
            model.load_state_dict(pretrained["state_dict"])
        cfg = TrainConfig(batch_size=16, max_iters=max_iters, eval_interval=eval_interval,
                          eval_iters=eval_iters, learning_rate=lr, seed=seed)
        results[init] = train(model, data, cfg).history
    return results
