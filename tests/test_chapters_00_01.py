"""The numbers chapters 0 and 1 show (their glue values), against the lecture's
printed numbers (the ledger) and independent computations. The chapters read
the same cached runs as the tests.

Tolerances: chapter 0's gradient checks compare float64 computations of the
same quantity (finite differences: ~h² plus rounding of ~1e-16/h; PyTorch:
rounding only). Chapter 1's micrograd numbers are pure Python float arithmetic,
the same on every CPU; only the demo's later losses differ from the printed log,
in the order gradients are summed (1e-12 relative).
"""

from __future__ import annotations

import math

import pytest

from zerohero.build import ledger

MICROGRAD = "01_micrograd"


@pytest.fixture(scope="module")
def ch0(glue):
    return glue("00_nn_from_scratch")


@pytest.fixture(scope="module")
def ch1(glue):
    return glue("01_micrograd")


def test_chapter0_gradient_checks(ch0):
    assert ch0["fd_max_diff"] < 1e-8       # hand vs central differences
    assert ch0["torch_max_diff"] < 1e-12   # hand vs PyTorch autograd
    # the glued ln 2 against the value typed to six decimals (not the formula the
    # chapter glued, which would compare a computation with itself)
    assert ch0["log2"] == pytest.approx(0.693147, abs=5e-7)
    assert abs(ch0["loss_init"] - math.log(2)) < 0.05  # a coin toss


def test_chapter0_shows_the_cached_training_run(trained, ch0):
    r = trained("scratch-two-neurons")
    assert ch0["loss_first"] == r["loss"][0]
    assert ch0["loss_final"] == r["final_loss"]
    assert ch0["train_accuracy"] == 100 * r["accuracy"] >= 85
    assert ch0["steps"] == len(r["loss"])
    assert ch0["n_points"] == 2 * ch0["n_per_class"]


MICROGRAD_KEYS = sorted(e.key for e in ledger.ENTRIES
                        if e.chapter == MICROGRAD)


@pytest.mark.parametrize("key", MICROGRAD_KEYS)
def test_chapter1_reproduces_the_lecture(ch1, key):
    ledger.check(MICROGRAD, key, ch1[key])


def test_chapter1_shows_the_lectures_numbers_from_the_ledger(ch1):
    for key in MICROGRAD_KEYS:
        assert ch1[f"lecture_{key}"] == ledger.lecture(MICROGRAD, key)


def test_chapter1_engine_facts(ch1):
    assert ch1["grad_a_twice"] == 2.0 and ch1["grad_a_overwritten"] == 1.0
    assert ch1["chain_depth"] == 100_000 and ch1["chain_grad"] == 1.0
    assert ch1["chain_depth"] > ch1["recursion_limit"]
    # the same function through other ops, and PyTorch: rounding only
    assert ch1["tanh_parts_diff"] < 1e-12
    assert ch1["torch_max_rel_diff"] < 1e-12


def test_chapter1_reproduces_the_lectures_float32_torch_cell(ch1):
    for key in ("torch_lecture_o", "torch_lecture_grad_x1"):
        ledger.check("01_micrograd", key, ch1[key])


def test_chapter1_demo_matches_the_printed_log(trained, ch1):
    assert ch1["moons_same_accuracy"] == ch1["moons_steps"] == 100
    assert ch1["moons_max_rel_dev"] < 1e-12
    assert ch1["moons_exact_steps"] >= 1
    assert ch1["moons_final_accuracy"] == 100.0
    r = trained("micrograd-moons")
    assert ch1["moons_loss_first"] == r["loss"][0]
    assert ch1["moons_loss_last"] == r["loss"][-1]


def test_chapter1_tiny_training_and_the_forgotten_zero_grad(trained, ch1):
    r = trained("micrograd-tiny")
    assert ch1["tiny_loss_first"] == r["loss"][0]
    assert ch1["tiny_loss_last"] == r["loss"][-1] < ch1["tiny_loss_first"]
    assert ch1["tiny_w_max"] < ch1["nozero_w_max"]  # the weights run away
    assert ch1["right_worst"] < 0.05 and ch1["forgetful_failed"] >= 1


def test_chapter1_garbage_collector_numbers(ch1):
    assert ch1["gc_freed"] > 100_000   # one step's graph
    assert ch1["gc_step_mb"] > 1
    assert ch1["gc_threshold"] > 0
