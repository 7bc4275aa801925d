"""zerohero.makemore.fast_train: the graph-free loop must give autograd's bits, every one.

Each layer's backward pass is checked against ``loss.backward()`` on random inputs with
``torch.equal`` (not a tolerance), and each model family is trained both ways, the chapter's
own autograd loop against ``fast_train.train``, until every parameter, running statistic and
loss agrees exactly.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.makemore import batchnorm, fast_train, layers, mlp, wavenet

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _autograd_grads(step_fn, x, params, dout):
    """Gradients of ``(step_fn(x) * dout).sum()`` w.r.t. ``x`` and ``params`` by autograd."""
    x = x.detach().clone().requires_grad_(x.is_floating_point())
    leaves = [p.detach().clone().requires_grad_() for p in params]
    out = step_fn(x, leaves)
    out.backward(dout)
    return (x.grad if x.requires_grad else None), [p.grad for p in leaves], out.detach()


def _fast(step, x, dout):
    with torch.no_grad():
        out = step.forward(x)
        dx = step.backward(dout)
    return dx, step.grads, out


# --------------------------------------------------------------------------------------------
# One layer at a time


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_sum_to_is_what_autograd_does_for_a_broadcast_operand(shape, data):
    small = [data.draw(st.sampled_from([1, n])) for n in shape]
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    g = torch.Generator().manual_seed(len(shape) + sum(small))
    full = torch.randn(lead + shape, generator=g)
    b = torch.randn(small, generator=g, requires_grad=True)
    dout = torch.randn(full.shape, generator=g)
    (full + b).backward(dout)
    got = fast_train.sum_to(dout, b.shape)
    assert got.shape == b.shape
    assert torch.equal(got, b.grad)


@pytest.mark.parametrize("shape", [(32, 30), (32, 4, 48)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward_is_bit_identical(shape, bias):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(shape, generator=g)
    layer = layers.Linear(shape[-1], 64, bias=bias, generator=g)
    if bias:
        layer.bias = torch.randn(64, generator=g)
    params = layer.parameters()
    dout = torch.randn(*shape[:-1], 64, generator=g)

    def forward(x, p):
        out = x @ p[0]
        return out + p[1] if bias else out

    dx, grads, out = _autograd_grads(forward, x, params, dout)
    fdx, fgrads, fout = _fast(fast_train.Linear(*params), x, dout)
    assert torch.equal(fout, out) and torch.equal(fdx, dx)
    assert all(torch.equal(a, b) for a, b in zip(fgrads, grads, strict=True))


def test_embedding_backward_accumulates_repeated_rows_as_autograd():
    g = torch.Generator().manual_seed(2)
    weight = torch.randn(27, 10, generator=g)
    ix = torch.randint(0, 27, (32, 8), generator=g)  # many repeated indices
    dout = torch.randn(32, 8, 10, generator=g)
    _, grads, out = _autograd_grads(lambda x, p: p[0][x], ix, [weight], dout)
    fdx, fgrads, fout = _fast(fast_train.Embedding(weight), ix, dout)
    assert fdx is None and torch.equal(fout, out) and torch.equal(fgrads[0], grads[0])


def test_tanh_and_reshape_backward():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(32, 4, 20, generator=g)
    dout = torch.randn(32, 4, 20, generator=g)
    dx, _, _ = _autograd_grads(lambda x, p: torch.tanh(x), x, [], dout)
    assert torch.equal(_fast(fast_train.Tanh(), x, dout)[0], dx)
    flat = layers.FlattenConsecutive(2)
    dout2 = torch.randn(32, 2, 40, generator=g)
    dx, _, _ = _autograd_grads(lambda x, p: flat(x), x, [], dout2)
    assert torch.equal(_fast(fast_train.Reshape(flat), x, dout2)[0], dx)


@pytest.mark.parametrize("shape,reduce_time,correction", [
    ((32, 200), True, 1), ((32, 4, 128), True, 1), ((32, 4, 68), False, 1),
    ((32, 2, 16), True, 0)])
def test_batchnorm_backward_and_running_statistics_are_bit_identical(shape, reduce_time,
                                                                    correction):
    g = torch.Generator().manual_seed(4)
    x = torch.randn(shape, generator=g) * 3 + 1
    dout = torch.randn(shape, generator=g)
    ref = layers.BatchNorm1d(shape[-1], reduce_time=reduce_time, correction=correction)
    ref.gamma = torch.rand(shape[-1], generator=g) + 0.5
    ref.beta = torch.randn(shape[-1], generator=g)
    ours = copy.deepcopy(ref)

    def forward(x, p):
        ref.gamma, ref.beta = p
        return ref(x)

    dx, grads, out = _autograd_grads(forward, x, ours.parameters(), dout)
    fdx, fgrads, fout = _fast(fast_train.BatchNorm1d(ours), x, dout)
    assert torch.equal(fout, out) and torch.equal(fdx, dx)
    assert all(torch.equal(a, b) for a, b in zip(fgrads, grads, strict=True))
    assert torch.equal(ours.running_mean, ref.running_mean)
    assert torch.equal(ours.running_var, ref.running_var)


def test_lecture_batchnorm_backward_is_bit_identical():
    g = torch.Generator().manual_seed(5)
    ref = batchnorm.RevisitedMLP("batchnorm", generator=g)
    ref.bngain = torch.rand(1, 200, generator=g) + 0.5
    ref.bnbias = torch.randn(1, 200, generator=g)
    ours = copy.deepcopy(ref)
    h = torch.randn(32, 200, generator=g) * 2
    dout = torch.randn(32, 200, generator=g)

    def forward(x, p):
        ref.bngain, ref.bnbias = p
        return _bn_only(ref, x)

    dx, grads, out = _autograd_grads(forward, h, [ours.bngain, ours.bnbias], dout)
    fdx, fgrads, fout = _fast(fast_train.LectureBatchNorm(ours), h, dout)
    assert torch.equal(fout, out) and torch.equal(fdx, dx)
    assert all(torch.equal(a, b) for a, b in zip(fgrads, grads, strict=True))
    assert torch.equal(ours.bnmean_running, ref.bnmean_running)
    assert torch.equal(ours.bnstd_running, ref.bnstd_running)


def _bn_only(model, hpreact):
    """RevisitedMLP.hidden's BatchNorm lines, without the tanh after them."""
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    with torch.no_grad():
        model.bnmean_running = 0.999 * model.bnmean_running + 0.001 * bnmeani
        model.bnstd_running = 0.999 * model.bnstd_running + 0.001 * bnstdi
    return model.bngain * (hpreact - bnmeani) / bnstdi + model.bnbias


def test_cross_entropy_gradient_is_bit_identical():
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(32, 27, generator=g) * 4
    targets = torch.randint(0, 27, (32,), generator=g)
    leaf = logits.clone().requires_grad_()
    loss = F.cross_entropy(leaf, targets)
    loss.backward()
    ce = fast_train.CrossEntropy()
    assert torch.equal(ce.forward(logits, targets), loss.detach())
    assert torch.equal(ce.backward(), leaf.grad)


# --------------------------------------------------------------------------------------------
# Whole training runs: the chapter's autograd loop vs fast_train.train

STEPS, DECAY = 400, 250  # crosses the learning-rate decay


def _decay(i):
    return 0.1 if i < DECAY else 0.01


def _tensors(model):
    return {k: v.detach() for k, v in vars(model).items() if isinstance(v, torch.Tensor)}


@pytest.mark.parametrize("init,direct", [("lecture", False), ("calibrated", False),
                                         ("lecture", True)])
def test_mlp_trains_bit_identically(names, init, direct):
    from zerohero.makemore.words import make_splits
    X, Y = make_splits(names, 3).train
    base = mlp.MLP(mlp.MLPConfig(init=init, direct=direct),
                   torch.Generator().manual_seed(mlp.LECTURE_SEED))
    if direct:  # the direct weights start at zero; make them count from the first step
        base.W3 = (torch.randn(base.W3.shape, generator=torch.Generator().manual_seed(3))
                   * 0.1).requires_grad_()
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    la = mlp.train(a, X, Y, STEPS, lr=_decay, generator=torch.Generator().manual_seed(9))
    lb = fast_train.train(b, X, Y, max_steps=STEPS, lr=_decay,
                          generator=torch.Generator().manual_seed(9))
    assert torch.equal(la, lb)
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(8, 6), (32, 30)]), seed=st.integers(0, 1000))
def test_a_skip_connection_backward_is_bit_identical(shape, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g)
    w1, b1 = torch.randn(shape[1], 7, generator=g), torch.randn(7, generator=g)
    w3 = torch.randn(shape[1], 7, generator=g)
    dout = torch.randn(shape[0], 7, generator=g)
    dx, grads, out = _autograd_grads(lambda x, p: torch.tanh(x @ p[0] + p[1]) + x @ p[2], x,
                                     [w1, b1, w3], dout)
    step = fast_train.SumOf([fast_train.Linear(w1, b1), fast_train.Tanh()],
                            [fast_train.Linear(w3)])
    fdx, fgrads, fout = _fast(step, x, dout)
    assert torch.equal(fout, out) and torch.equal(fdx, dx)
    assert all(torch.equal(a, b) for a, b in zip(fgrads, grads, strict=True))


@pytest.mark.parametrize("variant", list(batchnorm.INIT_SCHEMES))
def test_chapter_4_mlps_train_bit_identically(names, variant):
    from zerohero.makemore.words import make_splits
    X, Y = make_splits(names, 3).train
    base = batchnorm.RevisitedMLP(variant, generator=torch.Generator().manual_seed(batchnorm.SEED))
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    ha = batchnorm.train(a, X, Y, steps=STEPS, lr=_decay,
                         generator=torch.Generator().manual_seed(9))
    lb = fast_train.train(b, X, Y, max_steps=STEPS, lr=_decay,
                          generator=torch.Generator().manual_seed(9))
    assert torch.equal(ha.losses, lb)
    ta, tb = _tensors(a), _tensors(b)
    assert ta.keys() == tb.keys()
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k


@pytest.mark.parametrize("config", [
    dict(block_size=3, n_embd=10, n_hidden=200, hierarchical=False),
    dict(n_embd=10, n_hidden=68, bn_reduce_time=False),
    dict(n_embd=24, n_hidden=128)], ids=["flat", "bnbug", "scaled"])
def test_wavenets_train_bit_identically_from_the_global_generator(names, config, monkeypatch):
    monkeypatch.setattr(fast_train, "PREFETCH_STEPS", 150)  # three blocks, the last partial
    from zerohero.makemore.words import make_splits
    X, Y = make_splits(names, config.get("block_size", 8)).train
    torch.manual_seed(42)
    base = wavenet.build_model(wavenet.WaveNetConfig(**config))
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    torch.manual_seed(7)
    la = wavenet.train(a, X, Y, max_steps=STEPS, decay_step=DECAY)
    state_a = torch.get_rng_state()
    torch.manual_seed(7)
    lb = fast_train.train(b, X, Y, max_steps=STEPS, lr=_decay)
    assert torch.equal(la, lb)
    sa, sb = wavenet.state_dict(a), wavenet.state_dict(b)
    for k in sa:
        assert torch.equal(sa[k].detach(), sb[k].detach()), k
    # the global generator is left where the plain loop leaves it
    assert torch.equal(torch.get_rng_state(), state_a)


def test_unknown_layers_and_models_are_refused():
    model = layers.Sequential([layers.Embedding(5, 2), layers.Flatten(), object()])
    with pytest.raises(TypeError, match="no backward pass for object"):
        fast_train.steps_of(model)
    with pytest.raises(TypeError, match="cannot train a dict"):
        fast_train.steps_of({})
    X, Y = torch.zeros(4, 3, dtype=torch.long), torch.zeros(5, dtype=torch.long)
    with pytest.raises(ValueError, match="differ in length"):
        fast_train.train(mlp.MLP(), X, Y, max_steps=1, lr=_decay)
    with pytest.raises(ValueError, match="must be positive"):
        fast_train.train(mlp.MLP(), X, Y[:4], max_steps=0, lr=_decay)


def test_a_model_trained_fast_trains_on_with_autograd(names):
    """fast_train runs in inference mode; what it leaves behind must be ordinary tensors."""
    from zerohero.makemore.words import make_splits
    X, Y = make_splits(names, 8).train
    torch.manual_seed(42)
    model = wavenet.build_model(wavenet.WaveNetConfig(n_embd=8, n_hidden=16))
    losses = fast_train.train(model, X, Y, max_steps=20, lr=_decay)
    tensors = [losses, *wavenet.state_dict(model).values()]
    assert not any(t.is_inference() for t in tensors)
    wavenet.train(model, X, Y, max_steps=3)  # loss.backward() and in-place updates work
    X3, Y3 = make_splits(names, 3).train
    rmlp = batchnorm.RevisitedMLP("batchnorm", generator=torch.Generator().manual_seed(1))
    fast_train.train(rmlp, X3, Y3, max_steps=20, lr=_decay)
    assert not rmlp.bnmean_running.is_inference() and not rmlp.bnstd_running.is_inference()
    batchnorm.train(rmlp, X3, Y3, steps=3, generator=torch.Generator().manual_seed(2))
