"""Neuron, Layer, MLP (zerohero/micrograd/nn.py): sizes, the lectures' weight
draws, gradients of a whole network against the same network in PyTorch.

Tolerances: float64 tensors do the same arithmetic in another order (matrix
products), so losses and gradients agree to ~1e-15 relative, not to the bit.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.build import ledger
from zerohero.micrograd import MLP, Neuron


def test_parameter_counts_of_the_lecture_and_the_demo():
    ledger.check("01_micrograd", "params_tiny",
                 len(MLP(3, [4, 4, 1]).parameters()))
    demo = MLP(2, [16, 16, 1], nonlin="relu", linear_output=True,
               zero_bias=True)
    ledger.check("01_micrograd", "params_moons", len(demo.parameters()))


def test_repr_matches_micrograd_demo_printout():
    model = MLP(2, [16, 16, 1], nonlin="relu", linear_output=True, zero_bias=True)
    # demo.ipynb printed this (16 neurons per hidden layer)
    expected = ("MLP of [Layer of [" + ", ".join(["ReLUNeuron(2)"] * 16) + "], Layer of ["
                + ", ".join(["ReLUNeuron(16)"] * 16) + "], Layer of [LinearNeuron(16)]]")
    assert repr(model) == expected


def test_weights_are_drawn_like_random_seed_then_the_lecture_code():
    # micrograd.nn: w = uniform(-1, 1) per input, neuron by neuron, layer by layer; b = 0
    model = MLP(2, [16, 16, 1], nonlin="relu", linear_output=True, zero_bias=True,
                rng=random.Random(1337))
    random.seed(1337)
    expected = []
    for nin, nout in ((2, 16), (16, 16), (16, 1)):
        for _ in range(nout):
            expected += [random.uniform(-1, 1) for _ in range(nin)] + [0.0]
    assert [p.data for p in model.parameters()] == expected

    # the lecture's Neuron draws its bias too, after the weights
    neuron = Neuron(3, rng=random.Random(7))
    r = random.Random(7)
    assert [p.data for p in neuron.parameters()] == [r.uniform(-1, 1) for _ in range(4)]


def test_neuron_computes_tanh_of_the_weighted_sum():
    neuron = Neuron(3, rng=random.Random(0))
    x = [0.5, -1.0, 2.0]
    expected = math.tanh(sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data)
    assert math.isclose(neuron(x).data, expected, rel_tol=1e-14)


def torch_twin(model: MLP):
    """The same network as float64 tensors, written independently of nn.py."""
    layers = []
    for layer in model.layers:
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        layers.append((W, b, layer.neurons[0].nonlin))

    def forward(x):
        h = torch.tensor(x, dtype=torch.float64)
        for W, b, nonlin in layers:
            h = W @ h + b
            h = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t}[nonlin](h)
        return h

    return layers, forward


@pytest.mark.parametrize("preset", ["lecture", "demo"])
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000),
       xs=st.lists(st.lists(st.floats(-2, 2), min_size=3, max_size=3), min_size=1, max_size=4))
def test_network_gradients_match_pytorch(preset, seed, xs):
    options = {} if preset == "lecture" else dict(nonlin="relu", linear_output=True)
    model = MLP(3, [4, 4, 1], rng=random.Random(seed), **options)
    ys = [1.0, -1.0, -1.0, 1.0][:len(xs)]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
    model.zero_grad()
    loss.backward()

    layers, forward = torch_twin(model)
    loss_t = sum((forward(x)[0] - y) ** 2 for x, y in zip(xs, ys))
    loss_t.backward()
    assert math.isclose(loss.data, loss_t.item(), rel_tol=1e-12, abs_tol=1e-12)
    ours = [p.grad for p in model.parameters()]
    theirs = []
    for W, b, _ in layers:  # parameters() order: neuron by neuron, weights then bias
        for k in range(W.shape[0]):
            theirs += W.grad[k].tolist() + [b.grad[k].item()]
    assert np.allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_zero_grad_resets_every_parameter():
    model = MLP(3, [4, 4, 1], rng=random.Random(0))
    model([1.0, 2.0, 3.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_the_lectures_neuron_sums_onto_its_bias():
    # sum((wi * xi ...), self.b): b + w0*x0 + w1*x1 + ..., the same rounding
    neuron = Neuron(3, rng=random.Random(5))
    x = [0.1, 0.7, -1.3]
    act = neuron.b.data
    for w, xi in zip(neuron.w, x):
        act = act + w.data * xi
    assert neuron(x)._prev[0].data == act


def test_an_unknown_nonlinearity_is_refused():
    with pytest.raises(AssertionError):
        MLP(2, [3, 1], nonlin="sigmoid")
