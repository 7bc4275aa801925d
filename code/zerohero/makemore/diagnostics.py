"""Looking inside a network while it trains: the lecture's statistics and figures (chapter 4).

Four views of a deep network, as in makemore part 3:

1. the distribution of every tanh layer's output (how many units are saturated at +-1),
2. the distribution of the gradients flowing back into those outputs,
3. the gradients of every weight matrix next to the weights (the grad:data ratio),
4. the update:data ratio log10(std(lr * grad) / std(data)) of every weight over training,
   which should hover around -3: each step changes a weight by about a thousandth of its size.

The statistics are plain functions of tensors, so they work on any network; the figures take a
matplotlib ``Axes`` (or make their own figure). Histograms use ``torch.histogram`` with 100 bins
and ``density=True`` like the lecture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

SATURATION = 0.97  # |tanh| above this counts as saturated in the layer statistics (the lecture's)


@dataclass(frozen=True)
class TensorStats:
    """Mean, standard deviation and a third number of one tensor (chapter 4)."""

    label: str
    mean: float
    std: float
    extra: float  # saturated percentage, or grad:data ratio


def _check(tensors: Sequence, labels: Sequence, what: str) -> None:
    if len(tensors) != len(labels):
        raise ValueError(f"{what}: {len(tensors)} tensors but {len(labels)} labels")
    missing = [lab for t, lab in zip(tensors, labels) if t is None]
    if missing:
        raise ValueError(f"{what}: no gradient for {', '.join(map(str, missing))}; run a "
                         f"backward pass first (and retain_grad() on non-leaf outputs)")


def activation_stats(outs: Sequence[torch.Tensor], labels: Sequence,
                     saturation: float = SATURATION) -> list[TensorStats]:
    """Per tanh layer: mean, std and the percentage of units with |out| > ``saturation``."""
    _check(outs, labels, "activation_stats")
    outs = [t.detach() for t in outs]
    return [TensorStats(str(lab), float(t.mean()), float(t.std()),
                        float((t.abs() > saturation).float().mean() * 100))
            for t, lab in zip(outs, labels)]


def gradient_stats(grads: Sequence[torch.Tensor], labels: Sequence) -> list[TensorStats]:
    """Per layer output: mean and std of its gradient (``extra`` is nan)."""
    _check(grads, labels, "gradient_stats")
    grads = [t.detach() for t in grads]
    return [TensorStats(str(lab), float(t.mean()), float(t.std()), float("nan"))
            for t, lab in zip(grads, labels)]


def weight_gradient_stats(weights: Sequence[torch.Tensor], grads: Sequence[torch.Tensor],
                          labels: Sequence) -> list[TensorStats]:
    """Per weight matrix: mean and std of its gradient, and std(grad) / std(weight)."""
    _check(grads, labels, "weight_gradient_stats")
    if len(weights) != len(grads):
        raise ValueError(f"weight_gradient_stats: {len(weights)} weights but {len(grads)} "
                         f"gradients")
    weights, grads = [w.detach() for w in weights], [g.detach() for g in grads]
    return [TensorStats(str(lab), float(g.mean()), float(g.std()), float(g.std() / w.std()))
            for w, g, lab in zip(weights, grads, labels)]


def update_to_data(params: Sequence[torch.Tensor], lr: float) -> torch.Tensor:
    """log10(std(lr * grad) / std(data)) of each parameter, after an update (chapter 4)."""
    with torch.no_grad():
        return torch.stack([((lr * p.grad).std() / p.std()).log10() for p in params])


# --------------------------------------------------------------------------------------------
# Figures


def _axes(ax, figsize=(9, 3)):
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def histogram(ax, t: torch.Tensor, label: str | None = None, bins: int = 100):
    """The lecture's histogram as a line: ``torch.histogram(t, density=True)``."""
    hy, hx = torch.histogram(t.detach().float().flatten(), bins=bins, density=True)
    return ax.plot(hx[:-1].numpy(), hy.numpy(), label=label)


def plot_distributions(tensors: Sequence[torch.Tensor], labels: Sequence, title: str, ax=None):
    """One histogram line per tensor, with a legend (the lecture's four-panel style)."""
    _check(tensors, labels, title)
    ax = _axes(ax)
    for t, lab in zip(tensors, labels):
        histogram(ax, t, str(lab))
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_update_ratios(ratios: torch.Tensor, index: Sequence[int], ax=None,
                       labels: Sequence | None = None, guide: float = -3.0):
    """log10 update:data ratio of the parameters ``index`` over the steps, with the -3 guide."""
    if ratios.ndim != 2:
        raise ValueError(f"ratios must be (steps, n_params), got shape {tuple(ratios.shape)}")
    ax = _axes(ax)
    labels = labels or [f"param {k}" for k in index]
    for k, lab in zip(index, labels):
        ax.plot(ratios[:, k].numpy(), label=str(lab))
    ax.plot([0, len(ratios)], [guide, guide], "k", label="1e-3 guide")
    ax.set_xlabel("step")
    ax.set_ylabel("log10(update / data)")
    ax.set_title("update:data ratio")
    ax.legend(fontsize=8, ncol=2)
    return ax


def plot_saturation(h: torch.Tensor, threshold: float = 0.99, axes=None, title: str = ""):
    """The tanh outputs of a batch: their histogram, and a map of |h| > ``threshold`` (white).

    A column that is white from top to bottom is a dead neuron: saturated for every example,
    so no gradient ever flows through it.
    """
    import matplotlib.pyplot as plt
    if h.ndim != 2:
        raise ValueError(f"h must be (batch, hidden), got shape {tuple(h.shape)}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3), gridspec_kw={"width_ratios": [1, 2]})
    h = h.detach()
    axes[0].hist(h.flatten().numpy(), 50)
    axes[0].set_title(f"{title} tanh outputs".strip())
    axes[1].imshow((h.abs() > threshold).numpy(), cmap="gray", interpolation="nearest",
                   aspect="auto")
    axes[1].set_title(f"|h| > {threshold}: white (batch x hidden units)")
    axes[1].set_xlabel("hidden unit")
    axes[1].set_ylabel("example")
    axes[1].grid(False)
    return axes


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table (rendered by the book); floats keep their full repr unless formatted."""
    def cell(v):
        return str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(map(cell, headers)) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return "\n".join(lines)
