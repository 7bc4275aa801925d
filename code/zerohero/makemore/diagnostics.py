"""Looking inside a network while it trains: the lecture's statistics and
figures (chapter 4).

Four views of a deep network, as in makemore part 3:

1. the distribution of every tanh layer's output (how many units are
   saturated at +-1),
2. the distribution of the gradients flowing back into those outputs,
3. the gradients of every weight matrix next to the weights (grad:data),
4. the update:data ratio log10(std(lr * grad) / std(data)) of every weight
   over training, which should hover around -3: each step changes a weight
   by about a thousandth of its size.

The statistics are plain functions of tensors, so they work on any network;
the figures draw into a matplotlib ``Axes`` (or make their own figure).
Histograms are the lecture's: ``torch.histogram``, 100 bins, density.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

SATURATION = 0.97  # |tanh| above this counts as saturated (the lecture's)


@dataclass(frozen=True)
class TensorStats:
    """Mean, standard deviation and a third number of one tensor."""

    label: str
    mean: float
    std: float
    extra: float  # saturated percentage, or grad:data ratio


def activation_stats(outs, labels, saturation=SATURATION):
    """Per tanh layer: mean, std and the percentage of |out| > saturation."""
    assert len(outs) == len(labels)
    stats = []
    for t, label in zip(outs, labels):
        t = t.detach()
        saturated = (t.abs() > saturation).float().mean() * 100
        stats.append(TensorStats(str(label), float(t.mean()), float(t.std()),
                                 float(saturated)))
    return stats


def gradient_stats(grads, labels):
    """Per layer output: mean and std of its gradient (``extra`` is nan)."""
    assert len(grads) == len(labels)
    return [TensorStats(str(label), float(g.mean()), float(g.std()),
                        float("nan"))
            for g, label in zip(grads, labels)]


def weight_gradient_stats(weights, grads, labels):
    """Per weight matrix: mean and std of its gradient, and
    std(grad) / std(weight)."""
    assert len(weights) == len(grads) == len(labels)
    return [TensorStats(str(label), float(g.mean()), float(g.std()),
                        float(g.std() / w.detach().std()))
            for w, g, label in zip(weights, grads, labels)]


@torch.no_grad()
def update_to_data(params, lr):
    """log10(std(lr * grad) / std(data)) of each parameter, after an
    update: the lecture's ``ud``."""
    return torch.stack([((lr * p.grad).std() / p.data.std()).log10()
                        for p in params])


# ---------------------------------------------------------------------------
# Figures


def _axes(ax, figsize=(9, 3)):
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def histogram(ax, t, label=None, bins=100):
    """The lecture's histogram as a line: ``torch.histogram(density=True)``."""
    hy, hx = torch.histogram(t.detach().float().flatten(), bins=bins,
                             density=True)
    return ax.plot(hx[:-1].numpy(), hy.numpy(), label=label)


def plot_distributions(tensors, labels, title, ax=None):
    """One histogram line per tensor, with a legend."""
    assert len(tensors) == len(labels)
    ax = _axes(ax)
    for t, label in zip(tensors, labels):
        histogram(ax, t, str(label))
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_update_ratios(ratios, index, ax=None, labels=None, guide=-3.0):
    """log10 update:data ratio of the parameters ``index`` over the steps,
    with the lecture's guide line at -3."""
    assert ratios.ndim == 2, "ratios are (steps, n_params)"
    ax = _axes(ax)
    labels = labels or [f"param {k}" for k in index]
    for k, label in zip(index, labels):
        ax.plot(ratios[:, k].numpy(), label=str(label))
    ax.plot([0, len(ratios)], [guide, guide], "k", label="1e-3 guide")
    ax.set_xlabel("step")
    ax.set_ylabel("log10(update / data)")
    ax.set_title("update:data ratio")
    ax.legend(fontsize=8, ncol=2)
    return ax


def plot_saturation(h, threshold=0.99, axes=None, title=""):
    """The tanh outputs of a batch: their histogram, and a map of
    |h| > ``threshold`` in white.

    A column white from top to bottom is a dead neuron: saturated for every
    example, so no gradient flows through it.
    """
    import matplotlib.pyplot as plt
    assert h.ndim == 2, "h is (batch, hidden)"
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3),
                               gridspec_kw={"width_ratios": [1, 2]})
    h = h.detach()
    axes[0].hist(h.flatten().numpy(), 50)
    axes[0].set_title(f"{title} tanh outputs".strip())
    axes[1].imshow((h.abs() > threshold).numpy(), cmap="gray",
                   interpolation="nearest", aspect="auto")
    axes[1].set_title(f"|h| > {threshold}: white (batch x hidden units)")
    axes[1].set_xlabel("hidden unit")
    axes[1].set_ylabel("example")
    axes[1].grid(False)
    return axes


def markdown_table(headers, rows) -> str:
    """A Markdown table (the book renders it); floats as they are given."""
    def cell(v):
        return str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(map(cell, headers)) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return "\n".join(lines)
