"""One matplotlib style for every figure of the book, readable in light and dark themes.

Figures are drawn on an opaque light card with dark ink, so they read the same whatever the
page's theme. Chapters call ``zerohero.plotting.use_style()`` once, or plot through the helpers.
"""

from __future__ import annotations

import matplotlib as mpl

# Colour-blind-safe palette (Okabe & Ito), dark enough on the light card.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

STYLE = {
    "figure.facecolor": "#ffffff",
    "axes.facecolor": "#ffffff",
    "savefig.facecolor": "#ffffff",
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#222222",
    "text.color": "#222222",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's style to every later figure of this process."""
    mpl.rcParams.update(STYLE)
