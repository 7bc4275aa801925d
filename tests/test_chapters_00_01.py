"""The numbers chapters 0 and 1 show (their glue values), against the lecture's printed numbers
and independent computations. The chapters read the same cached runs as the tests."""

from __future__ import annotations

import math

import pytest

from zerohero.build.runs import run


@pytest.fixture(scope="module")
def ch0(glue):
    return glue("00_nn_from_scratch")


@pytest.fixture(scope="module")
def ch1(glue):
    return glue("01_micrograd")


def test_chapter0_gradient_checks(ch0):
    assert ch0["fd_max_diff"] < 1e-8       # hand vs central differences
    assert ch0["torch_max_diff"] < 1e-12   # hand vs PyTorch autograd
    assert ch0["log2"] == math.log(2)
    assert abs(ch0["loss_init"] - math.log(2)) < 0.05  # small initial weights: a coin toss


def test_chapter0_shows_the_cached_training_run(ch0):
    r = run("scratch-two-neurons")
    assert ch0["loss_first"] == r["loss"][0] and ch0["loss_final"] == r["final_loss"]
    assert ch0["train_accuracy"] == 100 * r["accuracy"] >= 85
    assert ch0["steps"] == len(r["loss"]) and ch0["n_points"] == 2 * ch0["n_per_class"]


# The lecture's numbers (micrograd lecture notebooks, micrograd README/tests, demo.ipynb).
EXACT = {
    "f_at_3": 20.0,
    "slope_at_two_thirds": 2.999378523327323e-06,
    "slope_c": 0.9999999999976694,
    "L": -8.0, "grad_a": 6.0, "grad_b": -4.0, "grad_c": -2.0, "grad_f": 4.0,
    "dL_db_numeric": -3.9999999999995595,
    "o": 0.7071067811865476,
    "sanity_y": -20.0, "sanity_grad_x": 46.0,
    "params_tiny": 41, "params_moons": 337,
    "moons_loss_first": 0.8958441028683222,
    "moons_first_100": 40,
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_chapter1_reproduces_the_lecture_exactly(ch1, name):
    assert ch1[name] == EXACT[name]


def test_chapter1_numbers_printed_with_fewer_digits(ch1):
    assert round(ch1["L_nudged"], 6) == -7.286496
    assert round(ch1["readme_g"], 4) == 24.7041
    assert round(ch1["readme_grad_a"], 4) == 138.8338
    assert round(ch1["readme_grad_b"], 4) == 645.5773
    # the lecture's graph of the neuron shows these gradients (4 decimals)
    for name, value in (("grad_x1", -1.5), ("grad_w1", 1.0), ("grad_x2", 0.5), ("grad_w2", 0.0)):
        assert math.isclose(ch1[name], value, abs_tol=1e-12)


def test_chapter1_engine_facts(ch1):
    assert ch1["grad_a_twice"] == 2.0
    assert ch1["chain_depth"] == 100_000 and ch1["chain_grad"] == 1.0
    assert ch1["chain_depth"] > ch1["recursion_limit"]
    assert ch1["tanh_parts_diff"] < 1e-12
    assert ch1["torch_max_rel_diff"] < 1e-12


def test_chapter1_demo_matches_the_printed_log(ch1):
    assert math.isclose(ch1["moons_loss_last"], 0.010978370135492717, rel_tol=1e-12)
    assert ch1["moons_same_accuracy"] == ch1["moons_steps"] == 100
    assert ch1["moons_max_rel_dev"] < 1e-12
    assert ch1["moons_final_accuracy"] == 100.0
    r = run("micrograd-moons")
    assert ch1["moons_loss_first"] == r["loss"][0] and ch1["moons_loss_last"] == r["loss"][-1]


def test_chapter1_tiny_training(ch1):
    r = run("micrograd-tiny")
    assert ch1["tiny_loss_first"] == r["loss"][0] and ch1["tiny_loss_last"] == r["loss"][-1]
    assert ch1["tiny_loss_last"] < ch1["tiny_loss_first"]
