"""makemore: the book's training loop vs the lecture's plain loop, identical numerics.

For the MLP (chapter 3), the BatchNorm MLP (chapter 4) and the WaveNet (chapter 6): the same
initial weights, the same generator state, the same number of steps, once through the loop the
book's experiments train with (``zerohero.makemore.fast_train``: autograd's derivative formulas
written out, no graph) and once through the loop as the lecture writes it (one ``randint`` per
step, ``p.grad = None`` and ``p.data += -lr * p.grad`` per parameter, ``lossi.append(
loss.log10().item())`` every step). Both must end with bit-identical weights; then steps per
second are compared. One torch thread, as the book trains.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from zerohero.bench import Comparison, interleaved

STEPS = 2000


def lecture_loop(forward, params, X, Y, steps, generator, batch_size=32, decay_at=100_000):
    """The lectures' training loop, as written in the videos."""
    lossi = []
    for i in range(steps):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=generator)
        Xb, Yb = X[ix], Y[ix]
        logits = forward(Xb)
        loss = F.cross_entropy(logits, Yb)
        for p in params:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < decay_at else 0.01
        for p in params:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    return lossi


def _compare(name, make, ours_train, seed, X, Y, repeats):
    """``make()`` -> (model, forward, params); trains a fresh copy each way from one state."""
    base_model = make()

    def run_ours():
        model = copy.deepcopy(base_model)
        g = torch.Generator().manual_seed(seed)
        ours_train(model, X, Y, STEPS, g)
        return model

    def run_lecture():
        model = copy.deepcopy(base_model)
        g = torch.Generator().manual_seed(seed)
        params = model.parameters()
        for p in params:
            p.requires_grad_(True)
        lecture_loop(model, params, X, Y, STEPS, g)
        return model

    a, b = run_ours(), run_lecture()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p.detach(), q.detach()), f"{name}: the two loops disagree"
    t = interleaved({"ours": run_ours, "ref": run_lecture}, repeats)
    return Comparison(f"{name}: {STEPS} steps", "steps/s", STEPS / t["ours"], STEPS / t["ref"],
                      higher_is_better=True, goal=1.25)


def compare(repeats: int = 3) -> list[Comparison]:
    from zerohero.makemore import batchnorm, fast_train, mlp, wavenet
    from zerohero.makemore.words import load_names, make_splits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        s3 = make_splits(load_names(), 3)
        s8 = make_splits(load_names(), 8)
        X3, Y3 = s3.train
        X8, Y8 = s8.train
        out = []
        out.append(_compare(
            "MLP (chapter 3)",
            lambda: mlp.MLP(mlp.MLPConfig(), torch.Generator().manual_seed(mlp.LECTURE_SEED)),
            lambda m, X, Y, n, g: fast_train.train(m, X, Y, max_steps=n, lr=mlp.step_decay(),
                                                   generator=g),
            mlp.LECTURE_SEED, X3, Y3, repeats))
        out.append(_compare(
            "BatchNorm MLP (chapter 4)",
            lambda: batchnorm.RevisitedMLP("batchnorm",
                                           generator=torch.Generator().manual_seed(2147483647)),
            lambda m, X, Y, n, g: fast_train.train(m, X, Y, max_steps=n,
                                                   lr=batchnorm.step_decay(), generator=g),
            2147483647, X3, Y3, repeats))
        out.append(_compare(
            "WaveNet 76K (chapter 6)",
            lambda: _wavenet(wavenet),
            lambda m, X, Y, n, g: fast_train.train(m, X, Y, max_steps=n,
                                                   lr=mlp.step_decay(0.1, 150_000),
                                                   generator=g),
            42, X8, Y8, repeats))
        return out
    finally:
        torch.set_num_threads(before)


def _wavenet(wavenet):
    torch.manual_seed(42)
    model = wavenet.build_model(wavenet.WaveNetConfig(n_embd=24, n_hidden=128))
    return model


def main() -> list[Comparison]:
    results = compare()
    for r in results:
        print(r.line())
    return results
