"""Chapter 6: the rows of the lecture's performance log, one experiment
each, trained by the chapter's own loop (``wavenet.train``)."""

from dataclasses import asdict

import torch

from zerohero.experiments import Experiment
from zerohero.makemore import wavenet
from zerohero.makemore.layers import split_loss
from zerohero.makemore.words import load_names, make_splits


def performance_log(block_size=8, n_embd=24, n_hidden=128,
                    hierarchical=True, bn_reduce_time=True,
                    max_steps=200_000):
    """One row of the performance log: seed, build, train, evaluate."""
    splits = make_splits(load_names(), block_size)
    cfg = wavenet.WaveNetConfig(len(splits.vocab), block_size, n_embd,
                                n_hidden, hierarchical,
                                bn_reduce_time=bn_reduce_time)
    torch.manual_seed(42)
    model = wavenet.build_model(cfg)
    losses = wavenet.train(model, *splits.train, max_steps=max_steps)
    results = {split: split_loss(model, *splits[split])
               for split in ("train", "val", "test")}
    for layer in [model, *model.layers]:
        del layer.out  # the last batch's activations: not worth storing
    return {"config": asdict(cfg), "n_params": wavenet.count_parameters(model),
            "losses": losses, "model": model, **results}


NAMES = ("names.txt",)

EXPERIMENTS = [
    Experiment("wavenet_original", performance_log,
               dict(block_size=3, n_embd=10, n_hidden=200,
                    hierarchical=False), data=NAMES),
    Experiment("wavenet_context8", performance_log,
               dict(block_size=8, n_embd=10, n_hidden=200,
                    hierarchical=False), data=NAMES),
    Experiment("wavenet_hierarchical_bnbug", performance_log,
               dict(n_embd=10, n_hidden=68, bn_reduce_time=False),
               data=NAMES),
    Experiment("wavenet_hierarchical", performance_log,
               dict(n_embd=10, n_hidden=68), data=NAMES),
    Experiment("wavenet_scaled", performance_log,
               dict(n_embd=24, n_hidden=128), data=NAMES),
]
