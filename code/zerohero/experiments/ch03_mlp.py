"""Chapter 3: the MLP language model, its learning-rate finder, the exercises.

Each experiment builds the lecture's splits and network and trains it with
``mlp.train``, the loop the chapter shows. Chapter 4 reads ``mlp`` as the
first row of its loss log (the same network, seed and steps).
"""

from dataclasses import asdict

import torch

from zerohero.experiments import Experiment
from zerohero.makemore import mlp
from zerohero.makemore.words import load_names, make_splits

NAMES = ("names.txt",)


def train_mlp(block_size=3, n_embd=10, n_hidden=200, init="lecture",
              direct=False, steps=200_000, batch_size=32, lr=0.1,
              lr_decay_at=100_000, lr_decayed=0.01, seed=mlp.LECTURE_SEED):
    """The lecture's final model by default: train it and evaluate it.

    The parameters and then the minibatches come from one generator seeded
    with ``seed`` (the lecture drew its minibatches unseeded).
    """
    splits = make_splits(load_names(), block_size)
    config = mlp.MLPConfig(len(splits.vocab), block_size, n_embd, n_hidden,
                           init, direct)
    g = torch.Generator().manual_seed(seed)
    model = mlp.MLP(config, g)
    losses = mlp.train(model, *splits.train, steps, batch_size,
                       mlp.step_decay(lr, lr_decay_at, lr_decayed), g)
    return {"config": asdict(config), "state": model.state_dict(),
            "losses": losses, "n_params": model.num_parameters(),
            **mlp.split_losses(model, splits)}


def lr_finder(n_embd=2, n_hidden=100, steps=1000, lre_min=-3.0, lre_max=0.0,
              batch_size=32, seed=mlp.LECTURE_SEED):
    """Step i at lr = 10**lre[i], lre from -3 to 0, on the small network."""
    splits = make_splits(load_names(), 3)
    g = torch.Generator().manual_seed(seed)
    model = mlp.MLP(mlp.MLPConfig(len(splits.vocab), 3, n_embd, n_hidden), g)
    lre = torch.linspace(lre_min, lre_max, steps)
    lrs = 10 ** lre
    losses = mlp.train(model, *splits.train, steps, batch_size,
                       lambda i: lrs[i], g)
    return {"lre": lre, "losses": losses, "n_params": model.num_parameters()}


# Exercise 1: the calibrated init (exercise 2), four characters of context,
# batches of 64 and half the lecture's steps.
TUNED = dict(init="calibrated", block_size=4, steps=100_000, batch_size=64,
             lr_decay_at=70_000)

# The lecture's two experiments before its final model, at one budget of
# steps so that only the size changes: the hidden layer grows from 100 to
# 300 units (embeddings of 2 dimensions), then the embeddings grow from 2 to
# 10 dimensions (200 hidden units).
SHORT = dict(steps=50_000, lr_decay_at=40_000)

EXPERIMENTS = [
    Experiment("mlp", train_mlp, data=NAMES),
    Experiment("mlp_h100", train_mlp, dict(n_embd=2, n_hidden=100, **SHORT),
               data=NAMES),
    Experiment("mlp_emb2", train_mlp, dict(n_embd=2, n_hidden=300, **SHORT),
               data=NAMES),
    Experiment("mlp_emb10", train_mlp, dict(n_embd=10, n_hidden=200, **SHORT),
               data=NAMES),
    Experiment("mlp_tuned", train_mlp, dict(TUNED), data=NAMES),
    Experiment("mlp_tuned_direct", train_mlp, dict(direct=True, **TUNED),
               data=NAMES),
    Experiment("mlp_lr_finder", lr_finder, data=NAMES),
]
