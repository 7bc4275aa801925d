"""Two interleaving half circles, "two moons", with numpy alone (chapter 1).

micrograd's demo draws its data with ``sklearn.datasets.make_moons(
n_samples=100, noise=0.1)`` after ``np.random.seed(1337)``. This is the same
algorithm (scikit-learn 0.22 onwards) on numpy's legacy ``RandomState``, so the
same seed gives the same 100 points to the last bit, without scikit-learn.
"""

from __future__ import annotations

import numpy as np


def make_moons(n_samples=100, noise=0.1, seed=1337):
    """Points ``X`` (n, 2) on two half circles, labels ``y`` (n,) in {0, 1}.

    The upper moon (label 0) is the unit half circle; the lower one (label 1)
    is the same half circle flipped and shifted by (1, 0.5). The points are
    shuffled, then Gaussian noise of standard deviation ``noise`` is added to
    each coordinate (none if ``noise`` is None).
    """
    assert n_samples >= 2
    # the legacy generator, which np.random.seed seeds and sklearn draws from
    rng = np.random.RandomState(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    x = np.append(np.cos(t_out), 1 - np.cos(t_in))
    y_coord = np.append(np.sin(t_out), 1 - np.sin(t_in) - 0.5)
    X = np.vstack([x, y_coord]).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp),
                   np.ones(n_in, dtype=np.intp)])
    order = np.arange(n_samples)
    rng.shuffle(order)
    X, y = X[order], y[order]
    if noise is not None:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y
