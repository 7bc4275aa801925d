"""zerohero.makemore.welford: torch.var's and torch.std's bits, from the C loop or the fallback."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zerohero.makemore import welford

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_c_loop_is_compiled_here():
    # The machine the book is built on has a C compiler: the speed-up must not silently vanish.
    assert welford._library() is not None


@settings(max_examples=200, deadline=None)
@given(shape=st.lists(st.integers(1, 40), min_size=2, max_size=3), lead=st.integers(1, 2),
       correction=st.sampled_from([0, 1]), scale=st.floats(1e-3, 1e3), shift=st.floats(-50, 50),
       seed=st.integers(0, 2**16))
def test_var_and_std_are_torch_bit_for_bit(shape, lead, correction, scale, shift, seed):
    lead = min(lead, len(shape) - 1)
    dim = 0 if lead == 1 else tuple(range(lead))
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * scale + shift
    n, m = x.numel() // x[(0,) * lead].numel(), x[(0,) * lead].numel()
    assume(n > correction and m > 1)  # else torch warns (NaN), or reduces to one number
    assert welford._welford(x, dim, correction, False) is not None  # the C path ran
    assert torch.equal(welford.var(x, dim, correction), x.var(dim, keepdim=True,
                                                               correction=correction))
    assert torch.equal(welford.std(x, dim, correction), x.std(dim, keepdim=True,
                                                               correction=correction))


@pytest.mark.parametrize("shape,dim", [((32, 200), 0), ((32, 4, 128), (0, 1)), ((32, 4, 68), 0)])
def test_the_batchnorm_shapes_of_chapters_4_and_6(shape, dim):
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        x = torch.randn(shape, generator=g) * 2 + 0.5
        assert torch.equal(welford.var(x, dim), x.var(dim, keepdim=True))
        assert torch.equal(welford.std(x, dim), x.std(dim, keepdim=True))


@pytest.mark.parametrize("case", ["last dim", "not contiguous", "float64", "needs grad",
                                  "one output"])
def test_other_cases_fall_back_to_torch(case):
    x = torch.randn(8, 6, 5)
    dim = 0
    if case == "one output":  # torch's two-pass algorithm for a reduction to one number
        x = torch.randn(25, 1) * 0.002 + 4
    elif case == "last dim":
        dim = -1
    elif case == "not contiguous":
        x = x.transpose(0, 1)
    elif case == "float64":
        x = x.double()
    else:
        x.requires_grad_(True)
    assert welford._welford(x, dim, 1, False) is None
    assert torch.equal(welford.var(x, dim), x.var(dim, keepdim=True))


def test_without_a_compiler_the_numbers_are_the_same(monkeypatch):
    monkeypatch.setattr(welford, "_library", lambda: None)
    x = torch.randn(32, 4, 16)
    assert torch.equal(welford.var(x, (0, 1)), x.var((0, 1), keepdim=True))


def test_a_broken_compiler_is_survived(monkeypatch):
    welford._library.cache_clear()
    monkeypatch.setenv("CC", "/nonexistent/cc")
    try:
        assert welford._library() is None
    finally:
        welford._library.cache_clear()
