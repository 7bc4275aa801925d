"""What the book trains: one module per chapter, each listing its experiments.

An experiment is a lesson's own training function with a preset configuration. The build
(``zerohero.build.runs``) trains each one once, caches its results and hands them to the
chapter and the tests. ``reads`` names experiments whose results the function takes as
arguments (a fine-tuning run reads the pretrained weights), so they are trained first.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

# The chapters' experiment modules, in the book's order.
MODULES = [
    "ch00_scratch",
    "ch01_micrograd",
    "ch02_bigrams",
    "ch03_mlp",
    "ch04_batchnorm",
    "ch05_backprop_ninja",
    "ch06_wavenet",
    "makemore_models",
    "ch07_gpt",
    "ch08_tokenizer",
    "ch09_gpt2",
]


@dataclass
class Experiment:
    name: str
    fn: Callable[..., dict]
    config: dict[str, Any] = field(default_factory=dict)
    data: tuple[str, ...] = ()           # datasets it reads (their sha256 is in its key)
    reads: dict[str, str] = field(default_factory=dict)  # argument -> experiment
    module: str = ""                     # the chapter module that lists it


def all_experiments() -> dict[str, Experiment]:
    """Every experiment of every chapter, by name."""
    found: dict[str, Experiment] = {}
    for module in MODULES:
        mod = importlib.import_module(f"{__name__}.{module}")
        for exp in mod.EXPERIMENTS:
            if exp.name in found:
                raise ValueError(f"two experiments are named {exp.name!r} "
                                 f"(one in {module}); rename one")
            exp.module = mod.__name__
            found[exp.name] = exp
    return found
