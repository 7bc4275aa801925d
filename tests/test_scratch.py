"""Chapter 0's numpy layer (zerohero/scratch.py): the hand-derived gradients
against finite differences and PyTorch autograd, the softmax and loss against
torch, the training run.

Tolerances: numpy and torch compute the same float64 quantities with their own
matrix kernels and summation orders, so they agree to ~1e-15, not to the bit;
1e-10 relative is far below any error in a derivation and far above rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zerohero import scratch

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw):
    """Random weights, biases, points and labels."""
    n = draw(st.integers(1, 12))
    W = draw(arrays(np.float64, (2, 2), elements=finite))
    b = draw(arrays(np.float64, (2,), elements=finite))
    X = draw(arrays(np.float64, (n, 2), elements=finite))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    return scratch.TwoNeurons(W, b), X, y


@settings(max_examples=150, deadline=None)
@given(problems())
def test_hand_gradients_match_finite_differences(problem):
    model, X, y = problem
    dW, db = scratch.gradients(model, X, y)
    nW, nb = scratch.numerical_gradients(model, X, y, h=1e-6)
    # central differences are accurate to ~h^2 plus rounding of ~1e-16/h
    assert np.allclose(dW, nW, rtol=1e-5, atol=1e-7)
    assert np.allclose(db, nb, rtol=1e-5, atol=1e-7)


@settings(max_examples=150, deadline=None)
@given(problems())
def test_hand_gradients_and_loss_match_pytorch(problem):
    model, X, y = problem
    W = torch.tensor(model.W, requires_grad=True)
    b = torch.tensor(model.b, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.tensor(X) @ W.T + b, torch.tensor(y))
    loss.backward()
    dW, db = scratch.gradients(model, X, y)
    assert math.isclose(scratch.cross_entropy(model, X, y), loss.item(), rel_tol=1e-12,
                        abs_tol=1e-12)
    assert np.allclose(dW, W.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(db, b.grad.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (5, 2), elements=st.floats(-1e3, 1e3)), finite)
def test_softmax_is_a_distribution_and_shift_invariant(z, shift):
    p = scratch.softmax(z)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(p, scratch.softmax(z + shift))
    assert np.allclose(p, torch.softmax(torch.tensor(z), dim=1).numpy())


@settings(max_examples=60, deadline=None)
@given(problems())
def test_hessian_matches_pytorch_and_has_the_flat_valley(problem):
    model, X, y = problem

    def loss(theta):  # theta = (W[0], b[0], W[1], b[1]), as in scratch.hessian
        W = torch.stack([theta[0:2], theta[3:5]])
        b = torch.stack([theta[2], theta[5]])
        return torch.nn.functional.cross_entropy(torch.tensor(X) @ W.T + b,
                                                 torch.tensor(y))

    theta = torch.tensor(np.r_[model.W[0], model.b[0], model.W[1], model.b[1]])
    expected = torch.autograd.functional.hessian(loss, theta).numpy()
    H = scratch.hessian(model, X)
    assert np.allclose(H, expected, rtol=1e-10, atol=1e-12)
    # moving both neurons' parameters by the same vector changes no score
    # difference: H sends (v, v) to 0 for every v in R^3
    for v in np.eye(3):
        assert np.allclose(H @ np.r_[v, v], 0.0, atol=1e-12)


def test_zero_weights_give_the_loss_of_a_coin_toss():
    X, y = scratch.make_blobs(10)
    model = scratch.TwoNeurons(np.zeros((2, 2)), np.zeros(2))
    # every score is exactly 0, so the loss is log(2) up to one rounding
    assert math.isclose(scratch.cross_entropy(model, X, y), math.log(2), rel_tol=1e-15)


def test_small_initial_weights_start_near_a_coin_toss():
    X, y = scratch.make_blobs()
    model = scratch.init_two_neurons(seed=0)
    assert np.array_equal(model.b, np.zeros(2)) and np.abs(model.W).max() < 0.5
    assert abs(scratch.cross_entropy(model, X, y) - math.log(2)) < 0.05


def test_make_blobs_is_seeded_and_balanced():
    X, y = scratch.make_blobs(50, seed=3)
    X2, y2 = scratch.make_blobs(50, seed=3)
    assert X.shape == (100, 2) and np.array_equal(np.bincount(y), [50, 50])
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, scratch.make_blobs(50, seed=4)[0])


def test_training_lowers_the_loss_and_separates_the_blobs(trained):
    r = trained("scratch-two-neurons")
    losses = np.array(r["loss"])
    assert np.all(np.diff(losses) <= 1e-12)  # convex loss, small step: never goes up
    assert r["final_loss"] < 0.5 * losses[0]
    assert r["accuracy"] >= 0.85
    # the stored weights give the stored loss and accuracy, recomputed by torch
    # rather than by scratch.py (perhaps on another machine: matrix kernels
    # round differently, hence 1e-12 relative, as in the module's tolerances)
    logits = (torch.tensor(r["X"]) @ torch.tensor(r["W"]).T
              + torch.tensor(r["b"]))
    y = torch.tensor(r["y"])
    loss = torch.nn.functional.cross_entropy(logits, y).item()
    assert math.isclose(loss, r["final_loss"], rel_tol=1e-12)
    assert (logits.argmax(1) == y).double().mean().item() == pytest.approx(
        r["accuracy"], abs=1 / len(y) / 2)  # within half a point
