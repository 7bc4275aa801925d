"""zerohero.makemore.fused_batchnorm: the C BatchNorm step must give fast_train's bits.

The C copies torch's order of operations, including the order in which torch's CPU ``sum``
adds (ATen's cascade). These tests hold it to ``torch.equal`` on many shapes, check that the
book's models really take the C path, and that without a compiler, or for a shape that does
not match, the Python step runs and the numbers are the same.
"""

from __future__ import annotations

import copy
import ctypes
import logging

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zerohero.makemore import fast_train, fused_batchnorm, layers, wavenet

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def fresh_cache():
    fused_batchnorm.verified_vector_size.cache_clear()
    yield
    fused_batchnorm.verified_vector_size.cache_clear()


def _column_sums(x: torch.Tensor, vec: int) -> torch.Tensor:
    out = torch.empty(x.shape[1])
    lib = fused_batchnorm._library()
    assert lib.column_sums(x.data_ptr(), x.shape[0], x.shape[1], vec, out.data_ptr()) == 0
    return out


def _machine_vector_size() -> int:
    """The vector size the C needs here: found by the first book shape that needs it."""
    return fused_batchnorm.verified_vector_size((100, 33), True, 33, 1e-5, 0.1)


def test_the_c_is_compiled_here():
    assert fused_batchnorm._library() is not None


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 700), m=st.integers(2, 140), seed=st.integers(0, 2**16),
       scale=st.sampled_from([1e-3, 1.0, 1e4]))
def test_column_sums_add_in_torchs_order(n, m, seed, scale):
    x = torch.randn(n, m, generator=torch.Generator().manual_seed(seed)) * scale
    assert torch.equal(_column_sums(x, _machine_vector_size()), x.sum(0))


def test_column_sums_of_a_long_column_use_more_levels_of_the_cascade():
    # past 2**16 rows the runs grow from 16 to 32 rows: a second regime of ATen's loop
    x = torch.randn(2**20 + 3, 3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(_column_sums(x, _machine_vector_size()), x.sum(0))


def _both(shape, reduce_time, seed=0, steps=3):
    """fast_train's step and the fused step on the same inputs, several steps (the first
    replaces the running statistics, the others update them in place)."""
    c = shape[-1]
    g = torch.Generator().manual_seed(seed)
    bn = layers.BatchNorm1d(c, reduce_time=reduce_time)
    bn.gamma = torch.rand(c, generator=g) + 0.5
    bn.beta = torch.randn(c, generator=g)
    data = _data(shape, g, steps)
    results = []
    for cls in (fast_train.BatchNorm1d, fused_batchnorm.FusedBatchNorm1d):
        layer = copy.deepcopy(bn)
        got, fused = _steps(cls(layer), data)
        results.append((got + [layer.running_mean, layer.running_var], fused))
    return results


def _data(shape, g, steps):
    return [(torch.randn(shape, generator=g) * 2 - 1, torch.randn(shape, generator=g))
            for _ in range(steps)]


def _steps(step, data):
    """Outputs, input gradients and parameter gradients of ``step`` over ``data``, and
    whether each forward pass ran in C."""
    got, fused = [], []
    with torch.inference_mode():
        for x, dout in data:
            got += [step.forward(x), step.backward(dout), *step.grads]
            fused.append(getattr(step, "fused", False))
    step.finish()
    return got, fused


def _identical(a, b):
    return all(x.shape == y.shape and torch.equal(x, y) for x, y in zip(a, b, strict=True))


@settings(max_examples=60, deadline=None)
@given(batch=st.integers(2, 70), time=st.integers(1, 5), channels=st.integers(1, 80),
       three_d=st.booleans(), reduce_time=st.booleans(), seed=st.integers(0, 1000))
def test_the_fused_step_is_fast_trains_bit_for_bit(batch, time, channels, three_d,
                                                   reduce_time, seed):
    shape = (batch, time, channels) if three_d else (batch, channels)
    (ref, _), (got, fused) = _both(shape, reduce_time, seed)
    assert _identical(ref, got)
    if channels >= 2 or (three_d and not reduce_time and time >= 2):
        assert all(fused)  # and it was the C that ran (one channel: torch sums differently)


BOOK_WAVENETS = [dict(block_size=3, n_embd=10, n_hidden=200, hierarchical=False),
                 dict(n_embd=10, n_hidden=200, hierarchical=False),
                 dict(n_embd=10, n_hidden=68, bn_reduce_time=False),
                 dict(n_embd=10, n_hidden=68), dict(n_embd=24, n_hidden=128)]


@pytest.mark.parametrize("config", BOOK_WAVENETS)
def test_every_batchnorm_of_chapter_6_runs_in_c(config):
    torch.manual_seed(0)
    model = wavenet.build_model(wavenet.WaveNetConfig(**config))
    steps = fast_train.steps_of(model)
    bns = [s for s in steps if isinstance(s, fast_train.BatchNorm1d)]
    assert bns and all(isinstance(s, fused_batchnorm.FusedBatchNorm1d) for s in bns)
    x = torch.randint(0, 27, (32, config.get("block_size", 8)))
    with torch.inference_mode():
        for s in steps:
            x = s.forward(x)
    assert all(s.fused for s in bns)


def test_without_a_compiler_the_python_step_runs(monkeypatch, fresh_cache):
    monkeypatch.setattr(fused_batchnorm, "_library", lambda: None)
    (ref, _), (got, fused) = _both((32, 4, 16), True)
    assert _identical(ref, got) and not any(fused)


def test_a_shape_that_does_not_match_runs_in_python_and_says_so(monkeypatch, fresh_cache,
                                                               caplog):
    monkeypatch.setattr(fused_batchnorm, "_python_and_c", lambda *args: False)
    with caplog.at_level(logging.WARNING, logger=fused_batchnorm.__name__):
        (ref, _), (got, fused) = _both((32, 24), True)
    assert _identical(ref, got) and not any(fused)
    assert "no bit-identical match for shape (32, 24)" in caplog.text


def test_checking_a_shape_leaves_the_global_generator_alone(fresh_cache):
    torch.manual_seed(3)
    before = torch.get_rng_state()
    assert fused_batchnorm.verified_vector_size((32, 2, 40), True, 40, 1e-5, 0.1) is not None
    assert torch.equal(torch.get_rng_state(), before)


def test_other_corrections_and_dtypes_take_the_python_step():
    bn = layers.BatchNorm1d(8, correction=0)
    step = fused_batchnorm.FusedBatchNorm1d(bn)
    with torch.inference_mode():
        step.forward(torch.randn(16, 8))
    assert not step.fused
    step = fused_batchnorm.FusedBatchNorm1d(layers.BatchNorm1d(8))
    with torch.inference_mode():
        step.forward(torch.randn(16, 8).double().float().t().contiguous().t())  # not contiguous
    assert not step.fused


# --------------------------------------------------------------------------------------------
# Chapter 4's hand-written BatchNorm


def _lecture_both(shape, seed=0, steps=3):
    from types import SimpleNamespace
    g = torch.Generator().manual_seed(seed)
    width = shape[1]
    base = dict(bngain=torch.rand(1, width, generator=g) + 0.5,
                bnbias=torch.randn(1, width, generator=g),
                bnmean_running=torch.zeros(1, width), bnstd_running=torch.ones(1, width))
    data = _data(shape, g, steps)
    results = []
    for cls in (fast_train.LectureBatchNorm, fused_batchnorm.FusedLectureBatchNorm):
        model = SimpleNamespace(**{k: v.clone() for k, v in base.items()})
        got, fused = _steps(cls(model), data)
        results.append((got + [model.bnmean_running, model.bnstd_running], fused))
    return results


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(2, 70), width=st.integers(2, 230), seed=st.integers(0, 1000))
def test_the_fused_lecture_batchnorm_is_fast_trains_bit_for_bit(batch, width, seed):
    (ref, _), (got, fused) = _lecture_both((batch, width), seed)
    assert _identical(ref, got) and all(fused)


def test_a_neuron_with_no_spread_is_handled_as_torch_handles_it():
    # std 0: the output is NaN and the variance's gradient is masked to 0 (masked_fill_)
    from types import SimpleNamespace
    h = torch.randn(8, 6, generator=torch.Generator().manual_seed(0))
    h[:, 2] = 1.5
    dout = torch.randn(8, 6, generator=torch.Generator().manual_seed(1))
    outs = []
    for cls in (fast_train.LectureBatchNorm, fused_batchnorm.FusedLectureBatchNorm):
        model = SimpleNamespace(bngain=torch.ones(1, 6), bnbias=torch.zeros(1, 6),
                                bnmean_running=torch.zeros(1, 6), bnstd_running=torch.ones(1, 6))
        step = cls(model)
        with torch.inference_mode():
            outs.append([step.forward(h), step.backward(dout), *step.grads])
    assert step.fused and outs[0][0].isnan().any()
    # bit for bit, NaNs included
    assert all(torch.equal(a.view(torch.int32), b.view(torch.int32)) for a, b in zip(*outs))


def test_chapter_4s_batchnorm_network_runs_in_c():
    from zerohero.makemore import batchnorm
    model = batchnorm.RevisitedMLP("batchnorm", generator=torch.Generator().manual_seed(1))
    steps = fast_train.steps_of(model)
    [bn] = [s for s in steps if isinstance(s, fast_train.LectureBatchNorm)]
    assert isinstance(bn, fused_batchnorm.FusedLectureBatchNorm)
    x = torch.randint(0, 27, (32, 3))
    with torch.inference_mode():
        for s in steps:
            x = s.forward(x)
    assert bn.fused


def test_running_statistics_replaced_from_outside_are_updated_as_torch_would():
    # the C updates in place only the tensors its step made; others get torch's update
    bn = layers.BatchNorm1d(8)
    ref = copy.deepcopy(bn)
    fused, plain = fused_batchnorm.FusedBatchNorm1d(bn), fast_train.BatchNorm1d(ref)
    g = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for k in range(4):
            x = torch.randn(16, 8, generator=g)
            if k == 2:
                outside = torch.full((1, 8), 0.5)
                bn.running_mean, ref.running_mean = outside, outside.clone()
            assert torch.equal(fused.forward(x), plain.forward(x))
    assert fused.fused
    assert torch.equal(bn.running_mean, ref.running_mean)
    assert torch.equal(bn.running_var, ref.running_var)
    assert torch.equal(outside, torch.full((1, 8), 0.5))  # not written into
