"""zerohero.makemore.models: the command line's models.

The from-scratch pieces are checked against their torch.nn / torch.nn.functional equivalents;
the adapters against the chapters' own examples (``build_examples``) and ``mean_nll``; every
model type for causality (no peeking at later characters) and gradient flow.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from zerohero.makemore import models as M
from zerohero.makemore.cli import encode_words
from zerohero.makemore.sampling import mean_nll
from zerohero.makemore.words import Vocabulary, build_examples


# These models are tiny: one thread is faster, and the runs are single-threaded too.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


SMALL = {  # small options so the whole file runs in seconds
    "bigram": {}, "mlp": {"n_embd": 4, "n_hidden": 16}, "wavenet": {"n_embd": 4, "n_hidden": 8},
    "rnn": {"n_embd": 8, "n_hidden": 12}, "gru": {"n_embd": 8, "n_hidden": 12},
    "transformer": {"n_embd": 16, "n_layer": 2, "n_head": 4},
}


def small(type, vocab_size=11, block_size=10, seed=0):
    return M.build_model(type, vocab_size, block_size, generator=gen(seed), **SMALL[type])


# --------------------------------------------------------------------------- pieces vs torch.nn

@pytest.mark.parametrize("bias", [True, False])
def test_torch_linear_draws_torch_nn_linears_numbers(bias):
    # makemore.py's weights come from torch.nn.Linear's initialisation and the
    # global generator; the same seed must give the same numbers here
    torch.manual_seed(3407)
    ref = torch.nn.Linear(5, 7, bias=bias)
    ours = M.TorchLinear(5, 7, bias=bias, generator=gen(3407))
    assert torch.equal(ours.weight, ref.weight.detach().T)
    if bias:
        assert torch.equal(ours.bias, ref.bias.detach())
    else:
        assert ours.bias is None
    x = torch.randn(4, 5)
    assert torch.allclose(ours(x), ref(x), atol=1e-6)


def test_embedding_draws_torch_nn_embeddings_numbers():
    torch.manual_seed(3407)
    ref = torch.nn.Embedding(27, 8)
    ours = M.Embedding(27, 8, generator=gen(3407))
    assert torch.equal(ours.weight, ref.weight.detach())


def test_rnn_cell_is_torch_nn_rnn_cell():
    # [x, h] W + b is x W_ih + h W_hh + b: torch's cell with one bias
    ours = M.RNNCell(5, 7, generator=gen())
    ref = torch.nn.RNNCell(5, 7)
    W, b = ours.xh_to_h.weight, ours.xh_to_h.bias
    with torch.no_grad():
        ref.weight_ih.copy_(W[:5].T)
        ref.weight_hh.copy_(W[5:].T)
        ref.bias_ih.copy_(b)
        ref.bias_hh.zero_()
    x, h = torch.randn(4, 5), torch.randn(4, 7)
    assert torch.allclose(ours(x, h), ref(x, h), atol=1e-5)


def _set(layer, weight_value=None, bias_value=0.0):
    with torch.no_grad():
        if weight_value is not None:
            layer.weight.fill_(weight_value)
        layer.bias.fill_(bias_value)


def test_gru_update_gate_keeps_or_replaces_the_state():
    x, h = torch.randn(4, 5), torch.randn(4, 7)
    cell = M.GRUCell(5, 7, generator=gen())
    _set(cell.xh_to_z, 0.0, -1e4)  # z = 0: every unit keeps its state
    assert torch.equal(cell(x, h), h)
    cell = M.GRUCell(5, 7, generator=gen())
    _set(cell.xh_to_z, 0.0, 1e4)   # z = 1 and r = 1: the candidate alone,
    _set(cell.xh_to_r, 0.0, 1e4)   # a plain RNN step with its weights
    W, b = cell.xh_to_hbar.weight, cell.xh_to_hbar.bias
    expected = torch.tanh(torch.cat([x, h], 1) @ W + b)
    assert torch.allclose(cell(x, h), expected, atol=1e-6)
    _set(cell.xh_to_r, 0.0, -1e4)  # r = 0: the candidate forgets the state
    expected = torch.tanh(x @ W[:5] + b)
    assert torch.allclose(cell(x, h), expected, atol=1e-6)


def test_recurrent_model_is_torch_nn_rnn_over_the_sequence():
    model = small("rnn")
    ref = torch.nn.RNN(8, 12, batch_first=True)
    W, b = model.cell.xh_to_h.weight, model.cell.xh_to_h.bias
    with torch.no_grad():
        ref.weight_ih_l0.copy_(W[:8].T)
        ref.weight_hh_l0.copy_(W[8:].T)
        ref.bias_ih_l0.copy_(b)
        ref.bias_hh_l0.zero_()
        model.start = torch.randn(1, 12, generator=gen(3))
    idx = torch.randint(0, 11, (3, 6), generator=gen(4))
    h0 = model.start.expand(3, -1)[None].contiguous()
    states, _ = ref(model.wte.weight[idx], h0)
    expected = states @ model.lm_head.weight + model.lm_head.bias
    assert torch.allclose(model(idx), expected, atol=1e-5)


def test_layer_norm_is_torch_functional_and_gelu_is_its_formula():
    x = torch.randn(3, 4, 10) * 2 + 1
    ln = M.LayerNorm(10)
    ln.gamma, ln.beta = torch.randn(10), torch.randn(10)
    assert torch.allclose(ln(x), F.layer_norm(x, (10,), ln.gamma, ln.beta, eps=1e-5), atol=1e-5)
    # GELU's tanh approximation, written out, in float64: values and gradients
    x64 = (torch.randn(2000, dtype=torch.float64) * 3).requires_grad_()
    written = 0.5 * x64 * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64**3)))
    ours = M.GELU()(x64)
    assert torch.allclose(ours, written, atol=1e-12)
    g1, = torch.autograd.grad(written.sum(), x64)
    g2, = torch.autograd.grad(ours.sum(), x64)
    assert torch.allclose(g1, g2, atol=1e-12)


@pytest.mark.parametrize("n_head", [1, 2, 4])
def test_attention_is_scaled_dot_product_attention(n_head):
    attn = M.CausalSelfAttention(16, n_head, generator=gen())
    x = torch.randn(2, 7, 16)
    q, k, v = attn.qkv(x).split(16, dim=2)
    heads = [t.view(2, 7, n_head, 16 // n_head).transpose(1, 2) for t in (q, k, v)]
    y = F.scaled_dot_product_attention(*heads, is_causal=True)  # scales by head_size ** -0.5
    expected = attn.proj(y.transpose(1, 2).reshape(2, 7, 16))
    assert torch.allclose(attn(x), expected, atol=1e-5)


def test_attention_needs_heads_that_divide_the_width():
    with pytest.raises(ValueError, match="multiple of n_head"):
        M.CausalSelfAttention(10, 4)


# --------------------------------------------------------------------------- every type

@pytest.mark.parametrize("type", M.TYPES)
def test_shapes_loss_and_gradients_reach_every_parameter(type):
    model = small(type)
    idx = torch.randint(0, 11, (4, 10), generator=gen(1))
    assert model(idx).shape == (4, 10, 11)
    loss = model.loss(idx, torch.randint(0, 11, (4, 10), generator=gen(2)))
    assert math.isfinite(loss.item())
    loss.backward()
    for p in model.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0


@settings(max_examples=10, deadline=None)
@given(type=st.sampled_from(M.TYPES), t=st.integers(0, 8), seed=st.integers(0, 100))
def test_no_model_sees_the_future(type, t, seed):
    model = small(type, seed=seed).eval()
    g = gen(seed)
    idx = torch.randint(0, 11, (2, 10), generator=g)
    changed = idx.clone()
    changed[:, t + 1:] = torch.randint(0, 11, changed[:, t + 1:].shape, generator=g)
    with torch.no_grad():
        assert torch.allclose(model(idx)[:, :t + 1], model(changed)[:, :t + 1], atol=1e-5)


@pytest.mark.parametrize("type", ["bigram", "mlp", "wavenet"])
def test_context_adapter_cuts_the_chapters_examples(type):
    words = ["emma", "olivia", "ava", "x", "isabella"]
    vocab = Vocabulary.from_words(words)
    model = small(type, vocab_size=len(vocab), block_size=9)
    X, Y = encode_words(words, vocab, 9)
    keep = Y >= 0
    Xc, Yc = build_examples(words, vocab, model.context)
    assert torch.equal(model.windows(X)[keep], Xc)
    assert torch.equal(Y[keep], Yc)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(X)[keep], model.core(Xc), atol=1e-5)
    assert M.evaluate(model, X, Y) == pytest.approx(mean_nll(model.core, Xc, Yc), rel=1e-5)


def test_batchnorm_sees_only_real_contexts():
    # Padding after the end of a word must not enter the batch statistics: the loss of a
    # batch equals the loss computed on the chapters' examples of the same words.
    words = ["ab", "abcdefg"]
    vocab = Vocabulary.from_words(words)
    a, b = small("wavenet", len(vocab), 8), small("wavenet", len(vocab), 8)
    X, Y = encode_words(words, vocab, 8)
    Xc, Yc = build_examples(words, vocab, 8)
    assert torch.allclose(a.loss(X, Y), F.cross_entropy(b.core(Xc), Yc), atol=1e-5)


def test_evaluate_counts_only_real_targets():
    model = small("gru")
    X = torch.randint(0, 11, (5, 10), generator=gen(1))
    Y = X.roll(-1, 1)
    Y[:, 6:] = -1
    with torch.no_grad():
        logits = model.eval()(X)[:, :6]
        expected = F.cross_entropy(logits.reshape(-1, 11), Y[:, :6].reshape(-1)).item()
    assert M.evaluate(model, X, Y, batch_size=2) == pytest.approx(expected, rel=1e-5)
    assert model.training is False  # evaluate restores the mode it found


# ------------------------------------------------------------------ options, state, sampling

def test_options_and_their_errors():
    assert M.model_options("mlp") == {"context": 3, "n_embd": 10, "n_hidden": 200}
    assert M.model_options("gru", n_hidden=None)["n_hidden"] == 64
    with pytest.raises(ValueError, match="unknown model type 'lstm'"):
        M.model_options("lstm")
    with pytest.raises(ValueError, match="takes n_embd, n_hidden, not n_layer"):
        M.model_options("rnn", n_layer=2)
    with pytest.raises(ValueError, match="takes no options"):
        M.model_options("bigram", n_embd=3)
    with pytest.raises(ValueError, match="positive integer"):
        M.model_options("mlp", n_hidden=0)


def test_default_sizes():
    # chapter 3's MLP (11,897 parameters, as the lecture printed),
    # chapter 6's WaveNet (76,579), the original makemore's transformer sizes
    assert M.count_parameters(M.build_model("mlp", 27, 16, generator=gen())) == 11_897
    assert M.count_parameters(M.build_model("wavenet", 27, 16, generator=gen())) == 76_579
    assert M.count_parameters(M.build_model("bigram", 27, 16, generator=gen())) == 27 * 27


def test_bigram_starts_uniform_and_draws_nothing():
    g = gen(1)
    model = M.build_model("bigram", 27, 16, generator=g)
    assert torch.equal(model.core.W, torch.zeros(27, 27))
    assert torch.equal(g.get_state(), gen(1).get_state())


@pytest.mark.parametrize("type", M.TYPES)
def test_state_round_trip(type):
    a, b = small(type, seed=1), small(type, seed=2)
    idx = torch.randint(0, 11, (3, 10), generator=gen(3))
    a.loss(idx, idx)  # one training-mode pass: BatchNorm running statistics move
    M.load_state_dict(b, M.state_dict(a))
    M.to_device(b, "cpu")
    with torch.no_grad():
        assert torch.equal(a.eval()(idx), b.eval()(idx))


def test_generate_is_seeded_and_top_k_1_is_greedy():
    model = small("transformer")
    a = M.generate(model, 5, 9, generator=gen(7))
    assert a == M.generate(model, 5, 9, generator=gen(7))
    assert all(0 not in row and len(row) <= 9 for row in a)
    greedy = M.generate(model, 2, 9, top_k=1, generator=gen(1))
    idx = torch.zeros((1, 1), dtype=torch.long)
    with torch.no_grad():
        for _ in range(9):
            nxt = model(idx)[:, -1].argmax(-1, keepdim=True)
            idx = torch.cat([idx, nxt], 1)
    row = idx[0, 1:].tolist()
    expected = row[:row.index(0)] if 0 in row else row
    assert greedy == [expected, expected]


def test_generate_rejects_bad_settings():
    model = small("bigram")
    with pytest.raises(ValueError, match="temperature"):
        M.generate(model, 1, 5, temperature=0)
    with pytest.raises(ValueError, match="top_k"):
        M.generate(model, 1, 5, top_k=0)


def test_transformer_refuses_sequences_longer_than_its_positions():
    model = small("transformer", block_size=10)
    with pytest.raises(ValueError, match="longer than this model's block_size 10"):
        model(torch.zeros((1, 11), dtype=torch.long))


@pytest.mark.parametrize("type", M.TYPES)
def test_bad_input_names_the_problem(type):
    model = small(type)
    with pytest.raises(ValueError, match="int64 indices, got shape \\(2, 3\\) and dtype"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="int64 indices"):
        model(torch.zeros(5, dtype=torch.long))


@pytest.mark.parametrize("type", ["bigram", "mlp", "wavenet", "rnn", "gru"])
def test_models_without_positions_take_any_length(type):
    model = small(type, block_size=10)
    assert model(torch.zeros((1, 25), dtype=torch.long)).shape == (1, 25, 11)


def test_state_round_trip_and_mismatch():
    from zerohero.makemore import wavenet as wn
    cfg = wn.WaveNetConfig(n_embd=4, n_hidden=8)
    a = wn.build_model(cfg, gen(0))
    a(torch.randint(0, 27, (16, 8)))  # running statistics become (1, 1, C)
    b = wn.build_model(cfg, gen(1))
    M.load_state_dict(b, M.state_dict(a))
    x = torch.randint(0, 27, (5, 8))
    assert torch.equal(a.eval()(x), b.eval()(x))
    assert all(p.requires_grad for p in b.parameters())
    other = wn.build_model(wn.WaveNetConfig(n_embd=4, n_hidden=9), gen(0))
    with pytest.raises(ValueError, match="does not fit"):
        M.load_state_dict(other, M.state_dict(a))


def test_a_wavenet_context_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        M.build_model("wavenet", 27, 16, generator=gen(), context=6)
