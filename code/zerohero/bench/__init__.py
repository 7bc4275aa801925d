"""Benchmarks: each prints its absolute numbers on this machine and the ratio against a
reference run side by side in the same process (``python -m zerohero.bench``, ``make bench``).

- ``micrograd``: our engine vs the original ``micrograd`` 0.1.0 from PyPI on the same graph.
- ``makemore``: chapter 5's backward pass written by hand vs autograd on the same forward.
- ``gpt``: tokens per second of the small GPT vs a lecture-style implementation.
- ``tokenizer``: chapter 8's fast BPE trainer vs the plain one and the ``tokenizers``
  library; encoding speed.
- ``gpt2``: chapter 9's loop vs a train_gpt2.py-style script (tokens/s); 2 DDP
  processes vs 1.

Speed is measured here, never in a timed test. Timings take the best of several repeats,
interleaving the two sides so that a busy machine slows both alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Comparison:
    name: str
    unit: str        # what the numbers count, e.g. "s per step" or "steps/s"
    ours: float
    reference: float
    higher_is_better: bool
    goal: float | None = None  # the speed-up the issue asks for (None: shown for context)

    @property
    def speedup(self) -> float:
        return self.ours / self.reference if self.higher_is_better else self.reference / self.ours

    @property
    def met(self) -> bool:
        return self.goal is None or self.speedup >= self.goal

    def line(self) -> str:
        goal = ("" if self.goal is None else
                f"  (goal {self.goal:g}x: {'met' if self.met else 'NOT MET'})")
        return (f"{self.name:46s} ours {self.ours:10.4g} {self.unit:8s} reference "
                f"{self.reference:10.4g}  speed-up {self.speedup:5.2f}x{goal}")


def best_of(fn, repeats: int) -> float:
    """The fastest of ``repeats`` timed calls of ``fn`` (seconds)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def interleaved(fns: dict, repeats: int) -> dict[str, float]:
    """Best time of each function, calling them in turn ``repeats`` times."""
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best
