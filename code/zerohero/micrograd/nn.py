"""Neurons, layers and multi-layer perceptrons built from ``Value`` (chapter 1).

Two presets matter in the book: the lecture's ``MLP(3, [4, 4, 1])`` (tanh in every neuron,
random biases) and micrograd's demo ``MLP(2, [16, 16, 1], nonlin="relu", linear_output=True,
zero_bias=True)`` (the ``micrograd.nn`` package: ReLU hidden layers, a linear output, zero
biases). Weights are drawn with ``rng.uniform(-1, 1)`` in the lectures' order, so passing
``random.Random(seed)`` reproduces ``random.seed(seed)`` followed by the lecture's code.
"""

from __future__ import annotations

import random

import numpy as np

from zerohero.micrograd.engine import Value, gc_paused

NONLINEARITIES = ("tanh", "relu", "linear")
_REPR_NAMES = {"tanh": "Tanh", "relu": "ReLU", "linear": "Linear"}


class Module:
    """What every model part has: ``parameters()`` and ``zero_grad()`` (chapter 1)."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Reset the gradients before the next ``backward()`` (they accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def load_parameters(self, values) -> None:
        """Set every parameter's ``data`` from a flat list, in ``parameters()`` order."""
        params = self.parameters()
        values = list(values)
        if len(values) != len(params):
            raise ValueError(f"this model has {len(params)} parameters, got {len(values)} values")
        for p, v in zip(params, values):
            p.data = float(v)


class Neuron(Module):
    """``nonlin(w · x + b)`` for ``nin`` inputs (chapter 1)."""

    def __init__(self, nin: int, nonlin: str = "tanh", zero_bias: bool = False, rng=random):
        if nonlin not in NONLINEARITIES:
            raise ValueError(f"unknown nonlin {nonlin!r}; choose one of {NONLINEARITIES}")
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0 if zero_bias else rng.uniform(-1, 1))
        self.nonlin = nonlin

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        act = self.b  # b + w0*x0 + w1*x1 + ..., in the lecture's order: same rounding
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        if self.nonlin == "tanh":
            return act.tanh()
        if self.nonlin == "relu":
            return act.relu()
        return act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):  # as micrograd.nn prints it: ReLUNeuron(2), LinearNeuron(16)
        return f"{_REPR_NAMES[self.nonlin]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that read the same inputs (chapter 1).

    Returns a list of Values, or the Value itself when ``nout == 1`` (as in the lecture).
    """

    def __init__(self, nin: int, nout: int, **neuron_options):
        self.neurons = [Neuron(nin, **neuron_options) for _ in range(nout)]

    def __call__(self, x):
        if isinstance(x, Value):  # the single output of a 1-neuron layer
            x = [x]
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs (chapter 1).

    ``nonlin`` is every neuron's nonlinearity; ``linear_output=True`` leaves the last layer
    linear (micrograd's demo); ``zero_bias=True`` starts biases at 0 instead of drawing them.
    """

    def __init__(self, nin: int, nouts: list[int], nonlin: str = "tanh",
                 linear_output: bool = False, zero_bias: bool = False, rng=random):
        sizes = [nin] + list(nouts)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], zero_bias=zero_bias, rng=rng,
                  nonlin="linear" if linear_output and i == len(nouts) - 1 else nonlin)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        with gc_paused():  # thousands of new Values and no reference cycles: see gc_paused
            for layer in self.layers:
                x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def batch(self, X) -> np.ndarray:
        """The network's outputs for the rows of ``X`` (n, nin), with numpy (chapter 1).

        The same arithmetic as calling the model on each row, as matrix products instead of a
        graph of scalars: fast enough to colour a decision boundary, and no gradients.
        """
        h = np.asarray(X, dtype=np.float64)
        if h.ndim != 2 or h.shape[1] != len(self.layers[0].neurons[0].w):
            raise ValueError(f"X must have shape (n, {len(self.layers[0].neurons[0].w)}), "
                             f"got {h.shape}")
        for layer in self.layers:
            W = np.array([[w.data for w in n.w] for n in layer.neurons])
            b = np.array([n.b.data for n in layer.neurons])
            h = h @ W.T + b
            nonlin = layer.neurons[0].nonlin
            if nonlin == "tanh":
                h = np.tanh(h)
            elif nonlin == "relu":
                h = np.maximum(h, 0.0)
        return h[:, 0] if h.shape[1] == 1 else h

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
