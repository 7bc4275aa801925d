"""Two moons with numpy alone (zerohero/micrograd/datasets.py): the demo's exact points."""

from __future__ import annotations

import numpy as np
import pytest

from zerohero.build import ledger
from zerohero.micrograd.datasets import make_moons


def test_the_demo_points_are_reproduced():
    X, y = make_moons(100, noise=0.1, seed=1337)
    assert X.shape == (100, 2) and y.shape == (100,)
    assert sorted(np.bincount(y)) == [50, 50]
    # demo.ipynb printed plt.ylim = (X[:, 1].min() - 1, ...) for its grid
    # (numpy's sin, cos and normal here: the same bits with its AVX-512 and
    # AVX2 kernels switched off, NPY_DISABLE_CPU_FEATURES, checked)
    ledger.check("01_micrograd", "moons_ylim_low", float(X[:, 1].min() - 1))


def test_without_noise_the_points_lie_on_the_two_half_circles():
    X, y = make_moons(41, noise=None)
    upper, lower = X[y == 0], X[y == 1]
    assert len(upper) == 20 and len(lower) == 21
    assert np.allclose(np.hypot(*upper.T), 1.0)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()


def test_seeded_and_validated():
    a, _ = make_moons(30, seed=5)
    b, _ = make_moons(30, seed=5)
    c, _ = make_moons(30, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    with pytest.raises(AssertionError):
        make_moons(1)
