"""makemore: what writing the backward pass by hand buys (chapter 5).

Chapter 5's BatchNorm MLP (12,297 parameters) trained from the same weights
and the same minibatches two ways: with ``manual_backprop.manual_train``
(the gradients written out, no graph) and with the lecture's autograd loop
on the same forward pass (``F.cross_entropy``, ``loss.backward()``,
``p.data += -lr * p.grad``). The two agree up to float32 rounding (the
fused gradients round differently, ~1e-9), checked before timing; then
steps per second are compared. One torch thread, as the book trains.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zerohero.bench import Comparison, interleaved

STEPS = 2000


def autograd_train(p, Xtr, Ytr, max_steps, generator, batch_size=32):
    """The same training with autograd's gradients."""
    from zerohero.makemore.manual_backprop import EPS
    parameters = p.list()
    for t in parameters:
        t.requires_grad_(True)
    for i in range(max_steps):
        ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=generator)
        Xb, Yb = Xtr[ix], Ytr[ix]
        hprebn = p.C[Xb].view(batch_size, -1) @ p.W1 + p.b1
        bnvar = hprebn.var(0, keepdim=True, unbiased=True)
        bnraw = (hprebn - hprebn.mean(0, keepdim=True)) * (bnvar + EPS) ** -0.5
        h = torch.tanh(p.bngain * bnraw + p.bnbias)
        loss = F.cross_entropy(h @ p.W2 + p.b2, Yb)
        for t in parameters:
            t.grad = None
        loss.backward()
        lr = 0.1 if i < max_steps // 2 else 0.01
        for t in parameters:
            t.data += -lr * t.grad


def compare(repeats: int = 3) -> list[Comparison]:
    from zerohero.makemore import manual_backprop as mb
    from zerohero.makemore.words import load_names, make_splits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Xtr, Ytr = make_splits(load_names(), 3).train

        def fresh():
            g = torch.Generator().manual_seed(mb.SEED)
            p = mb.init_params(27, 3, 10, 200, generator=g,
                               bn_generator=torch.Generator().manual_seed(42))
            return p, g

        def by_hand():
            p, g = fresh()
            mb.manual_train(p, Xtr, Ytr, STEPS, generator=g)
            return p

        def by_autograd():
            p, g = fresh()
            autograd_train(p, Xtr, Ytr, STEPS, g)
            return p

        for a, b in zip(by_hand().list(), by_autograd().list(), strict=True):
            assert torch.allclose(a, b.detach(), atol=1e-4), \
                "the two trainings disagree"
        t = interleaved({"ours": by_hand, "ref": by_autograd}, repeats)
        return [Comparison(f"manual backward (chapter 5): {STEPS} steps",
                           "steps/s", STEPS / t["ours"], STEPS / t["ref"],
                           higher_is_better=True)]
    finally:
        torch.set_num_threads(before)


def main() -> list[Comparison]:
    results = compare()
    for r in results:
        print(r.line())
    return results
