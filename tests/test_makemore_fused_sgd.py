"""zerohero.makemore.fused_sgd: the one-call update must give torch's two calls' bits."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.makemore import fused_sgd


def test_the_c_is_compiled_and_verified_here():
    assert fused_sgd._library() is not None and fused_sgd.verified()


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=6),
       rate=st.floats(1e-5, 1.0), seed=st.integers(0, 2**16))
def test_the_update_is_torchs_bit_for_bit(sizes, rate, seed):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(n, generator=g) for n in sizes]
    grads = [torch.randn(n, generator=g) * 10.0 ** torch.randint(-8, 4, (n,), generator=g)
             for n in sizes]
    ours, ref = [p.clone() for p in params], [p.clone() for p in params]
    update = fused_sgd.SGD(ours)
    assert update.c  # the C path, not the fallback
    for _ in range(3):
        update(grads, rate)
        fused_sgd.torch_update(ref, grads, rate)
    assert all(torch.equal(a, b) for a, b in zip(ours, ref))


def test_shaped_parameters_are_updated_in_place():
    w = torch.ones(3, 4)
    before = w.data_ptr()
    fused_sgd.SGD([w])([torch.full((3, 4), 2.0)], 0.25)
    assert w.data_ptr() == before and torch.equal(w, torch.full((3, 4), 0.5))


@pytest.mark.parametrize("case", ["no compiler", "float64", "gradient not contiguous"])
def test_what_the_c_does_not_cover_goes_through_torch(case, monkeypatch):
    p, grad = torch.randn(4, 5), torch.randn(4, 5)
    if case == "no compiler":
        monkeypatch.setattr(fused_sgd, "_library", lambda: None)
        fused_sgd.verified.cache_clear()
    elif case == "float64":
        p, grad = p.double(), grad.double()
    else:
        grad = torch.randn(5, 4).t()
    ref = p.clone()
    try:
        update = fused_sgd.SGD([p])
        update([grad], 0.1)
    finally:
        fused_sgd.verified.cache_clear()
    fused_sgd.torch_update([ref], [grad], 0.1)
    assert torch.equal(p, ref)
    assert not update.c or case == "gradient not contiguous"
