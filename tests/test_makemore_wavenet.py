"""zerohero.makemore.wavenet: the part-5 models, their training loop and the
lecture's numbers.

Expected values are the lecture's printed numbers (from the ledger) or
independent computations (torch.nn, reshapes written out by hand, autograd's
gradcheck). The reproductions read the cached experiments (``run``), never a
second training.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from zerohero.build import ledger
from zerohero.build.runs import lookup, full_config, run
from zerohero.makemore import models
from zerohero.makemore import wavenet as wn
from zerohero.makemore.layers import BatchNorm1d, FlattenConsecutive, split_loss

WAVENET = "06_wavenet"
LOG = ledger.printed(WAVENET, "performance_log")  # name -> (what, params, ...)


# These models are tiny: one thread is faster, and the runs use one too.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def cfg(**kw):
    return wn.WaveNetConfig(**kw)


# --------------------------------------------------------------------------- architecture

@pytest.mark.parametrize("config, expected", [
    # the lecture's performance log
    (dict(block_size=3, n_embd=10, n_hidden=200, hierarchical=False), 12_097),
    (dict(block_size=8, n_embd=10, n_hidden=200, hierarchical=False), 22_097),
    (dict(block_size=8, n_embd=10, n_hidden=68), 22_397),
    (dict(block_size=8, n_embd=24, n_hidden=128), 76_579),
])
def test_parameter_counts_as_in_the_lecture(config, expected):
    model = wn.build_model(cfg(**config), torch.Generator().manual_seed(0))
    assert wn.count_parameters(model) == expected


def test_experiments_use_the_lectures_architectures():
    for i, name in enumerate(LOG, start=1):
        c = full_config(lookup(name), {})
        model = wn.build_model(
            cfg(block_size=c["block_size"], n_embd=c["n_embd"],
                n_hidden=c["n_hidden"], hierarchical=c["hierarchical"]),
            torch.Generator().manual_seed(0))
        ledger.check(WAVENET, f"params_{i}", wn.count_parameters(model))
    bug = full_config(lookup("wavenet_hierarchical_bnbug"), {})
    assert bug["bn_reduce_time"] is False


@settings(max_examples=40, deadline=None)
@given(B=st.integers(1, 4), groups=st.integers(1, 4), n=st.integers(1, 4), C=st.integers(1, 5))
def test_flatten_consecutive_concatenates_neighbours(B, groups, n, C):
    x = torch.randn(B, groups * n, C)
    out = FlattenConsecutive(n)(x)
    expected = torch.stack([torch.cat([x[:, j * n + i] for i in range(n)], dim=1)
                            for j in range(groups)], dim=1)  # (B, groups, n*C)
    if groups == 1:
        expected = expected[:, 0]
    assert out.shape == expected.shape
    assert torch.equal(out, expected)


def test_shapes_through_the_hierarchy():
    model = wn.build_model(cfg(n_embd=24, n_hidden=128), torch.Generator().manual_seed(0))
    model(torch.randint(0, 27, (4, 8)))
    shapes = [tuple(layer.out.shape) for layer in model.layers]
    assert shapes == [(4, 8, 24),
                      (4, 4, 48), (4, 4, 128), (4, 4, 128), (4, 4, 128),
                      (4, 2, 256), (4, 2, 128), (4, 2, 128), (4, 2, 128),
                      (4, 256), (4, 128), (4, 128), (4, 128),
                      (4, 27)]


def test_a_tree_needs_a_power_of_its_fan():
    with pytest.raises(AssertionError, match="power of 2"):
        cfg(block_size=6)
    cfg(block_size=6, hierarchical=False)  # a flat model takes any context
    assert cfg(block_size=9, fan=3).levels == 2


def test_init_draws_in_layer_order_then_scales_the_last_layer():
    torch.manual_seed(42)
    model = wn.build_model(cfg())
    torch.manual_seed(42)
    C = torch.randn(27, 24)
    W1 = torch.randn(48, 128) / 48 ** 0.5
    assert torch.equal(model.layers[0].weight, C)
    assert torch.equal(model.layers[2].weight, W1)
    last = model.layers[-1]
    torch.manual_seed(42)
    for shape in [(27, 24), (48, 128), (256, 128), (256, 128)]:
        torch.randn(shape)
    assert torch.allclose(last.weight, torch.randn(128, 27) / 128 ** 0.5 * 0.1)
    assert all(p.requires_grad for p in model.parameters())


# ------------------------------------------------------------------ BatchNorm over (B, T, C)

def test_batchnorm_over_batch_and_time_matches_torch_nn():
    x = torch.randn(32, 4, 6) * 3 + 1
    ours = wn.BatchNorm1d(6, correction=0)  # torch.nn: the biased variance
    ref = torch.nn.BatchNorm1d(6)  # wants (B, C, T)
    y = ours(x)
    y_ref = ref(x.transpose(1, 2)).transpose(1, 2)
    assert torch.allclose(y, y_ref, atol=1e-5)
    assert torch.allclose(ours.running_mean.flatten(), ref.running_mean, atol=1e-5)
    assert torch.allclose(ours.running_var.flatten(), ref.running_var, atol=1e-5)


def test_the_lectures_bug_normalises_each_position_separately():
    x = torch.randn(32, 4, 6)
    buggy = BatchNorm1d(6, correction=0)  # chapter 4's: statistics over dim 0
    # each (position, channel) pair is its own feature: BatchNorm1d(T*C)
    ref = torch.nn.BatchNorm1d(24, affine=False)
    assert torch.allclose(buggy(x), ref(x.reshape(32, 24)).view(32, 4, 6), atol=1e-5)
    assert buggy.running_mean.shape == (1, 4, 6)


# --------------------------------------------------------------------------- gradients

def assign(model, name, value):
    *path, attr = name.split(".")
    owner = model
    for part in path:
        owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
    setattr(owner, attr, value)


def test_gradients_of_the_hierarchy_pass_gradcheck():
    model = wn.build_model(cfg(n_embd=3, n_hidden=4, vocab_size=5),
                           torch.Generator().manual_seed(0))
    state = models.state_dict(model)
    for name, t in state.items():  # everything in double precision
        assign(model, name, t.detach().double().requires_grad_(t.requires_grad))
    names = [n for n, t in state.items() if t.requires_grad]
    X = torch.randint(0, 5, (6, 8), generator=torch.Generator().manual_seed(1))
    Y = torch.randint(0, 5, (6,), generator=torch.Generator().manual_seed(2))

    def loss(*ps):
        for name, p in zip(names, ps):
            assign(model, name, p)
        return F.cross_entropy(model(X), Y)

    params = [models.state_dict(model)[n].detach().clone().requires_grad_()
              for n in names]
    assert torch.autograd.gradcheck(loss, params, eps=1e-6, atol=1e-5)


# --------------------------------------------------------------------------- training loop

def tiny_data():
    g = torch.Generator().manual_seed(0)
    X = torch.randint(0, 27, (200, 8), generator=g)
    return X, X[:, -1].clone()  # the next character repeats the last one: learnable


def test_train_is_deterministic_and_learns():
    X, Y = tiny_data()
    losses = []
    for _ in range(2):
        torch.manual_seed(1)
        model = wn.build_model(cfg(n_embd=4, n_hidden=16))
        losses.append(wn.train(model, X, Y, max_steps=120, batch_size=32, lr=0.3))
    assert torch.equal(losses[0], losses[1])
    assert losses[0][-20:].mean() < 0.5 * losses[0][:10].mean()


def test_the_defaults_are_the_lectures_schedule():
    import inspect
    defaults = {k: p.default for k, p in
                inspect.signature(wn.train).parameters.items()}
    assert (defaults["max_steps"], defaults["batch_size"]) == (200_000, 32)
    assert (defaults["lr"], defaults["lr_late"]) == (0.1, 0.01)
    assert defaults["decay_step"] == 150_000


def test_learning_rate_drops_at_decay_step():
    # lr_late=0: steps 7 and 8 of 8 must change no parameter, so 8 steps
    # end where 6 steps end (same seed, same first six minibatches).
    X, Y = tiny_data()
    ends = []
    for steps, decay in ((8, 6), (6, 6)):
        torch.manual_seed(0)
        model = wn.build_model(cfg(n_embd=2, n_hidden=4))
        wn.train(model, X, Y, max_steps=steps, batch_size=4, lr=0.5, lr_late=0.0,
                 decay_step=decay)
        ends.append(models.state_dict(model))
    for name in ends[0]:
        if ends[0][name].requires_grad:
            assert torch.equal(ends[0][name], ends[1][name]), name


def test_window_means_are_the_lectures_view_mean():
    losses = torch.rand(3000) + 1.5
    expected = [sum(torch.log10(losses[i:i + 1000]).tolist()) / 1000 for i in (0, 1000, 2000)]
    assert torch.allclose(wn.window_means(losses), torch.tensor(expected), atol=1e-5)
    with pytest.raises(AssertionError, match="at least 1000"):
        wn.window_means(torch.rand(999))


# --------------------------------------------------------------------------- the convolution view

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), extra=st.integers(0, 6), fan=st.sampled_from([2, 3]))
def test_dilated_logits_equal_the_model_on_every_window(seed, extra, fan):
    g = torch.Generator().manual_seed(seed)
    c = cfg(block_size=fan ** 2, n_embd=3, n_hidden=5, fan=fan)
    model = wn.build_model(c, g)
    for layer in model.layers:  # non-trivial running statistics
        if isinstance(layer, BatchNorm1d):
            layer.running_mean = torch.randn(5, generator=g)
            layer.running_var = torch.rand(5, generator=g) + 0.5
    model.eval()
    idx = torch.randint(0, 27, (2, c.block_size + extra), generator=g)
    conv = wn.dilated_logits(model, idx)
    with torch.no_grad():
        windows = torch.stack([model(idx[:, j:j + c.block_size]) for j in range(extra + 1)], 1)
    assert conv.shape == windows.shape == (2, extra + 1, 27)
    assert torch.allclose(conv, windows, atol=1e-5)


def test_dilated_logits_refuse_what_is_no_convolution():
    g = torch.Generator().manual_seed(0)
    flat = wn.build_model(cfg(hierarchical=False), g).eval()
    with pytest.raises(AssertionError, match="hierarchical"):
        wn.dilated_logits(flat, torch.zeros(1, 8, dtype=torch.long))
    model = wn.build_model(cfg(), g)
    with pytest.raises(AssertionError, match="eval mode"):
        wn.dilated_logits(model, torch.zeros(1, 8, dtype=torch.long))
    buggy = wn.build_model(cfg(bn_reduce_time=False), g)
    buggy(torch.randint(0, 27, (4, 8)))
    with pytest.raises(AssertionError, match="bug"):
        wn.dilated_logits(buggy.eval(), torch.zeros(1, 8, dtype=torch.long))
    with pytest.raises(AssertionError, match="shorter"):
        wn.dilated_logits(model.eval(), torch.zeros(1, 5, dtype=torch.long))


# ---------------------------------------------------- the lecture's numbers

def test_scaled_run_reproduces_the_lecture(trained):
    result = trained("wavenet_scaled")
    ledger.check(WAVENET, "params_5", result["n_params"])
    # The lecture's final run, to its printed four decimals (the ledger's
    # promise); the last float32 bits depend on the CPU's vector kernels.
    ledger.check(WAVENET, "train_5", result["train"])
    ledger.check(WAVENET, "val_5", result["val"])
    # The losses logged every 10,000 steps: the same trajectory. Rounding
    # to the printed four decimals can flip the last one (1e-4) when a
    # loss lies near a rounding boundary; more would mean another run.
    logged = result["losses"][::10_000].tolist()
    printed = ledger.printed(WAVENET, "final_logged")
    assert len(logged) == len(printed) == 20
    assert max(abs(a - b) for a, b in zip(logged, printed)) < 1.5e-4


@pytest.mark.parametrize("i, name", [(i, n) for i, n in
                                     enumerate(LOG, start=1)][:4])
def test_performance_log_as_the_ledger_promises(trained, i, name):
    result = trained(name)
    ledger.check(WAVENET, f"params_{i}", result["n_params"])
    ledger.check(WAVENET, f"train_{i}", result["train"])
    ledger.check(WAVENET, f"val_{i}", result["val"])


def test_the_stored_model_gives_its_recorded_losses(trained):
    from zerohero.makemore.words import load_names, make_splits
    result = trained("wavenet_scaled")
    splits = make_splits(load_names(), 8)
    # The cache may come from another machine (CI restores it): agreement
    # up to float32 summation order, far below the printed digits.
    val = split_loss(result["model"], *splits.val)
    assert abs(val - result["val"]) < 1e-4
