"""Becoming a backprop ninja: makemore part 4 (chapter 5).

The BatchNorm MLP of chapter 4, its forward pass cut into the lecture's
small steps, and a backward pass written by hand for every one of them:

- ``forward``: the "chunkated" forward pass, every intermediate kept;
- ``backward``: exercise 1, the gradient of the loss for each of those
  tensors and each parameter, one line per step;
- ``cross_entropy_backward`` and ``batchnorm_backward``: exercises 2 and 3,
  the two layers' gradients in one expression each;
- ``manual_train``: exercise 4, the training loop with these gradients
  only, never calling ``loss.backward()``.

``compare`` checks a gradient against autograd's, as the lecture's ``cmp``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F

SEED = 2147483647  # the lecture's generator seed
# The lecture drew bngain and bnbias from the unseeded global generator.
BN_SEED = 42
EPS = 1e-5


@dataclass
class Params:
    """The seven parameters of the BatchNorm MLP, in the lecture's order."""

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


def init_params(vocab_size: int = 27, block_size: int = 3, n_embd: int = 10,
                n_hidden: int = 64, generator: torch.Generator | None = None,
                bn_generator: torch.Generator | None = None) -> Params:
    """The lecture's deliberately odd initialisation.

    Small random biases, and a gain and bias that are not exactly 1 and 0,
    so that a wrong backward pass cannot hide behind zeros. ``C`` ... ``b2``
    come from ``generator`` in the lecture's order, ``bngain`` and
    ``bnbias`` from ``bn_generator``: ``generator`` then draws the
    lecture's minibatches.
    """
    g = generator
    fan_in = n_embd * block_size
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((fan_in, n_hidden), generator=g) * (5 / 3) / fan_in**0.5
    # useless before BatchNorm, but a check of its gradient
    b1 = torch.randn(n_hidden, generator=g) * 0.1
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
    b2 = torch.randn(vocab_size, generator=g) * 0.1
    bngain = torch.randn((1, n_hidden), generator=bn_generator) * 0.1 + 1.0
    bnbias = torch.randn((1, n_hidden), generator=bn_generator) * 0.1
    return Params(C, W1, b1, W2, b2, bngain, bnbias)


def lecture_batch(X: torch.Tensor, Y: torch.Tensor, n_hidden: int = 64,
                  batch_size: int = 32):
    """The lecture's exercise setup: ``init_params`` and the first
    minibatch its generator draws."""
    g = torch.Generator().manual_seed(SEED)
    p = init_params(n_hidden=n_hidden, generator=g,
                    bn_generator=torch.Generator().manual_seed(BN_SEED))
    ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)
    return p, X[ix], Y[ix]


def _check_batch(p: Params, Xb: torch.Tensor, Yb: torch.Tensor) -> int:
    n, block_size = Xb.shape
    assert block_size * p.C.shape[1] == p.W1.shape[0], "Xb does not fit W1"
    assert Yb.shape == (n,), "one target per context"
    assert n >= 2, "BatchNorm divides by n - 1: at least 2 examples"
    return n


# The intermediate tensors of the forward pass, in the order computed.
FORWARD_STEPS = (
    "emb", "embcat", "hprebn", "bnmeani", "bndiff", "bndiff2", "bnvar",
    "bnvar_inv", "bnraw", "hpreact", "h", "logits", "logit_maxes",
    "norm_logits", "counts", "counts_sum", "counts_sum_inv", "probs",
    "logprobs")

# The lecture's comparison table: every intermediate and parameter, from
# the loss backwards.
BACKWARD_ORDER = (
    "logprobs", "probs", "counts_sum_inv", "counts_sum", "counts",
    "norm_logits", "logit_maxes", "logits", "h", "W2", "b2", "hpreact",
    "bngain", "bnbias", "bnraw", "bnvar_inv", "bnvar", "bndiff2", "bndiff",
    "bnmeani", "hprebn", "embcat", "W1", "b1", "emb", "C")


def forward(p: Params, Xb: torch.Tensor, Yb: torch.Tensor) -> dict:
    """The forward pass in steps small enough to backpropagate through
    one at a time. Returns every tensor of ``FORWARD_STEPS`` and ``loss``.
    """
    n = _check_batch(p, Xb, Yb)
    emb = p.C[Xb]  # embed the characters into vectors
    embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
    # Linear layer 1
    hprebn = embcat @ p.W1 + p.b1  # hidden layer pre-activation
    # BatchNorm layer
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    # Bessel's correction: n - 1, not n
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)
    bnvar_inv = (bnvar + EPS) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = p.bngain * bnraw + p.bnbias
    # Non-linearity
    h = torch.tanh(hpreact)  # hidden layer
    # Linear layer 2
    logits = h @ p.W2 + p.b2  # output layer
    # cross entropy loss (same as F.cross_entropy(logits, Yb))
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes  # subtract max for numerical stability
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    # (1.0 / counts_sum, as the lecture notes, would not be bit-exact)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    return dict(emb=emb, embcat=embcat, hprebn=hprebn, bnmeani=bnmeani,
                bndiff=bndiff, bndiff2=bndiff2, bnvar=bnvar,
                bnvar_inv=bnvar_inv, bnraw=bnraw, hpreact=hpreact, h=h,
                logits=logits, logit_maxes=logit_maxes,
                norm_logits=norm_logits, counts=counts, counts_sum=counts_sum,
                counts_sum_inv=counts_sum_inv, probs=probs,
                logprobs=logprobs, loss=loss)


def backward(p: Params, f: dict, Xb: torch.Tensor, Yb: torch.Tensor,
             keepdim_fix: bool = True) -> dict:
    """Exercise 1: the gradient of the loss for every tensor of ``forward``.

    One line per forward step, in reverse. A tensor used twice
    (``counts``, ``bndiff``, ``hprebn``, ``logits``) adds up its gradients.
    ``keepdim_fix=False`` is the lecture's ``dbnmeani``: the right values
    in the shape (n_hidden,) instead of (1, n_hidden).
    """
    n = _check_batch(p, Xb, Yb)
    # loss: the mean picks one logprob per row, each weighted 1/n
    dlogprobs = torch.zeros_like(f["logprobs"])
    dlogprobs[range(n), Yb] = -1.0 / n
    # logprobs: d/dp log p = 1/p
    dprobs = (1.0 / f["probs"]) * dlogprobs
    # probs: counts_sum_inv is broadcast along the row, so its
    # gradient sums along the row
    dcounts_sum_inv = (f["counts"] * dprobs).sum(1, keepdim=True)
    dcounts = f["counts_sum_inv"] * dprobs
    # counts_sum_inv: d/dx x**-1 = -x**-2
    dcounts_sum = (-f["counts_sum"] ** -2) * dcounts_sum_inv
    # counts_sum: a sum hands its gradient to every term; counts is
    # used twice, so the two gradients add
    dcounts += torch.ones_like(f["counts"]) * dcounts_sum
    # counts: exp is its own derivative
    dnorm_logits = f["counts"] * dcounts
    # norm_logits: logits passes through, the broadcast max sums
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    # logit_maxes: only the maximum of each row gets a gradient
    argmax = f["logits"].max(1).indices
    dlogits += F.one_hot(argmax, num_classes=f["logits"].shape[1]) \
        * dlogit_maxes
    # Linear layer 2: the shapes decide where the transposes go
    dh = dlogits @ p.W2.T
    dW2 = f["h"].T @ dlogits
    db2 = dlogits.sum(0)
    # tanh: 1 - h**2, rounded once as PyTorch's kernel rounds it
    dhpreact = one_minus_square(f["h"]) * dh
    # BatchNorm gain and bias: broadcast over the batch, so summed
    dbngain = (f["bnraw"] * dhpreact).sum(0, keepdim=True)
    dbnraw = p.bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    # bnraw: a product; bnvar_inv is broadcast over the batch
    dbndiff = f["bnvar_inv"] * dbnraw
    dbnvar_inv = (f["bndiff"] * dbnraw).sum(0, keepdim=True)
    # bnvar_inv: d/dx (x + eps)**-0.5 = -0.5 (x + eps)**-1.5
    dbnvar = (-0.5 * (f["bnvar"] + EPS) ** -1.5) * dbnvar_inv
    # bnvar: the sum over the batch becomes a broadcast
    dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(f["bndiff2"]) * dbnvar
    # bndiff2: d/dx x**2 = 2x; bndiff's second use adds
    dbndiff += (2 * f["bndiff"]) * dbndiff2
    # bndiff: hprebn passes through, the broadcast mean sums
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0, keepdim=keepdim_fix)
    # bnmeani: the mean hands 1/n of its gradient to every term
    dhprebn += 1.0 / n * (torch.ones_like(f["hprebn"]) * dbnmeani)
    # Linear layer 1: as layer 2
    dembcat = dhprebn @ p.W1.T
    dW1 = f["embcat"].T @ dhprebn
    db1 = dhprebn.sum(0)
    # embcat: a view only rearranges, so the gradient is viewed back
    demb = dembcat.view(f["emb"].shape)
    # emb: each row of C collects the gradients of every use
    dC = embedding_backward(demb, Xb, p.C.shape[0])
    return dict(logprobs=dlogprobs, probs=dprobs,
                counts_sum_inv=dcounts_sum_inv, counts_sum=dcounts_sum,
                counts=dcounts, norm_logits=dnorm_logits,
                logit_maxes=dlogit_maxes, logits=dlogits, h=dh, W2=dW2,
                b2=db2, hpreact=dhpreact, bngain=dbngain, bnbias=dbnbias,
                bnraw=dbnraw, bnvar_inv=dbnvar_inv, bnvar=dbnvar,
                bndiff2=dbndiff2, bndiff=dbndiff, bnmeani=dbnmeani,
                hprebn=dhprebn, embcat=dembcat, W1=dW1, b1=db1, emb=demb,
                C=dC)


def one_minus_square(h: torch.Tensor) -> torch.Tensor:
    """1 - h**2, tanh's derivative in terms of its output h = tanh(x).

    PyTorch's tanh backward computes 1 - h*h as a fused multiply-add (one
    rounding); ``addcmul`` does the same, where ``1.0 - h**2`` rounds twice
    and can differ from autograd's gradient in the last bit.
    """
    return torch.addcmul(torch.ones_like(h), h, h, value=-1)


def embedding_backward(demb: torch.Tensor, Xb: torch.Tensor,
                       vocab_size: int) -> torch.Tensor:
    """dC from demb: row ``Xb[k, j]`` of C receives ``demb[k, j]``, summed
    in the order of the lecture's loop over k and j."""
    dC = torch.zeros((vocab_size, demb.shape[-1]), dtype=demb.dtype)
    return dC.index_add_(0, Xb.reshape(-1), demb.reshape(-1, demb.shape[-1]))


def cross_entropy_backward(logits: torch.Tensor,
                           Yb: torch.Tensor) -> torch.Tensor:
    """Exercise 2: d loss / d logits of the mean cross-entropy in one go:
    softmax minus 1 at the target, divided by the batch size."""
    n = logits.shape[0]
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    return dlogits


def batchnorm_backward(dhpreact: torch.Tensor, bngain: torch.Tensor,
                       bnvar_inv: torch.Tensor, bnraw: torch.Tensor,
                       correction: int = 1) -> torch.Tensor:
    """Exercise 3: d loss / d hprebn through the whole BatchNorm layer.

    ``bnvar_inv`` is 1 / sigma, ``bnraw`` the normalised x-hat; the sums
    run over the batch. ``correction``: the variance's, 1 (n - 1, the
    lecture's) or 0 (n, as torch.nn.BatchNorm1d normalises in training).
    """
    n = dhpreact.shape[0]
    return bngain * bnvar_inv / n * (
        n * dhpreact - dhpreact.sum(0)
        - n / (n - correction) * bnraw * (dhpreact * bnraw).sum(0))


def autograd_grads(p: Params, Xb: torch.Tensor, Yb: torch.Tensor) -> dict:
    """PyTorch's gradients of the same forward pass, for every tensor of
    ``BACKWARD_ORDER``."""
    leaves = Params(*(t.detach().clone().requires_grad_() for t in p.list()))
    f = forward(leaves, Xb, Yb)
    for name in FORWARD_STEPS:
        f[name].retain_grad()
    f["loss"].backward()
    named = {**f, **dict(zip(leaves.names(), leaves.list()))}
    return {name: named[name].grad for name in BACKWARD_ORDER}


@dataclass(frozen=True)
class Comparison:
    """One row of the lecture's ``cmp``."""

    name: str
    exact: bool        # bit for bit
    approximate: bool  # torch.allclose (rtol 1e-5, atol 1e-8)
    maxdiff: float
    shape_ok: bool


def compare(name: str, manual: torch.Tensor,
            reference: torch.Tensor) -> Comparison:
    return Comparison(name, bool(torch.all(manual == reference)),
                      bool(torch.allclose(manual, reference)),
                      float((manual - reference).abs().max()),
                      manual.shape == reference.shape)


def compare_all(manual: dict, reference: dict) -> list[Comparison]:
    return [compare(k, manual[k], reference[k]) for k in BACKWARD_ORDER]


# ---------------------------------------------------------------------------
# Exercise 4: training with the manual backward pass only


def manual_step(p: Params, Xb: torch.Tensor, Yb: torch.Tensor):
    """The loss and the gradients of all parameters, without autograd.

    The forward pass is chapter 4's compact one, the backward pass the
    one-expression gradients of cross-entropy and BatchNorm.
    """
    _check_batch(p, Xb, Yb)
    # forward pass
    emb = p.C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ p.W1 + p.b1
    bnmean = hprebn.mean(0, keepdim=True)
    bnvar = hprebn.var(0, keepdim=True, unbiased=True)
    bnvar_inv = (bnvar + EPS) ** -0.5
    bnraw = (hprebn - bnmean) * bnvar_inv
    hpreact = p.bngain * bnraw + p.bnbias
    h = torch.tanh(hpreact)
    logits = h @ p.W2 + p.b2
    loss = F.cross_entropy(logits, Yb)
    # manual backprop
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


def manual_train(p: Params, Xtr: torch.Tensor, Ytr: torch.Tensor,
                 max_steps: int = 200_000, batch_size: int = 32,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Exercise 4: the lecture's training loop with ``manual_step``'s
    gradients: lr 0.1, then 0.01 for the second half. Returns the losses.
    """
    parameters = p.list()
    lossi = []
    with torch.no_grad():  # no graph: the gradients are ours
        for i in range(max_steps):
            # minibatch construct
            ix = torch.randint(0, Xtr.shape[0], (batch_size,),
                               generator=generator)
            loss, grads = manual_step(p, Xtr[ix], Ytr[ix])
            # update
            lr = 0.1 if i < max_steps // 2 else 0.01
            for param, grad in zip(parameters, grads):
                param.data += -lr * grad
            lossi.append(loss.item())
    return torch.tensor(lossi)


@torch.no_grad()
def calibrate(p: Params, X: torch.Tensor):
    """BatchNorm's mean and variance over a whole split, for inference."""
    emb = p.C[X]
    hpreact = emb.view(emb.shape[0], -1) @ p.W1 + p.b1
    bnmean = hpreact.mean(0, keepdim=True)
    bnvar = hpreact.var(0, keepdim=True, unbiased=True)
    return bnmean, bnvar


@torch.no_grad()
def split_loss(p: Params, bnmean: torch.Tensor, bnvar: torch.Tensor,
               X: torch.Tensor, Y: torch.Tensor) -> float:
    """The loss of a whole split with the calibrated BatchNorm."""
    emb = p.C[X]
    hpreact = emb.view(emb.shape[0], -1) @ p.W1 + p.b1
    hpreact = p.bngain * (hpreact - bnmean) * (bnvar + EPS) ** -0.5 \
        + p.bnbias
    logits = torch.tanh(hpreact) @ p.W2 + p.b2
    return F.cross_entropy(logits, Y).item()
