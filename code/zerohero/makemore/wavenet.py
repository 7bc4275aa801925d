"""makemore part 5: from a flat MLP to a WaveNet-like hierarchy (chapter 6).

The models are stacks of the from-scratch layers of ``zerohero.makemore.layers``:

- the *flat* MLP of chapters 3-4: embed the whole context, concatenate it, one hidden layer;
- the *hierarchical* model: fuse two neighbouring characters, then two neighbouring pairs,
  then two neighbouring quadruples, ... (van den Oord et al. 2016), so that information
  enters the network gradually instead of being squashed into one layer.

``performance_log`` is the lecture's training loop (``torch.manual_seed(42)``, batch 32,
200,000 steps, learning rate 0.1 then 0.01) registered as one experiment per row of the
lecture's performance log. ``dilated_logits`` evaluates a trained hierarchical model as the
dilated causal convolution it is: every position of a sequence at once.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from zerohero.makemore import fast_train
from zerohero.makemore.layers import (BatchNorm1d, Embedding, Flatten, FlattenConsecutive,
                                      Linear, Module, Sequential, Tanh)


@dataclass
class WaveNetConfig:
    """Hyperparameters of the chapter-6 models (defaults: the lecture's final, 76,579-parameter
    model)."""

    vocab_size: int = 27
    block_size: int = 8  # characters of context
    n_embd: int = 24  # dimensions of a character embedding
    n_hidden: int = 128  # neurons of each hidden layer
    hierarchical: bool = True  # False: the flat MLP of chapters 3-4
    fan: int = 2  # groups fused per level of the hierarchy
    # False reproduces the lecture's bug: BatchNorm1d statistics over the batch dim only
    bn_reduce_time: bool = True

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_embd", "n_hidden", "fan"):
            if getattr(self, name) < 1:
                raise ValueError(f"WaveNetConfig.{name} must be positive, "
                                 f"got {getattr(self, name)}")
        if self.hierarchical:
            if self.fan < 2:
                raise ValueError(f"a hierarchy needs fan >= 2, got fan={self.fan}")
            if self.block_size != self.fan ** self.levels:
                raise ValueError(
                    f"a hierarchical model with fan {self.fan} needs block_size a power of "
                    f"{self.fan} (e.g. {self.fan ** max(1, self.levels)}), got {self.block_size}; "
                    f"change block_size or use hierarchical=False")

    @property
    def levels(self) -> int:
        """Levels of the hierarchy: log_fan(block_size)."""
        return max(1, round(math.log(self.block_size, self.fan))) if self.hierarchical else 1


def flat_mlp(cfg: WaveNetConfig, generator=None) -> Sequential:
    """Chapter 4's network as layers: embed, concatenate all ``block_size`` characters, one
    hidden layer (chapter 6)."""
    return Sequential([
        Embedding(cfg.vocab_size, cfg.n_embd, generator=generator),
        Flatten(),
        Linear(cfg.n_embd * cfg.block_size, cfg.n_hidden, bias=False, generator=generator),
        BatchNorm1d(cfg.n_hidden, reduce_time=cfg.bn_reduce_time), Tanh(),
        Linear(cfg.n_hidden, cfg.vocab_size, generator=generator),
    ])


def hierarchical_mlp(cfg: WaveNetConfig, generator=None) -> Sequential:
    """The WaveNet-like tree: each level fuses ``fan`` neighbours (chapter 6).

    (B, 8) indices -> (B, 8, n_embd) -> (B, 4, 2 n_embd) -> (B, 4, n_hidden) -> (B, 2, ...)
    -> ... -> (B, n_hidden) -> (B, vocab_size) logits. The Linear layers before a BatchNorm
    have no bias: BatchNorm's mean subtraction would cancel it (chapter 4).
    """
    layers = [Embedding(cfg.vocab_size, cfg.n_embd, generator=generator)]
    width = cfg.n_embd
    for _ in range(cfg.levels):
        layers += [FlattenConsecutive(cfg.fan),
                   Linear(width * cfg.fan, cfg.n_hidden, bias=False, generator=generator),
                   BatchNorm1d(cfg.n_hidden, reduce_time=cfg.bn_reduce_time), Tanh()]
        width = cfg.n_hidden
    layers.append(Linear(cfg.n_hidden, cfg.vocab_size, generator=generator))
    return Sequential(layers)


def build_model(cfg: WaveNetConfig, generator=None) -> Sequential:
    """The model of ``cfg``, initialised as in the lecture (chapter 6).

    Draws from ``generator`` (default: torch's global generator, which the lecture seeds with
    ``torch.manual_seed(42)``), in layer order. The last layer's weights are scaled by 0.1 so
    that the initial predictions are nearly uniform (chapter 4).
    """
    model = hierarchical_mlp(cfg, generator) if cfg.hierarchical else flat_mlp(cfg, generator)
    with torch.no_grad():
        model.layers[-1].weight *= 0.1
    for p in model.parameters():
        p.requires_grad = True
    return model


def count_parameters(model: Module) -> int:
    """Number of trainable numbers (chapter 6)."""
    return sum(p.nelement() for p in model.parameters())


def _holds_tensors(value) -> bool:
    # A layer, or a model object of this package that is not a Module (chapter 2's NeuralBigram).
    return isinstance(value, Module) or (type(value).__module__.startswith("zerohero.")
                                         and hasattr(value, "__dict__"))


def state_dict(module: Module, prefix: str = "") -> dict[str, torch.Tensor]:
    """Every tensor a layers-style model holds (parameters and BatchNorm running statistics),
    by dotted name, e.g. ``layers.3.running_mean`` (chapter 6; the makemore CLI saves models
    with it). Cached activations (``out``) are left out."""
    state = {}
    for name, value in vars(module).items():
        if name == "out":
            continue
        if isinstance(value, torch.Tensor):
            state[prefix + name] = value
        elif _holds_tensors(value):
            state.update(state_dict(value, f"{prefix}{name}."))
        elif isinstance(value, (list, tuple)) and value and all(map(_holds_tensors, value)):
            for i, child in enumerate(value):
                state.update(state_dict(child, f"{prefix}{name}.{i}."))
    return state


def _fits_buffer(saved: torch.Tensor, own: torch.Tensor) -> bool:
    # BatchNorm's running statistics take the keepdim shape of the batch statistics after the
    # first step: (1, 1, C) for 3-D input, (1, T, C) with the lecture's bug, where a fresh layer
    # holds (C,). Such buffers fit if they broadcast against the fresh one over the same C.
    if own.requires_grad or saved.ndim == 0 or saved.shape[-1:] != own.shape[-1:]:
        return False
    try:
        return torch.broadcast_shapes(saved.shape, own.shape) == saved.shape
    except RuntimeError:
        return False


def load_state_dict(module: Module, state: dict[str, torch.Tensor], device=None) -> None:
    """Put the tensors of ``state`` (from ``state_dict``) into ``module`` (chapter 6).

    Names and shapes must match, so a state saved from another architecture is refused with a
    message naming the first difference. Trainable tensors stay trainable. ``device``: where to
    put them (default: where the model's tensors are).
    """
    own = state_dict(module)
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        raise ValueError(f"the saved state does not fit this model: missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]}")
    for name, tensor in own.items():
        if tensor.shape != state[name].shape and not _fits_buffer(state[name], tensor):
            raise ValueError(f"the saved state does not fit this model: {name} has shape "
                             f"{tuple(state[name].shape)}, the model wants {tuple(tensor.shape)}")
    for name, tensor in own.items():
        *path, attr = name.split(".")
        owner = module
        for part in path:
            owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
        value = state[name].detach().to(device or tensor.device, copy=True)
        setattr(owner, attr, value.requires_grad_(tensor.requires_grad))


@torch.no_grad()
def split_loss(model: Module, X: torch.Tensor, Y: torch.Tensor) -> float:
    """Cross-entropy of the whole split in one forward pass in eval mode, as the lecture's
    ``split_loss`` (chapter 6). The model is left in eval mode."""
    model.eval()
    return F.cross_entropy(model(X), Y).item()


def train(model: Module, X: torch.Tensor, Y: torch.Tensor, *, max_steps: int = 200_000,
          batch_size: int = 32, lr: float = 0.1, lr_late: float = 0.01,
          decay_step: int | None = None, generator=None) -> torch.Tensor:
    """Minibatch SGD with one step decay of the learning rate, as in the lecture (chapter 6).

    ``decay_step`` defaults to 3/4 of ``max_steps`` (150,000 of 200,000). Minibatches come from
    ``generator`` (default the global one) *after* the model's initialisation drew its weights:
    that order of draws is what makes the lecture's numbers reproduce. Returns the loss of every
    step (float32 tensor).
    """
    if max_steps < 1 or batch_size < 1:
        raise ValueError(f"max_steps and batch_size must be positive, "
                         f"got {max_steps}, {batch_size}")
    decay_step = int(0.75 * max_steps) if decay_step is None else decay_step
    parameters = model.parameters()
    losses = torch.empty(max_steps)
    model.train()
    for i in range(max_steps):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=generator)
        loss = F.cross_entropy(model(X[ix]), Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        step = lr if i < decay_step else lr_late
        for p in parameters:
            p.data += -step * p.grad
        losses[i] = loss.detach()
    return losses


def window_means(losses: torch.Tensor, window: int = 1000) -> torch.Tensor:
    """Mean of log10(loss) over consecutive windows: the lecture's smoothed loss curve
    (chapter 6)."""
    n = len(losses) // window * window
    if n == 0:
        raise ValueError(f"need at least {window} losses to average over windows of {window}")
    return losses[:n].log10().view(-1, window).mean(1)


# The lecture's performance log: one experiment per row (chapter 6, "performance log").
LECTURE_LOG = {
    # name: (description, parameters, train, val) as printed in the lecture
    "wavenet_original": ("original (context 3, 200 hidden)", 12_097, 2.058, 2.105),
    "wavenet_context8": ("context 3 → 8, flat", 22_097, 1.918, 2.027),
    "wavenet_hierarchical_bnbug": ("flat → hierarchical (with the BatchNorm bug)", 22_397,
                                   1.941, 2.029),
    "wavenet_hierarchical": ("fix the BatchNorm bug", 22_397, 1.912, 2.022),
    "wavenet_scaled": ("scale up: n_embd 24, n_hidden 128", 76_579, 1.769, 1.993),
}
# The final run's full-precision numbers and logged losses (every 10,000 steps), as printed.
LECTURE_FINAL = {"train": 1.7690284252166748, "val": 1.9936515092849731}
LECTURE_FINAL_LOGGED = [3.3167, 2.0576, 2.0723, 2.5134, 2.1476, 1.7836, 2.2592, 1.9331, 1.6875,
                        2.0395, 1.7736, 1.9570, 1.7465, 1.8126, 1.7406, 1.7466, 1.8806, 1.6266,
                        1.6476, 1.8555]


def performance_log(block_size: int = 8, n_embd: int = 24, n_hidden: int = 128,
                    hierarchical: bool = True, bn_reduce_time: bool = True,
                    max_steps: int = 200_000, batch_size: int = 32, seed: int = 42) -> dict:
    """One row of the lecture's performance log (chapter 6): seed, build, train, evaluate."""
    from zerohero.makemore.words import load_names, make_splits
    splits = make_splits(load_names(), block_size)
    cfg = WaveNetConfig(vocab_size=len(splits.vocab), block_size=block_size, n_embd=n_embd,
                        n_hidden=n_hidden, hierarchical=hierarchical,
                        bn_reduce_time=bn_reduce_time)
    torch.manual_seed(seed)
    model = build_model(cfg)
    # ``train``'s loop, bit for bit, without autograd's graph (faster)
    decay_step = int(0.75 * max_steps)
    losses = fast_train.train(model, *splits.train, max_steps=max_steps, batch_size=batch_size,
                              lr=lambda i: 0.1 if i < decay_step else 0.01)
    return {
        "config": asdict(cfg),
        "n_params": count_parameters(model),
        "losses": losses,
        "train": split_loss(model, *splits.train),
        "val": split_loss(model, *splits.val),
        "test": split_loss(model, *splits.test),
        "state": {k: v.detach().clone() for k, v in state_dict(model).items()},
    }


def load_model(result: dict) -> Sequential:
    """The trained model of a ``performance_log`` result, in eval mode (chapter 6)."""
    model = build_model(WaveNetConfig(**result["config"]), torch.Generator().manual_seed(0))
    load_state_dict(model, result["state"])
    return model.eval()


@torch.no_grad()
def dilated_logits(model: Sequential, idx: torch.Tensor) -> torch.Tensor:
    """Run a hierarchical model as a dilated causal convolution over whole sequences (chapter 6).

    ``idx`` is (B, L) character indices. Each ``FlattenConsecutive(n)`` becomes a convolution
    with kernel ``n`` and dilation ``d`` (1, then 2, then 4, ...): it concatenates the vectors at
    positions ``t - (n-1)d, ..., t - d, t`` for every ``t`` at once, and the Linear after it is the
    kernel. Returns (B, L - block_size + 1, vocab) logits: position ``j`` holds the prediction for
    the context ``idx[:, j : j + block_size]``: the same numbers as
    ``model(idx[:, j : j + block_size])``, but every intermediate node is computed once and
    shared between the overlapping windows.

    Needs eval mode (BatchNorm then is a fixed per-channel affine map) and the BatchNorm fix (the
    buggy running statistics depend on the position, so that model is no convolution).
    """
    if idx.ndim != 2:
        raise ValueError(f"idx must be (batch, length), got shape {tuple(idx.shape)}")
    for layer in model.layers:
        if isinstance(layer, Flatten):
            raise ValueError("the flat MLP concatenates its whole context at once; "
                             "dilated_logits needs the hierarchical model (FlattenConsecutive)")
        if isinstance(layer, BatchNorm1d):
            if layer.training:
                raise ValueError("dilated_logits needs the model in eval mode: call model.eval()")
            if layer.running_mean.shape[:-1].numel() != 1:
                raise ValueError("this model was trained with the BatchNorm bug (statistics per "
                                 "position): it is not a convolution")
    dilation = 1
    x = None
    for layer in model.layers:
        if isinstance(layer, Embedding):
            x = layer(idx)  # (B, L, C)
        elif isinstance(layer, FlattenConsecutive):
            n, L = layer.n, x.shape[1]
            span = (n - 1) * dilation
            if L <= span:
                raise ValueError(f"sequences of length {idx.shape[1]} are shorter than the "
                                 f"model's receptive field")
            x = torch.cat([x[:, i * dilation: L - span + i * dilation] for i in range(n)], dim=2)
            dilation *= n
        else:
            x = layer(x)  # Linear, BatchNorm1d (eval), Tanh act on the last dim
    return x
