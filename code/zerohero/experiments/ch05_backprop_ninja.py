"""Chapter 5: the network trained with gradients written by hand
(``manual_backprop.manual_train``)."""

import torch

from zerohero.experiments import Experiment
from zerohero.makemore import manual_backprop as mb
from zerohero.makemore.words import load_names, make_splits


def manual_backprop(max_steps=200_000, n_hidden=200):
    """Exercise 4 as the lecture runs it: initialise, train, calibrate
    BatchNorm on the training set, evaluate."""
    splits = make_splits(load_names(), 3)
    g = torch.Generator().manual_seed(mb.SEED)
    p = mb.init_params(len(splits.vocab), 3, 10, n_hidden, generator=g,
                       bn_generator=torch.Generator().manual_seed(mb.BN_SEED))
    losses = mb.manual_train(p, *splits.train, max_steps, generator=g)
    bnmean, bnvar = mb.calibrate(p, splits.train[0])
    return {"n_params": sum(t.nelement() for t in p.list()),
            "train": mb.split_loss(p, bnmean, bnvar, *splits.train),
            "val": mb.split_loss(p, bnmean, bnvar, *splits.val),
            "losses": losses, "params": p, "bnmean": bnmean, "bnvar": bnvar}


EXPERIMENTS = [
    Experiment("ch05-manual-backprop", manual_backprop, data=("names.txt",)),
]
