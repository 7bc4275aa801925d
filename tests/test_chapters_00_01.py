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


def test_chapter0_flat_valley(ch0):
    # three flat directions (both rows and both biases moved together), and
    # gradient descent never moves along them
    assert ch0["n_flat"] == 3
    assert 0 < ch0["curv_min_positive"] <= ch0["curv_max"]
    assert ch0["sum_change"] < 1e-12


def test_chapter0_learning_rate_explained_by_the_curvature(ch0):
    # the sentences of exercise 3: too curved for rate 5 at the start only,
    # and the limit 2 / lambda at the minimum between the two rates tried
    assert ch0["lr_two_over_5"] == pytest.approx(0.4)
    assert ch0["lr_top0"] > ch0["lr_two_over_5"] > ch0["lr_top_after"]
    assert ch0["lr_top1"] <= ch0["lr_top_after"]
    assert ch0["lr_limit"] == pytest.approx(2 / ch0["lr_at_minimum"])
    assert ch0["lr_below"] < ch0["lr_limit"] < ch0["lr_above"]
    assert ch0["lr_cycle_low"] < ch0["lr_cycle_high"]
    assert ch0["lr_best_final"] < ch0["lr_slow_final"]
    assert ch0["lr_best_final"] <= ch0["loss_final"]


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
    # f = (a b)(a + b) at a = -2, b = 3: df/da = 2ab + b², df/db = a² + 2ab
    a, b = -2.0, 3.0
    assert ch1["grad_two_paths_a"] == 2 * a * b + b**2
    assert ch1["grad_two_paths_b"] == a**2 + 2 * a * b
    assert ch1["L_nudged"] > ch1["L"]  # "L rises"
    # "at h = 1e-14 the quotient is already ... instead of 14": visibly off
    assert abs(ch1["slope_h_1e14"] - 14) > 0.05
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


def test_chapter1_forgotten_zero_grad_sentences(ch1):
    # "the loss does fall faster ... but by the wrong means"
    assert ch1["nozero_loss_last"] < ch1["tiny_loss_last"]
    assert ch1["tiny_saturated"] < ch1["nozero_saturated"]
    assert 0 < ch1["forgetful_failed"] < 10  # luck: some seeds, not all
    assert "stop at a loss of 8" in ch1["forgetful_story"]


def agrees(phrase, tol=1e-12):
    """Whether a glued agreement phrase ('exactly', 'to 2e-16') is within tol."""
    return phrase == "exactly" or float(phrase.removeprefix("to ")) < tol


def test_chapter1_exercises(ch1):
    # the exercises notebook's answers and checks (within 1e-5), and its
    # claim that the symmetric difference is the more accurate one
    assert agrees(ch1["ex1_analytic_agreement"])
    assert ch1["ex1_symmetric_err"] < ch1["ex1_one_sided_err"] < 1e-5
    # -log softmax([0, 3, -2, 1])[3], computed here independently
    z = [0.0, 3.0, -2.0, 1.0]
    expected = -(z[3] - math.log(sum(math.exp(v) for v in z)))
    assert ch1["ex2_loss"] == pytest.approx(expected, rel=1e-14)
    for key in ("ex2_agreement", "ex2_torch_agreement",
                "custom_tanh_agreement"):
        assert agrees(ch1[key])
    # as one op: x, the sigmoid node, the constant 3.0 and the product
    assert ch1["sigmoid_nodes_op"] == 4
    assert ch1["sigmoid_nodes_op"] < ch1["sigmoid_nodes_composed"]


def test_chapter1_garbage_collector_numbers(ch1):
    assert ch1["gc_freed"] > 100_000   # one step's graph
    assert ch1["gc_step_mb"] > 1
    assert ch1["gc_threshold"] > 0
