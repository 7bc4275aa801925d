"""Chapter 4: the lecture's fixes one by one, the deep network, BatchNorm.

Every experiment trains with ``batchnorm.train``, the loop the chapter
shows. The loss log's first row, the original initialisation, is chapter
3's ``mlp`` experiment: the same network, seed and steps.
"""

import torch

from zerohero.experiments import Experiment
from zerohero.makemore import batchnorm as bn
from zerohero.makemore.layers import Tanh, split_loss
from zerohero.makemore.mlp import step_decay
from zerohero.makemore.words import load_names, make_splits

NAMES = ("names.txt",)


def loss_log_row(variant="batchnorm", steps=200_000, batch_size=32,
                 n_embd=10, n_hidden=200, block_size=3, seed=bn.SEED):
    """One row of the lecture's loss log: train ``RevisitedMLP(variant)``."""
    splits = make_splits(load_names(), block_size)
    g = torch.Generator().manual_seed(seed)
    model = bn.RevisitedMLP(variant, len(splits.vocab), block_size, n_embd,
                            n_hidden, generator=g)
    history = bn.train(model, *splits.train, steps=steps, generator=g,
                       batch_size=batch_size, lr=step_decay(at=steps // 2))
    return {
        "variant": variant,
        "n_params": sum(p.nelement() for p in model.parameters()),
        "train": split_loss(model, *splits.train),
        "val": split_loss(model, *splits.val),
        "losses": history.losses,
        "state": model.state_dict(),
    }


def layer_snapshot(model):
    """Tanh outputs and their gradients, 2-D weights and their gradients."""
    tanh = [(i, layer) for i, layer in enumerate(model.layers[:-1])
            if isinstance(layer, Tanh)]
    params = model.parameters()
    return {
        "tanh_index": [i for i, _ in tanh],
        "tanh_out": [layer.out.detach().clone() for _, layer in tanh],
        "tanh_grad": [layer.out.grad.clone() for _, layer in tanh],
        "weight_index": [k for k, p in enumerate(params) if p.ndim == 2],
        "weights": [p.detach().clone() for p in params if p.ndim == 2],
        "weight_grads": [p.grad.clone() for p in params if p.ndim == 2],
    }


def release(model):
    """Drop the layer outputs and gradients of the last step (to store it)."""
    for layer in model.layers:
        layer.__dict__.pop("out", None)
    for p in model.parameters():
        p.grad = None
        p.requires_grad_(False)
    return model


def deep(steps=1001, batch_size=32, n_embd=10, n_hidden=100, block_size=3,
         gain=1.0, last_scale=0.1, batchnorm=True, lr=0.1, seed=bn.SEED):
    """The deep network, trained as the lecture did for its figures.

    The lecture's loop stops with ``if i >= 1000: break`` after the update
    of step 1000: 1001 steps, all of them at the learning rate ``lr``.
    """
    splits = make_splits(load_names(), block_size)
    g = torch.Generator().manual_seed(seed)
    model = bn.DeepMLP(len(splits.vocab), block_size, n_embd, n_hidden,
                       batchnorm=batchnorm, gain=gain, last_scale=last_scale,
                       generator=g)
    history = bn.train(model, *splits.train, steps=steps, generator=g,
                       batch_size=batch_size, lr=step_decay(lr, at=150_000),
                       track_updates=True, retain_grads=True)
    snapshot = layer_snapshot(model)  # before split_loss overwrites .out
    params = model.parameters()
    return {
        "n_params": sum(p.nelement() for p in params),
        "train": split_loss(model, *splits.train),
        "val": split_loss(model, *splits.val),
        "losses": history.losses,
        "update_ratios": history.update_ratios,
        "param_shapes": [tuple(p.shape) for p in params],
        **snapshot,
        "model": release(model),
    }


def zero_init(steps=20_000, batch_size=32, n_embd=10, n_hidden=200,
              block_size=3, seed=bn.SEED):
    """Exercise: every weight and bias of the MLP zero, then trained."""
    splits = make_splits(load_names(), block_size)
    g = torch.Generator().manual_seed(seed)
    model = bn.RevisitedMLP("kaiming", len(splits.vocab), block_size, n_embd,
                            n_hidden, generator=g)
    names = ("C", "W1", "b1", "W2", "b2")
    with torch.no_grad():
        for name in names:
            getattr(model, name).zero_()
    history = bn.train(model, *splits.train, steps=steps, generator=g,
                       batch_size=batch_size, lr=step_decay(at=steps))
    changed = {k: float(getattr(model, k).detach().abs().max())
               for k in names}  # how far each moved from zero
    return {
        "train": split_loss(model, *splits.train),
        "val": split_loss(model, *splits.val),
        "losses": history.losses,
        "changed": changed,
        "state": model.state_dict(),
    }


# Gains tried on the deep network with BatchNorm (ch04-deep is gain 1).
DEEP_GAINS = {"0.2": 0.2, "5over3": 5 / 3, "3": 3.0}
PLAIN_LRS = (0.1, 0.001)

EXPERIMENTS = [
    Experiment(f"ch04-{variant.replace('_', '-')}", loss_log_row,
               dict(variant=variant), data=NAMES)
    for variant in ("fix_softmax", "fix_tanh", "kaiming", "batchnorm")
] + [
    Experiment("ch04-deep", deep, data=NAMES),
] + [
    # With BatchNorm the forward pass ignores the gain, the updates do not.
    Experiment(f"ch04-deep-gain-{name}", deep, dict(gain=gain), data=NAMES)
    for name, gain in DEEP_GAINS.items()
] + [
    # The plain tanh network (gain 5/3) at a good and a far too low rate.
    Experiment(f"ch04-deep-plain-lr-{lr}", deep,
               dict(batchnorm=False, gain=5 / 3, lr=lr), data=NAMES)
    for lr in PLAIN_LRS
] + [
    Experiment("ch04-zero-init", zero_init, data=NAMES),
]
