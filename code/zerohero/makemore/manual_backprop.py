"""Becoming a backprop ninja: makemore part 4 (chapter 5).

The BatchNorm MLP of chapter 4, its forward pass cut into the lecture's small steps, and a
backward pass written by hand for every one of them:

- ``forward``: the "chunkated" forward pass, every intermediate tensor kept by name;
- ``backward``: exercise 1, the gradient of the loss with respect to each of those tensors and
  each parameter, one line per step (with the ``keepdim=True`` the lecture's ``dbnmeani`` lacks);
- ``cross_entropy_backward`` and ``batchnorm_backward``: exercises 2 and 3, the two fused,
  simplified expressions;
- ``manual_train``: exercise 4, 200,000 steps of training with these gradients only, never
  calling ``loss.backward()``.

``compare`` checks a manual gradient against autograd's as the lecture's ``cmp`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F

from zerohero.makemore import fused_sgd, welford
from zerohero.makemore.words import load_names, make_splits

SEED = 2147483647  # the lecture's generator seed
BN_SEED = 42  # the lecture drew bngain and bnbias from the unseeded global generator
EPS = 1e-5


@dataclass
class Params:
    """The seven parameters of the BatchNorm MLP, in the lecture's order (chapter 5)."""

    C: torch.Tensor
    W1: torch.Tensor
    b1: torch.Tensor
    W2: torch.Tensor
    b2: torch.Tensor
    bngain: torch.Tensor
    bnbias: torch.Tensor

    def list(self) -> list[torch.Tensor]:
        return [getattr(self, f.name) for f in fields(self)]

    def names(self) -> list[str]:
        return [f.name for f in fields(self)]

    def requires_grad_(self, flag: bool = True) -> "Params":
        for p in self.list():
            p.requires_grad_(flag)
        return self


def init_params(vocab_size: int = 27, block_size: int = 3, n_embd: int = 10, n_hidden: int = 64,
                generator: torch.Generator | None = None,
                bn_generator: torch.Generator | None = None) -> Params:
    """The lecture's deliberately non-standard initialisation (chapter 5).

    Small random biases, and a gain and bias that are not exactly 1 and 0, so that a wrong
    backward pass cannot hide behind zeros. ``C`` ... ``b2`` come from ``generator`` in the
    lecture's order; ``bngain`` and ``bnbias`` from ``bn_generator``, so that ``generator``
    then draws the same minibatches as the lecture's ``g``.
    """
    g = generator
    fan_in = n_embd * block_size
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((fan_in, n_hidden), generator=g) * (5 / 3) / fan_in**0.5
    b1 = torch.randn(n_hidden, generator=g) * 0.1  # useless before BatchNorm: a gradient check
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
    b2 = torch.randn(vocab_size, generator=g) * 0.1
    bngain = torch.randn((1, n_hidden), generator=bn_generator) * 0.1 + 1.0
    bnbias = torch.randn((1, n_hidden), generator=bn_generator) * 0.1
    return Params(C, W1, b1, W2, b2, bngain, bnbias)


def lecture_batch(X: torch.Tensor, Y: torch.Tensor, n_hidden: int = 64, batch_size: int = 32,
                  seed: int = SEED, bn_seed: int = BN_SEED):
    """The lecture's exercise setup: ``init_params`` and the first minibatch its ``g`` draws."""
    g = torch.Generator().manual_seed(seed)
    p = init_params(n_hidden=n_hidden, generator=g,
                    bn_generator=torch.Generator().manual_seed(bn_seed))
    ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)
    return p, X[ix], Y[ix]


def _check_batch(p: Params, Xb: torch.Tensor, Yb: torch.Tensor) -> int:
    if Xb.ndim != 2 or Xb.shape[1] * p.C.shape[1] != p.W1.shape[0]:
        raise ValueError(f"Xb must be (batch, {p.W1.shape[0] // p.C.shape[1]}) contexts for "
                         f"W1 of shape {tuple(p.W1.shape)}, got {tuple(Xb.shape)}")
    if Yb.shape != (Xb.shape[0],):
        raise ValueError(f"Yb must hold one target per context, shape ({Xb.shape[0]},), "
                         f"got {tuple(Yb.shape)}")
    if Xb.shape[0] < 2:
        raise ValueError("BatchNorm needs a batch of at least 2 examples (it divides by n - 1)")
    return Xb.shape[0]


# The intermediate tensors of the forward pass, in the order they are computed.
FORWARD_STEPS = ("emb", "embcat", "hprebn", "bnmeani", "bndiff", "bndiff2", "bnvar",
                 "bnvar_inv", "bnraw", "hpreact", "h", "logits", "logit_maxes", "norm_logits",
                 "counts", "counts_sum", "counts_sum_inv", "probs", "logprobs")

# The lecture's comparison table: every intermediate and parameter, from the loss backwards.
BACKWARD_ORDER = ("logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits",
                  "logit_maxes", "logits", "h", "W2", "b2", "hpreact", "bngain", "bnbias",
                  "bnraw", "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmeani", "hprebn",
                  "embcat", "W1", "b1", "emb", "C")


def forward(p: Params, Xb: torch.Tensor, Yb: torch.Tensor) -> dict[str, torch.Tensor]:
    """The forward pass in small steps, each of which is easy to backpropagate through (chapter 5).

    Returns every intermediate of ``FORWARD_STEPS`` and ``loss``; equal to
    ``F.cross_entropy`` of the BatchNorm MLP's logits up to rounding.
    """
    n = _check_batch(p, Xb, Yb)
    emb = p.C[Xb]  # (n, block_size, n_embd)
    embcat = emb.view(emb.shape[0], -1)
    # Linear layer 1
    hprebn = embcat @ p.W1 + p.b1
    # BatchNorm layer
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)  # Bessel's correction: n - 1
    bnvar_inv = (bnvar + EPS) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = p.bngain * bnraw + p.bnbias
    # Non-linearity
    h = torch.tanh(hpreact)
    # Linear layer 2
    logits = h @ p.W2 + p.b2
    # Cross-entropy, written out (same as F.cross_entropy(logits, Yb))
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes  # subtract the max for numerical stability
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    counts_sum_inv = counts_sum**-1  # the lecture: with 1.0 / counts_sum, not bit-exact
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[torch.arange(n), Yb].mean()
    return dict(emb=emb, embcat=embcat, hprebn=hprebn, bnmeani=bnmeani, bndiff=bndiff,
                bndiff2=bndiff2, bnvar=bnvar, bnvar_inv=bnvar_inv, bnraw=bnraw, hpreact=hpreact,
                h=h, logits=logits, logit_maxes=logit_maxes, norm_logits=norm_logits,
                counts=counts, counts_sum=counts_sum, counts_sum_inv=counts_sum_inv, probs=probs,
                logprobs=logprobs, loss=loss)


def backward(p: Params, f: dict[str, torch.Tensor], Xb: torch.Tensor, Yb: torch.Tensor,
             keepdim_fix: bool = True) -> dict[str, torch.Tensor]:
    """Exercise 1: the gradient of the loss for every tensor of ``forward``, by hand (chapter 5).

    One line per forward step, in reverse. Where a tensor is used twice (``counts``,
    ``bndiff``, ``hprebn``, ``logits``) its gradients add up. ``keepdim_fix=False`` reproduces
    the lecture's ``dbnmeani`` of shape (n_hidden,) instead of (1, n_hidden): the values are
    right, the shape is not (the lecture's comparison broadcast it away).
    """
    n = _check_batch(p, Xb, Yb)
    rows = torch.arange(n)
    # cross-entropy
    dlogprobs = torch.zeros_like(f["logprobs"])
    dlogprobs[rows, Yb] = -1.0 / n
    dprobs = (1.0 / f["probs"]) * dlogprobs
    dcounts_sum_inv = (f["counts"] * dprobs).sum(1, keepdim=True)
    dcounts = f["counts_sum_inv"] * dprobs
    dcounts_sum = (-f["counts_sum"] ** -2) * dcounts_sum_inv
    dcounts += torch.ones_like(f["counts"]) * dcounts_sum
    dnorm_logits = f["counts"] * dcounts
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    dlogits += F.one_hot(f["logits"].max(1).indices, num_classes=f["logits"].shape[1]) \
        * dlogit_maxes
    # Linear layer 2
    dh = dlogits @ p.W2.T
    dW2 = f["h"].T @ dlogits
    db2 = dlogits.sum(0)
    # tanh: d tanh(x)/dx = 1 - tanh(x)**2, with 1 - h*h rounded once as PyTorch's kernel does
    dhpreact = one_minus_square(f["h"]) * dh
    # BatchNorm
    dbngain = (f["bnraw"] * dhpreact).sum(0, keepdim=True)
    dbnraw = p.bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbndiff = f["bnvar_inv"] * dbnraw
    dbnvar_inv = (f["bndiff"] * dbnraw).sum(0, keepdim=True)
    dbnvar = (-0.5 * (f["bnvar"] + EPS) ** -1.5) * dbnvar_inv
    dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(f["bndiff2"]) * dbnvar
    dbndiff += (2 * f["bndiff"]) * dbndiff2
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0, keepdim=keepdim_fix)
    dhprebn += 1.0 / n * (torch.ones_like(f["hprebn"]) * dbnmeani)
    # Linear layer 1
    dembcat = dhprebn @ p.W1.T
    dW1 = f["embcat"].T @ dhprebn
    db1 = dhprebn.sum(0)
    # embedding: each row of C collects the gradient of every place it was used
    demb = dembcat.view(f["emb"].shape)
    dC = embedding_backward(demb, Xb, p.C.shape[0])
    return dict(logprobs=dlogprobs, probs=dprobs, counts_sum_inv=dcounts_sum_inv,
                counts_sum=dcounts_sum, counts=dcounts, norm_logits=dnorm_logits,
                logit_maxes=dlogit_maxes, logits=dlogits, h=dh, W2=dW2, b2=db2,
                hpreact=dhpreact, bngain=dbngain, bnbias=dbnbias, bnraw=dbnraw,
                bnvar_inv=dbnvar_inv, bnvar=dbnvar, bndiff2=dbndiff2, bndiff=dbndiff,
                bnmeani=dbnmeani, hprebn=dhprebn, embcat=dembcat, W1=dW1, b1=db1, emb=demb,
                C=dC)


def one_minus_square(h: torch.Tensor) -> torch.Tensor:
    """1 - h**2, the derivative of tanh in terms of its output h = tanh(x) (chapter 5).

    Computed as ``addcmul(1, h, h, value=-1)``: PyTorch's own tanh backward evaluates
    1 - h*h as a fused multiply-add (one rounding), so the plain ``1.0 - h**2`` (two roundings)
    can differ from autograd's gradient in the last bit.
    """
    return torch.addcmul(torch.ones_like(h), h, h, value=-1)


def embedding_backward(demb: torch.Tensor, Xb: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """dC from demb: row ``Xb[k, j]`` of C receives ``demb[k, j]``, summed (chapter 5).

    ``index_add_`` adds the rows in the order of the lecture's double loop over k and j.
    """
    dC = torch.zeros((vocab_size, demb.shape[-1]), dtype=demb.dtype)
    return dC.index_add_(0, Xb.reshape(-1), demb.reshape(-1, demb.shape[-1]))


def cross_entropy_backward(logits: torch.Tensor, Yb: torch.Tensor) -> torch.Tensor:
    """Exercise 2: d loss / d logits of the mean cross-entropy, in one go (chapter 5).

    softmax(logits) minus 1 at the target, divided by the batch size.
    """
    n = logits.shape[0]
    dlogits = F.softmax(logits, 1)
    dlogits[torch.arange(n), Yb] -= 1
    dlogits /= n
    return dlogits


def batchnorm_backward(dhpreact: torch.Tensor, bngain: torch.Tensor, bnvar_inv: torch.Tensor,
                       bnraw: torch.Tensor, correction: int = 1) -> torch.Tensor:
    """Exercise 3: d loss / d hprebn through the whole BatchNorm layer, in one go (chapter 5).

    gain / sigma / n * (n * dout - sum(dout) - n / (n - 1) * xhat * sum(dout * xhat)), with the
    sums over the batch; ``bnvar_inv`` is 1 / sigma, ``bnraw`` the normalised xhat.
    ``correction`` is the variance's: 1 (n - 1, the lecture's), or 0 (n, as torch.nn.BatchNorm1d
    normalises while training).
    """
    n = dhpreact.shape[0]
    return bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0)
                                     - n / (n - correction) * bnraw * (dhpreact * bnraw).sum(0))


def autograd_grads(p: Params, Xb: torch.Tensor, Yb: torch.Tensor) -> dict[str, torch.Tensor]:
    """PyTorch's gradients of the same forward pass, for every tensor of ``BACKWARD_ORDER``."""
    leaves = Params(*(t.detach().clone().requires_grad_(True) for t in p.list()))
    f = forward(leaves, Xb, Yb)
    for name in FORWARD_STEPS:
        f[name].retain_grad()
    f["loss"].backward()
    named = {**f, **dict(zip(leaves.names(), leaves.list()))}
    return {name: named[name].grad for name in BACKWARD_ORDER}


@dataclass(frozen=True)
class Comparison:
    """One row of the lecture's ``cmp``: is the manual gradient equal to autograd's?"""

    name: str
    exact: bool
    approximate: bool
    maxdiff: float
    shape_ok: bool


def compare(name: str, manual: torch.Tensor, reference: torch.Tensor) -> Comparison:
    """``exact``: bit for bit; ``approximate``: ``torch.allclose`` (rtol 1e-5, atol 1e-8)."""
    return Comparison(name, bool(torch.all(manual == reference)),
                      bool(torch.allclose(manual, reference)),
                      float((manual - reference).abs().max()), manual.shape == reference.shape)


def compare_all(manual: dict[str, torch.Tensor],
                reference: dict[str, torch.Tensor]) -> list[Comparison]:
    missing = [k for k in BACKWARD_ORDER if k not in manual or k not in reference]
    if missing:
        raise KeyError(f"no gradient for {', '.join(missing)}")
    return [compare(k, manual[k], reference[k]) for k in BACKWARD_ORDER]


# --------------------------------------------------------------------------------------------
# Exercise 4: training with the manual backward pass only


def manual_step(p: Params, Xb: torch.Tensor, Yb: torch.Tensor) -> tuple[torch.Tensor, list]:
    """Loss and gradients of all parameters, forward with fused BatchNorm, backward by hand.

    The forward pass is the compact one of chapter 4 (``mean``, ``var`` with n - 1), the
    backward pass the fused cross-entropy and BatchNorm expressions. No autograd.
    """
    _check_batch(p, Xb, Yb)
    emb = p.C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ p.W1 + p.b1
    bnmean = hprebn.mean(0, keepdim=True)
    bnvar = welford.var(hprebn, 0)  # hprebn.var(0, keepdim=True, unbiased=True), faster
    bnvar_inv = (bnvar + EPS) ** -0.5
    bnraw = (hprebn - bnmean) * bnvar_inv
    hpreact = p.bngain * bnraw + p.bnbias
    h = torch.tanh(hpreact)
    logits = h @ p.W2 + p.b2
    loss = F.cross_entropy(logits, Yb)
    # backward
    dlogits = cross_entropy_backward(logits, Yb)
    dh = dlogits @ p.W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = one_minus_square(h) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dhprebn = batchnorm_backward(dhpreact, p.bngain, bnvar_inv, bnraw)
    dembcat = dhprebn @ p.W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    dC = embedding_backward(dembcat.view(emb.shape), Xb, p.C.shape[0])
    return loss, [dC, dW1, db1, dW2, db2, dbngain, dbnbias]


@torch.no_grad()
def calibrate(p: Params, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """BatchNorm's mean and variance over a whole split, for inference (chapter 4)."""
    emb = p.C[X]
    hpreact = emb.view(emb.shape[0], -1) @ p.W1 + p.b1
    return hpreact.mean(0, keepdim=True), hpreact.var(0, keepdim=True, unbiased=True)


@torch.no_grad()
def split_loss(p: Params, bnmean: torch.Tensor, bnvar: torch.Tensor, X: torch.Tensor,
               Y: torch.Tensor) -> float:
    """Cross-entropy of a whole split with the calibrated BatchNorm statistics (chapter 5)."""
    emb = p.C[X]
    hpreact = emb.view(emb.shape[0], -1) @ p.W1 + p.b1
    hpreact = p.bngain * (hpreact - bnmean) * (bnvar + EPS) ** -0.5 + p.bnbias
    logits = torch.tanh(hpreact) @ p.W2 + p.b2
    return F.cross_entropy(logits, Y).item()


def manual_train(steps: int = 200_000, batch_size: int = 32, n_embd: int = 10,
                 n_hidden: int = 200, block_size: int = 3, seed: int = SEED,
                 bn_seed: int = BN_SEED) -> dict:
    """Exercise 4: train the BatchNorm MLP with ``manual_step`` only (chapter 5).

    The lecture's loop: lr 0.1, then 0.01 after half the steps; BatchNorm calibrated on the
    whole training set afterwards. Every random draw is seeded.
    """
    splits = make_splits(load_names(), block_size)
    Xtr, Ytr = splits.train
    g = torch.Generator().manual_seed(seed)
    p = init_params(len(splits.vocab), block_size, n_embd, n_hidden, generator=g,
                    bn_generator=torch.Generator().manual_seed(bn_seed))
    params = p.list()
    update = fused_sgd.SGD(params)  # param += -lr * grad for every parameter, in one call
    losses = []
    with torch.inference_mode():  # no graph, and none of autograd's bookkeeping either
        for i in range(steps):
            ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
            loss, grads = manual_step(p, Xtr[ix], Ytr[ix])
            update(grads, 0.1 if i < steps // 2 else 0.01)
            losses.append(loss)
    losses = torch.stack(losses)
    bnmean, bnvar = calibrate(p, Xtr)
    return {
        "n_params": sum(t.nelement() for t in params),
        "train": split_loss(p, bnmean, bnvar, *splits.train),
        "val": split_loss(p, bnmean, bnvar, *splits.val),
        "losses": losses,
        "params": p,
        "bnmean": bnmean,
        "bnvar": bnvar,
    }


# The lecture's printed numbers (makemore_part4_backprop.ipynb).
LECTURE_LOSS = 3.3377387523651123  # exercise 1's minibatch loss (bngain, bnbias unseeded)
LECTURE_CE_MAXDIFF = 5.122274160385132e-09  # fused cross-entropy backward vs autograd
LECTURE_BN_MAXDIFF = 9.313225746154785e-10  # fused BatchNorm backward vs autograd
LECTURE_TRAIN_VAL = (2.070523500442505, 2.109893560409546)  # exercise 4
