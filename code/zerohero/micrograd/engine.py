"""A scalar-valued autograd engine: ``Value`` (chapter 1).

Karpathy's micrograd as the lecture builds it: every op computes its result and
defines, right beside it, a ``_backward`` closure that applies the chain rule to
its operands; ``backward()`` orders the graph and calls those closures from the
output back. Two choices differ from the lecture, both explained in the chapter:
operands are kept in a tuple (the lecture's set has no fixed order, so its sums
of gradients vary in the last bit from run to run), and the topological sort
keeps its own stack instead of recursing (Python's recursion limit would stop
it at about a thousand nodes deep).
"""

from __future__ import annotations

import math


class Value:
    """A scalar, its gradient, and how it was computed: one node of a graph."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None  # a leaf passes its gradient nowhere
        self._prev = _children
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward

        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward

        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only int/float powers"
        out = Value(self.data**other, (self,), f"**{other}")

        def _backward():
            self.grad += (other * self.data ** (other - 1)) * out.grad
        out._backward = _backward

        return out

    def tanh(self):
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward

        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad  # d/dx e^x = e^x
        out._backward = _backward

        return out

    def relu(self):
        out = Value(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward

        return out

    def backward(self):
        topo = topological_order(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()

    def __neg__(self):  # -self
        return self * -1

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __truediv__(self, other):  # self / other
        return self * other**-1

    def __radd__(self, other):  # other + self
        return self + other

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __rtruediv__(self, other):  # other / self
        return other * self**-1

def topological_order(root):
    """Every Value ``root`` depends on, each one after all of its operands.

    The lecture's depth-first search (``build_topo``), with a stack of its own
    in place of recursion, so that a graph a million nodes deep works too. A
    node goes on the stack twice: first to visit its operands, in order, then
    (``done``) to be appended once they all are.
    """
    topo = []
    visited = set()
    stack = [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            topo.append(v)
        elif v not in visited:
            visited.add(v)
            stack.append((v, True))
            for child in reversed(v._prev):  # the first operand is popped first
                stack.append((child, False))
    return topo
