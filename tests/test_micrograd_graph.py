"""The computation-graph picture (zerohero/micrograd/graph.py): one box per Value with its data
and grad, one circle per op, results to the right of their operands, no Graphviz needed."""

from __future__ import annotations

import random

import matplotlib

matplotlib.use("Agg")  # no display in tests

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from zerohero.micrograd import MLP, Value, topological_order  # noqa: E402
from zerohero.micrograd.graph import draw_graph, layout  # noqa: E402


def lecture_L():
    a, b, c, f = (Value(v, label=n) for v, n in ((2.0, "a"), (-3.0, "b"), (10.0, "c"),
                                                 (-2.0, "f")))
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    L = d * f; L.label = "L"
    L.backward()
    return L


def texts(fig, gid):
    return [t for ax in fig.axes for t in ax.texts if t.get_gid() == gid]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_one_labelled_box_per_value_and_one_circle_per_op():
    L = lecture_L()
    fig = draw_graph(L)
    assert isinstance(fig, Figure)
    nodes = topological_order(L)
    boxes = texts(fig, "value")
    assert len(boxes) == len(nodes) == 7
    assert len(texts(fig, "op")) == sum(1 for v in nodes if v._op) == 3
    shown = {t.get_text() for t in boxes}
    for v in nodes:  # every box shows the label, data and grad of its node
        assert f"{v.label}\ndata {v.data:.4f}\ngrad {v.grad:.4f}" in shown
    assert "a\ndata 2.0000\ngrad 6.0000" in shown  # the lecture's picture


def test_layout_puts_results_right_of_their_operands():
    model = MLP(3, [2, 1], rng=random.Random(0))
    out = model([1.0, -2.0, 0.5])
    pos = layout(out)
    for v in topological_order(out):
        for operand in v._prev:
            assert pos[operand][0] < pos[v][0]
    # no two nodes share a position
    assert len(set(pos.values())) == len(pos)


def test_a_value_used_twice_and_a_single_leaf_draw():
    a = Value(3.0, label="a")
    b = a + a
    fig = draw_graph(b)
    assert len(texts(fig, "value")) == 2
    assert len(texts(fig, "value")) == len(texts(draw_graph(a), "value")) + 1


def test_a_graph_too_large_to_read_is_refused():
    x = Value(1.0)
    for _ in range(200):
        x = x + 1.0
    with pytest.raises(AssertionError, match="too many"):
        draw_graph(x)


def test_the_picture_after_backward_shows_the_gradients():
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    f = (a * b) * (a + b)
    f.label = "f"
    before = {t.get_text() for t in texts(draw_graph(f), "value")}
    assert "a\ndata -2.0000\ngrad 0.0000" in before
    f.backward()
    after = {t.get_text() for t in texts(draw_graph(f), "value")}
    assert "a\ndata -2.0000\ngrad -3.0000" in after
    assert "b\ndata 3.0000\ngrad -8.0000" in after
