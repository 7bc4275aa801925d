"""The from-scratch layers against their torch.nn equivalents (chapters 4 and 6).

Correct means: the same outputs and the same gradients as torch.nn on random inputs, and the
same running statistics for BatchNorm, in training and in evaluation mode.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.makemore.layers import (BatchNorm1d, Embedding, Flatten, FlattenConsecutive,
                                      Linear, Module, Sequential, Tanh)

FAST = settings(max_examples=25, deadline=None)
sizes = st.integers(min_value=1, max_value=12)


def randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def leaf(t):
    return t.detach().clone().requires_grad_(True)


# --------------------------------------------------------------------------------------------
# Linear


@FAST
@given(fan_in=sizes, fan_out=sizes, batch=sizes, bias=st.booleans(), seed=st.integers(0, 10**6))
def test_linear_matches_nn_linear_with_transposed_weight(fan_in, fan_out, batch, bias, seed):
    ours = Linear(fan_in, fan_out, bias=bias, generator=torch.Generator().manual_seed(seed))
    ours.weight = leaf(ours.weight.double())
    if bias:
        ours.bias = leaf(randn(fan_out, seed=seed + 1))
    ref = torch.nn.Linear(fan_in, fan_out, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(ours.weight.T)  # torch.nn keeps (fan_out, fan_in)
        if bias:
            ref.bias.copy_(ours.bias)
    x1, x2 = leaf(randn(batch, fan_in, seed=seed + 2)), leaf(randn(batch, fan_in, seed=seed + 2))
    upstream = randn(batch, fan_out, seed=seed + 3)
    y1, y2 = ours(x1), ref(x2)
    torch.testing.assert_close(y1, y2)
    (y1 * upstream).sum().backward()
    (y2 * upstream).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad.T)
    if bias:
        torch.testing.assert_close(ours.bias.grad, ref.bias.grad)


def test_linear_parameters_and_init_scale():
    layer = Linear(200, 2000, generator=torch.Generator().manual_seed(0))
    assert [tuple(p.shape) for p in layer.parameters()] == [(200, 2000), (2000,)]
    assert len(Linear(3, 4, bias=False).parameters()) == 1
    assert torch.count_nonzero(layer.bias) == 0
    # weights ~ N(0, 1/fan_in): std 1/sqrt(200) = 0.0707; 400,000 draws pin it to about 0.1%
    assert layer.weight.std().item() == pytest.approx(200**-0.5, rel=0.01)


def test_linear_draws_from_the_given_generator():
    a = Linear(5, 7, generator=torch.Generator().manual_seed(3)).weight
    b = torch.randn((5, 7), generator=torch.Generator().manual_seed(3)) / 5**0.5
    assert torch.equal(a, b)


# --------------------------------------------------------------------------------------------
# BatchNorm1d


def _pair(dim, momentum=0.1, eps=1e-5, seed=0):
    ours = BatchNorm1d(dim, eps=eps, momentum=momentum, correction=0)
    ref = torch.nn.BatchNorm1d(dim, eps=eps, momentum=momentum, dtype=torch.float64)
    ours.gamma, ours.beta = leaf(randn(dim, seed=seed) * 0.5 + 1), leaf(randn(dim, seed=seed + 1))
    ours.running_mean = ours.running_mean.double()
    ours.running_var = ours.running_var.double()
    with torch.no_grad():
        ref.weight.copy_(ours.gamma)
        ref.bias.copy_(ours.beta)
    return ours, ref


@FAST
@given(dim=sizes, batch=st.integers(2, 16), steps=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_batchnorm_correction0_matches_nn_batchnorm_in_training(dim, batch, steps, seed):
    ours, ref = _pair(dim, seed=seed)
    for step in range(steps):
        x1 = leaf(randn(batch, dim, seed=seed + 10 + step) * 3 + 2)
        x2 = leaf(x1)
        upstream = randn(batch, dim, seed=seed + 20 + step)
        y1, y2 = ours(x1), ref(x2)
        torch.testing.assert_close(y1, y2)
        (y1 * upstream).sum().backward()
        (y2 * upstream).sum().backward()
        torch.testing.assert_close(x1.grad, x2.grad)
    torch.testing.assert_close(ours.gamma.grad, ref.weight.grad)
    torch.testing.assert_close(ours.beta.grad, ref.bias.grad)
    # running estimates: the mean, and the *unbiased* variance of each batch, with momentum
    torch.testing.assert_close(ours.running_mean.flatten(), ref.running_mean)
    torch.testing.assert_close(ours.running_var.flatten(), ref.running_var)


@FAST
@given(dim=sizes, batch=st.integers(2, 16), seed=st.integers(0, 10**6))
def test_batchnorm_eval_uses_running_statistics_like_nn(dim, batch, seed):
    ours, ref = _pair(dim, momentum=0.3, seed=seed)
    for step in range(3):
        x = randn(batch, dim, seed=seed + step) * 2 - 1
        ours(x), ref(x)
    ours.eval(), ref.eval()
    x = randn(batch, dim, seed=seed + 99)
    torch.testing.assert_close(ours(x), ref(x))
    # inference is per example: the same output alone or in a batch
    torch.testing.assert_close(ours(x[:1]), ours(x)[:1])
    assert not ours.training


def test_batchnorm_lecture_default_is_unbiased_variance():
    x = randn(8, 3, seed=1)
    bn = BatchNorm1d(3)  # the lecture's x.var(0): Bessel's correction, n - 1
    y = bn(x)
    expected = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=True) + 1e-5)
    torch.testing.assert_close(y, expected.float() if y.dtype == torch.float32 else expected)
    # unbiased: the normalised batch has std 1 with n - 1, slightly less than 1 with n
    assert y.std(0, unbiased=True).mean().item() == pytest.approx(1.0, abs=1e-4)


def test_batchnorm_running_stats_first_update():
    x = randn(16, 4, seed=2)
    bn = BatchNorm1d(4, momentum=0.1)
    bn(x)
    torch.testing.assert_close(bn.running_mean.flatten(), 0.1 * x.mean(0))
    torch.testing.assert_close(bn.running_var.flatten(), 0.9 + 0.1 * x.var(0, unbiased=True))


def test_batchnorm_3d_input_reduces_over_batch_and_time():
    from zerohero.makemore.wavenet import BatchNorm1d as FixedBatchNorm1d
    x = randn(4, 6, 3, seed=3)
    y = FixedBatchNorm1d(3, correction=0)(x)
    ref = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    torch.testing.assert_close(y, ref(x.transpose(1, 2)).transpose(1, 2))
    # chapter 4's class on 3-D input is the lecture's bug (chapter 6):
    # statistics over dim 0 only
    y_bug = BatchNorm1d(3, correction=0)(x)
    expected = (x - x.mean(0, keepdim=True)) / torch.sqrt(x.var(0, keepdim=True, unbiased=False)
                                                          + 1e-5)
    torch.testing.assert_close(y_bug, expected)


# --------------------------------------------------------------------------------------------
# Tanh, Embedding, Flatten, FlattenConsecutive, Sequential


def test_tanh_matches_nn_tanh_and_has_no_parameters():
    x1, x2 = leaf(randn(5, 7, seed=4) * 3), leaf(randn(5, 7, seed=4) * 3)
    y1, y2 = Tanh()(x1), torch.nn.Tanh()(x2)
    torch.testing.assert_close(y1, y2)
    y1.sum().backward(), y2.sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)
    assert Tanh().parameters() == []


@FAST
@given(n=st.integers(1, 30), d=sizes, seed=st.integers(0, 10**6))
def test_embedding_matches_nn_embedding(n, d, seed):
    ours = Embedding(n, d, generator=torch.Generator().manual_seed(seed))
    ours.weight = leaf(ours.weight.double())
    ref = torch.nn.Embedding(n, d, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(ours.weight)
    ix = torch.randint(0, n, (4, 3), generator=torch.Generator().manual_seed(seed))
    upstream = randn(4, 3, d, seed=seed)
    y1, y2 = ours(ix), ref(ix)
    torch.testing.assert_close(y1, y2)
    (y1 * upstream).sum().backward()
    (y2 * upstream).sum().backward()
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad)


@FAST
@given(B=sizes, groups=st.integers(1, 4), n=st.integers(1, 4), C=sizes)
def test_flatten_consecutive_shapes_and_content(B, groups, n, C):
    x = torch.arange(B * groups * n * C).view(B, groups * n, C)
    y = FlattenConsecutive(n)(x)
    if groups == 1:
        assert y.shape == (B, n * C)  # a time dimension of 1 is squeezed away
    else:
        assert y.shape == (B, groups, n * C)
    # consecutive time steps are concatenated: [t0 channels, t1 channels, ...]
    assert torch.equal(y.reshape(B, groups, n, C), x.view(B, groups, n, C))


def test_flatten_consecutive_rejects_indivisible_time():
    with pytest.raises(AssertionError):
        FlattenConsecutive(2)(torch.zeros(2, 3, 4))


def test_flatten_concatenates_context():
    x = torch.arange(24).view(2, 3, 4)
    assert torch.equal(Flatten()(x), x.reshape(2, 12))


def test_sequential_applies_in_order_and_collects_parameters():
    g = torch.Generator().manual_seed(0)
    a, bn, t, b = Linear(4, 5, generator=g), BatchNorm1d(5), Tanh(), Linear(5, 2, generator=g)
    model = Sequential([a, bn, t, b])
    x = torch.randn(8, 4, generator=g)
    assert torch.equal(model(x), b(t(bn(a(x)))))
    assert model.parameters() == a.parameters() + bn.parameters() + b.parameters()
    model.eval()
    assert not any(m.training for m in (model, a, bn, t, b))
    model.train()
    assert all(m.training for m in (model, a, bn, t, b))


def test_module_defaults():
    m = Module()
    assert m.parameters() == [] and m.children() == [] and m.training
    assert m.eval() is m and not m.training
