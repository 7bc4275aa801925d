"""A picture of a computation graph, drawn with matplotlib alone (chapter 1).

The lecture draws its graphs with Graphviz, which needs the ``dot`` program
installed. Here the layout is computed in Python: each Value goes in a column
one step to the right of its deepest operand (inputs sit just left of where
they are first used), the order within a column is improved by a few
"barycenter" sweeps (each node moves towards the mean height of its
neighbours, which removes most edge crossings), and matplotlib draws boxes and
arrows.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from zerohero.micrograd.engine import Value, topological_order

# Sizes in inches: one column holds an op circle and a Value box.
COLUMN_WIDTH = 2.3
ROW_HEIGHT = 0.9
LEAF_COLOR = "#dbe9f6"
NODE_COLOR = "#ffffff"
OP_COLOR = "#fbe3d4"


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """The Values ``root`` depends on (operands first) and the edges
    (operand, result)."""
    nodes = topological_order(root)
    edges = [(operand, node) for node in nodes for operand in node._prev]
    return nodes, edges


def layout(root: Value, sweeps: int = 4) -> dict[Value, tuple[float, float]]:
    """(column, row) of every Value of the graph: results to the right of their
    operands."""
    nodes, edges = trace(root)
    consumers = {node: [] for node in nodes}
    for operand, node in edges:
        consumers[operand].append(node)

    column = {}
    for node in nodes:  # a result goes one column right of its deepest operand
        if node._prev:
            column[node] = 1 + max(column.get(p, 0) for p in node._prev)
    for node in reversed(nodes):  # inputs sit just left of their first use
        if not node._prev:
            first_use = min((column[c] for c in consumers[node]), default=1)
            column[node] = first_use - 1
    shift = min(column.values())
    column = {node: c - shift for node, c in column.items()}

    ncols = max(column.values()) + 1
    columns = [[] for _ in range(ncols)]
    for node in nodes:
        columns[column[node]].append(node)
    rank = {node: i for col in columns for i, node in enumerate(col)}
    size = [len(col) for col in columns]

    def barycenter(node, neighbours):  # mean relative height of the neighbours
        linked = [rank[n] / size[column[n]] for n in neighbours]
        if not linked:
            return rank[node] / size[column[node]]
        return sum(linked) / len(linked)

    for sweep in range(sweeps):
        # left to right by operands, then right to left by consumers
        forward = sweep % 2 == 0
        for col in (columns if forward else reversed(columns)):
            col.sort(key=lambda n: barycenter(
                n, n._prev if forward else consumers[n]))
            for i, n in enumerate(col):
                rank[n] = i

    return {node: (column[node], (size[column[node]] - 1) / 2 - rank[node])
            for node in nodes}


def value_text(v: Value) -> str:
    """The text of a Value's box: its label (if any), data and grad, as in the
    lecture."""
    lines = [v.label] if v.label else []
    return "\n".join(lines + [f"data {v.data:.4f}", f"grad {v.grad:.4f}"])


def draw_graph(root: Value, max_nodes: int = 150, title: str | None = None):
    """A matplotlib Figure of the graph that produced ``root``.

    Every Value is a box with its label, ``data`` and ``grad`` (4 decimals);
    every op is a circle feeding the box of its result. Boxes of inputs
    (leaves) are shaded. A graph of more than ``max_nodes`` Values would be
    unreadable, so it is refused.
    """
    nodes, edges = trace(root)
    assert len(nodes) <= max_nodes, f"{len(nodes)} Values: too many to draw"
    pos = layout(root)
    ncols = max(c for c, _ in pos.values()) + 1
    heights = {}
    for c, r in pos.values():
        heights[c] = heights.get(c, 0) + 1
    nrows = max(heights.values())

    size = (0.6 + COLUMN_WIDTH * ncols, 0.5 + ROW_HEIGHT * nrows)
    fig, ax = plt.subplots(figsize=size)
    ax.set_xlim(-0.55, ncols - 0.45)
    ax.set_ylim(-nrows / 2, nrows / 2)
    ax.axis("off")
    if title:
        ax.set_title(title)

    boxes, ops = {}, {}
    for v in nodes:
        x, y = pos[v]
        color = NODE_COLOR if v._prev else LEAF_COLOR
        boxes[v] = ax.text(x, y, value_text(v), ha="center", va="center",
                           fontsize=8, family="monospace", gid="value",
                           zorder=3,
                           bbox=dict(boxstyle="round,pad=0.35", linewidth=0.8,
                                     facecolor=color))
        if v._op:
            ops[v] = ax.text(x - 0.5, y, v._op, ha="center", va="center",
                             fontsize=8, gid="op", zorder=3,
                             bbox=dict(boxstyle="circle,pad=0.3",
                                       linewidth=0.8, facecolor=OP_COLOR))
    arrow = dict(arrowstyle="-|>", color="#555555", linewidth=0.8,
                 shrinkA=0, shrinkB=0)
    for v, op in ops.items():  # op -> its result
        ax.annotate("", xy=pos[v], xytext=(pos[v][0] - 0.5, pos[v][1]),
                    zorder=2,
                    arrowprops=dict(arrow, patchA=op.get_bbox_patch(),
                                    patchB=boxes[v].get_bbox_patch()))
    for operand, result in edges:  # operand -> the op of its result
        op_at = (pos[result][0] - 0.5, pos[result][1])
        ax.annotate("", xy=op_at, xytext=pos[operand], zorder=2,
                    arrowprops=dict(arrow,
                                    patchA=boxes[operand].get_bbox_patch(),
                                    patchB=ops[result].get_bbox_patch()))
    fig.tight_layout()
    return fig
