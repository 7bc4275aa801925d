"""Neurons, layers and multi-layer perceptrons built from ``Value`` (chapter 1).

Two networks matter in the book: the lecture's ``MLP(3, [4, 4, 1])`` (tanh in
every neuron, random biases) and micrograd's demo ``MLP(2, [16, 16, 1],
nonlin="relu", linear_output=True, zero_bias=True)`` (ReLU hidden layers, a
linear output, zero biases). Weights are drawn with ``rng.uniform(-1, 1)`` in
the lectures' order, so ``rng=random.Random(seed)`` gives the numbers that
``random.seed(seed)`` followed by the lecture's code gives.
"""

from __future__ import annotations

import random

from zerohero.micrograd.engine import Value


class Module:
    """What every part of a model has: ``parameters()`` and ``zero_grad()``."""

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        return []


class Neuron(Module):
    """``nonlin(w · x + b)`` for ``nin`` inputs."""

    def __init__(self, nin, nonlin="tanh", zero_bias=False, rng=random):
        assert nonlin in ("tanh", "relu", "linear")
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0 if zero_bias else rng.uniform(-1, 1))
        self.nonlin = nonlin

    def __call__(self, x):
        # w * x + b, summed onto b as in the lecture: b + w0*x0 + w1*x1 + ...
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.nonlin == "tanh":
            return act.tanh()
        if self.nonlin == "relu":
            return act.relu()
        return act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):  # as micrograd prints it: ReLUNeuron(2)
        name = {"tanh": "Tanh", "relu": "ReLU", "linear": "Linear"}
        return f"{name[self.nonlin]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs."""

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs, one after the other.

    ``linear_output=True`` leaves the last layer without a nonlinearity
    (micrograd's demo); ``zero_bias=True`` starts the biases at zero.
    """

    def __init__(self, nin, nouts, nonlin="tanh", linear_output=False,
                 zero_bias=False, rng=random):
        sz = [nin] + nouts
        last = len(nouts) - 1
        self.layers = [
            Layer(sz[i], sz[i + 1], zero_bias=zero_bias, rng=rng,
                  nonlin="linear" if linear_output and i == last else nonlin)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
