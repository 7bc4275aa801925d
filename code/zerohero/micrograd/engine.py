"""A scalar-valued autograd engine: ``Value`` (chapter 1).

Karpathy's micrograd, rebuilt as in the lecture, with four changes that the chapter explains:

- Each op stores its *local derivatives* (d out / d operand) next to its operands, computed in
  the forward pass, instead of a ``_backward`` closure. ``backward()`` then applies the chain
  rule in one loop: ``operand.grad += local * out.grad``. Same numbers, fewer Python objects.
- ``backward()`` orders the graph without recursion, so a chain of a million nodes works (the
  lecture's recursive search stops at Python's recursion limit, about 1,000 deep). It uses a
  simple fact: a Value is always created after its operands, so sorting the graph's nodes by
  their creation number is a topological order.
- ``gc_paused()`` switches off Python's cycle collector while big graphs are built: these
  graphs have no cycles, and the collector would otherwise spend most of a step scanning them.
- ``-``, ``/`` and ``-x`` are ops of their own (micrograd builds them from ``+``, ``*`` and
  ``**``), so ``a / b`` is exactly ``a.data / b.data``, as in Python and PyTorch.
"""

from __future__ import annotations

import gc
import itertools
import math
import numbers
from contextlib import contextmanager
from operator import attrgetter


class Value:
    """A scalar, its gradient, and the operands and op it came from: one graph node (chapter 1).

    ``data`` is the number, ``grad`` the derivative of the last ``backward()``'s output with
    respect to it. Combine Values (and plain numbers) with ``+ - * / **`` and the methods
    ``tanh exp log relu``; call ``backward()`` on the result.
    """

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label", "_birth")
    __array_ufunc__ = None  # numpy scalars defer to our reflected ops: 2.0 * Value is a Value

    def __init__(self, data, _prev=(), _local=(), _op="", label=""):
        if type(data) is not float:
            data = _real(data)
        self.data = data
        self.grad = 0.0
        self._prev = _prev    # the operands this Value was computed from
        self._local = _local  # d(self)/d(operand), one per operand: the op's local derivatives
        self._op = _op        # the op's name, for the graph picture
        self.label = label    # an optional name, for the graph picture
        self._birth = next(_births)  # creation number: operands are always born first

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # --- ops: the forward value, then the local derivative with respect to each operand ---

    def __add__(self, other):
        other = other if isinstance(other, Value) else _constant(other, "+")
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = other if isinstance(other, Value) else _constant(other, "*")
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __sub__(self, other):
        other = other if isinstance(other, Value) else _constant(other, "-")
        return Value(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else _constant(other, "/")
        a, b = self.data, other.data
        return Value(a / b, (self, other), (1.0 / b, -a / (b * b)), "/")

    def __pow__(self, n):
        if isinstance(n, Value) or not isinstance(n, (int, float)):
            raise TypeError(f"Value ** {type(n).__name__}: the exponent must be an int or a "
                            f"float; for a Value exponent y write (y * x.log()).exp()")
        x = self.data
        out = x ** n
        if isinstance(out, complex):
            raise ValueError(f"{x} ** {n}: a negative number to a fractional power is not real")
        try:
            local = n * x ** (n - 1)
        except ZeroDivisionError:  # x == 0: the slope of x**0 is 0, of x**n (0 < n < 1) infinite
            local = 0.0 if n == 0 else math.inf
        return Value(out, (self,), (local,), f"**{n}")

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,), "neg")

    def tanh(self):
        # (1 - e^-2|x|) / (1 + e^-2|x|) with the sign of x: the lecture's formula, without
        # overflow for large |x|
        e = math.exp(-2.0 * abs(self.data))
        t = math.copysign((1.0 - e) / (1.0 + e), self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")

    def exp(self):
        out = math.exp(self.data)
        return Value(out, (self,), (out,), "exp")  # d/dx e^x = e^x (the lecture's erratum: +=)

    def log(self):
        x = self.data
        if x <= 0:
            raise ValueError(f"log({x}): the natural log needs a positive number")
        return Value(math.log(x), (self,), (1.0 / x,), "log")

    def relu(self):
        x = self.data
        return Value(x if x > 0 else 0.0, (self,), (1.0 if x > 0 else 0.0,), "ReLU")

    # --- a number on the left: 2 * x calls x.__rmul__(2) ---

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):  # other - self
        return _constant(other, "-") - self

    def __rtruediv__(self, other):  # other / self
        return _constant(other, "/") / self

    # --- backpropagation ---

    def backward(self):
        """Set ``v.grad += d(self)/d(v)`` for every Value ``v`` that ``self`` depends on.

        The chain rule, applied from the output back: each node passes its gradient, times
        the op's local derivative, to each operand. Gradients accumulate (``+=``), so a Value
        used twice receives both contributions; reset them with ``zero_grad()`` between steps.
        """
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            grad = node.grad
            for operand, local in zip(node._prev, node._local):
                operand.grad += local * grad


def topological_order(root: Value) -> list[Value]:
    """Every Value ``root`` depends on, each one after all of its operands (chapter 1).

    A Value is always created after its operands, so the order of creation is already a
    topological order: collect the graph's nodes (a search with an explicit stack, so the
    depth of the graph is not limited by Python's recursion limit), then sort them by birth.
    """
    nodes, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            nodes.append(node)
            stack.extend(node._prev)
    nodes.sort(key=_birth)
    return nodes


_births = itertools.count()  # numbers each new Value
_birth = attrgetter("_birth")


@contextmanager
def gc_paused():
    """Pause Python's cycle collector while building and backpropagating big graphs (chapter 1).

    A training step creates tens of thousands of Values, and the collector, which wakes up
    every 700 new objects and scans the survivors, would take most of the step's time. Our
    graphs hold no reference cycles (a node points only at its operands; there is no closure
    pointing back at it), so reference counting alone frees a graph once it is dropped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _constant(x, op: str) -> Value:
    """A leaf Value for a number that takes part in an op; a clear error for anything else."""
    if isinstance(x, numbers.Real):
        return Value(x)
    raise TypeError(f"unsupported operand for {op}: Value and {type(x).__name__} ({x!r}); "
                    f"a Value combines with other Values and real numbers")


def _real(x) -> float:
    """``x`` as a Python float (ints, numpy scalars), or a clear error."""
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"Value holds a real number, not {type(x).__name__} ({x!r})")
