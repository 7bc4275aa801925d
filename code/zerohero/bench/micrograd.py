"""micrograd: forward + backward of the demo's loss, ours vs the original.

The graph is the one chapter 1 trains: micrograd's demo network
MLP(2, [16, 16, 1]) on 100 two-moons points, max-margin loss plus L2. The
original is ``micrograd`` 0.1.0 from PyPI, given the same weights; both compute
the same loss and gradients (checked). Both engines use ``_backward`` closures,
so both are timed twice: with Python's cycle collector on, and as the chapter's
loop runs them (collector off, the youngest generation collected once a step).
Then a backward pass through a chain of 1,000,000 nodes, which the original's
recursive sort cannot do.
"""

from __future__ import annotations

import gc
import math
import time

from zerohero.bench import Comparison, interleaved


def _reference_loss(ref_model, RefValue, X, y, alpha=1e-4):
    """The demo's loss written against the original engine (its demo.ipynb)."""
    inputs = [list(map(RefValue, row)) for row in X]
    scores = list(map(ref_model, inputs))
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum((p * p for p in ref_model.parameters()))
    return data_loss + reg_loss


def compare(repeats: int = 5) -> list[Comparison]:
    # the PyPI package (requirements.txt installs it)
    from micrograd.engine import Value as RefValue
    from micrograd.nn import MLP as RefMLP

    from zerohero.micrograd import demo
    from zerohero.micrograd.datasets import make_moons

    X, labels = make_moons(100, noise=0.1, seed=1337)
    X, y = X.tolist(), [float(2 * v - 1) for v in labels]
    ours = demo.moons_model(1337)
    ref = RefMLP(2, [16, 16, 1])
    for p_ref, p in zip(ref.parameters(), ours.parameters(), strict=True):
        p_ref.data = p.data

    def step_ours():
        ours.zero_grad()
        loss, _ = demo.max_margin_loss(ours, X, y)
        loss.backward()
        return loss

    def step_ref():
        ref.zero_grad()
        loss = _reference_loss(ref, RefValue, X, y)
        loss.backward()
        return loss

    # Same numbers first: loss and every gradient.
    lo, lr = step_ours(), step_ref()
    assert math.isclose(lo.data, lr.data, rel_tol=1e-12), (lo.data, lr.data)
    for p, q in zip(ours.parameters(), ref.parameters()):
        assert math.isclose(p.grad, q.grad, rel_tol=1e-9, abs_tol=1e-12)
    del lo, lr
    gc.collect()

    t = interleaved({"ours": step_ours, "ref": step_ref}, repeats)
    out = [Comparison("micrograd fwd+bwd, collector on", "s/step",
                      t["ours"], t["ref"], higher_is_better=False)]

    def collected(step):
        def run():
            step()  # its graph is dropped on return
            gc.collect(0)
        return run

    gc.disable()
    try:
        t = interleaved({"ours": collected(step_ours),
                         "ref": collected(step_ref)}, repeats)
    finally:
        gc.enable()
    out.append(Comparison("micrograd fwd+bwd, gc off + collect(0)", "s/step",
                          t["ours"], t["ref"], higher_is_better=False))
    return out


def million_node_chain(n: int = 1_000_000) -> float:
    """Seconds for forward + backward through a chain of ``n`` nodes (the
    original's recursive topological sort stops at ~1,000)."""
    from zerohero.micrograd.engine import Value

    gc.disable()
    try:
        start = time.perf_counter()
        x = Value(1.0)
        y = x
        for _ in range(n - 1):
            y = y * 1.0
        y.backward()
        assert x.grad == 1.0
        del x, y
        gc.collect(0)
        return time.perf_counter() - start
    finally:
        gc.enable()


def main() -> list[Comparison]:
    results = compare()
    for r in results:
        print(r.line())
    print(f"{'micrograd 1,000,000-node chain, fwd+bwd':46s} "
          f"{million_node_chain():.2f} s (the original's recursive "
          f"topological sort stops at ~1,000 nodes)")
    return results
