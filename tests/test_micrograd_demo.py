"""Chapter 1's trainings (zerohero/micrograd/demo.py): micrograd's demo against
its printed log, read from the cached experiment the chapter uses (no second
training), and short runs of both loops.

Tolerances: the demo is pure Python float arithmetic (IEEE doubles, no vector
kernels, no BLAS) on numpy's points (the same bits with numpy's SIMD kernels
switched off), so it repeats on any machine. Against the printed log only the
order of summing gradients differs: the original keeps operands in a set, so
even it varies from run to run in the last bits; 1e-12 relative covers it.
"""

from __future__ import annotations

import gc

import numpy as np

from zerohero.build import ledger
from zerohero.micrograd import demo
from zerohero.micrograd.datasets import make_moons

MICROGRAD = "01_micrograd"


def test_initial_loss_and_accuracy_match_the_demo():
    # demo.ipynb, before training: its loss and an accuracy of 0.5
    X, labels = make_moons(100, noise=0.1, seed=1337)
    y = [float(2 * v - 1) for v in labels]
    loss, acc = demo.max_margin_loss(demo.moons_model(1337), X.tolist(), y)
    ledger.check(MICROGRAD, "moons_loss_first", loss.data)
    assert acc == 0.5


def test_demo_training_reproduces_the_printed_log(trained):
    r = trained("micrograd-moons")
    loss, acc = np.array(r["loss"]), np.array(r["accuracy"])
    printed = np.array(ledger.printed(MICROGRAD, "moons_losses"))
    ledger.check(MICROGRAD, "moons_loss_first", loss[0])
    ledger.check(MICROGRAD, "moons_loss_last", loss[99])
    ledger.check(MICROGRAD, "moons_first_100", int(np.argmax(acc == 100)))
    assert np.allclose(loss, printed, rtol=1e-12, atol=0)
    assert np.array_equal(np.round(acc),
                          ledger.printed(MICROGRAD, "moons_accuracy"))
    assert r["final_accuracy"] == 100.0
    assert len(r["weights"]) == ledger.lecture(MICROGRAD, "params_moons")


def test_tiny_training_fits_the_four_examples(trained):
    r = trained("micrograd-tiny")
    assert r["loss"][-1] < 0.05 * r["loss"][0]
    for target, pred in zip(demo.LECTURE_YS, r["predictions"]):
        assert np.sign(pred) == target and abs(pred - target) < 0.1


def test_short_runs_are_deterministic_and_learn():
    a = demo.train_moons(n_samples=20, steps=5)
    b = demo.train_moons(n_samples=20, steps=5)
    assert a["loss"] == b["loss"] and a["weights"] == b["weights"]
    assert a["final_loss"] < a["loss"][0]
    assert gc.isenabled()  # the loop turns the collector back on

    c = demo.train_tiny(steps=5)
    assert c["loss"] == demo.train_tiny(steps=5)["loss"]
    assert c["loss"][-1] < c["loss"][0]
