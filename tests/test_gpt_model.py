"""zerohero.gpt.model: attention, blocks, the GPT and the bigram baseline."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.gpt.model import (GPT, BigramLanguageModel, Block, FeedForward, GPTConfig, Head,
                                LayerNorm1d, MultiHeadAttention, attention_weights,
                                causal_attention, generate, init_weights, num_params)
from zerohero.gpt.train import preset

TINY = GPTConfig(vocab_size=11, block_size=8, n_embd=12, n_head=3, n_layer=2, dropout=0.0)


def tiny_gpt(seed=0, **changes):
    torch.manual_seed(seed)
    return GPT(GPTConfig(**{**TINY.to_dict(), **changes})).eval()


# --- parameter counts: the lecture's printed 0.209729 M and 10.788929 M -----------------------

def test_small_parameter_count():
    assert num_params(GPT(preset("small")[0])) == 209_729


def test_full_parameter_count():
    model_cfg, train_cfg = preset("full")
    assert (model_cfg.block_size, model_cfg.n_embd, model_cfg.n_head, model_cfg.n_layer,
            model_cfg.dropout) == (256, 384, 6, 6, 0.2)
    assert (train_cfg.batch_size, train_cfg.learning_rate, train_cfg.max_iters) == (64, 3e-4,
                                                                                    5000)
    with torch.device("meta"):  # no memory, no initialisation: counting only
        model = GPT(model_cfg)
    assert num_params(model) == 10_788_929


def test_parameter_count_formula():
    # independent count: embeddings, per block 3C^2 (k,q,v) + C^2+C (proj) + 8C^2+5C (ffwd)
    # + 4C (two LayerNorms), final LayerNorm 2C, lm_head CV+V
    V, T, C, L = 11, 8, 12, 2
    per_block = 3 * C * C + (C * C + C) + (C * 4 * C + 4 * C + 4 * C * C + C) + 4 * C
    assert num_params(tiny_gpt()) == V * C + T * C + L * per_block + 2 * C + C * V + V


# --- attention --------------------------------------------------------------------------------

@settings(deadline=None, max_examples=40)
@given(B=st.integers(1, 3), H=st.integers(1, 4), T=st.integers(1, 12), hs=st.integers(1, 16),
       seed=st.integers(0, 10_000), scaled=st.booleans())
def test_sdpa_equals_explicit_masked_softmax(B, H, T, hs, seed, scaled):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(B, H, T, hs, generator=g) for _ in range(3))
    scale = 0.3 if scaled else None
    # the explicit formula, written out independently
    wei = q @ k.transpose(-2, -1) * (scale if scaled else hs ** -0.5)
    wei = wei.masked_fill(torch.tril(torch.ones(T, T)) == 0, float("-inf")).softmax(-1)
    expected = wei @ v
    torch.testing.assert_close(causal_attention(q, k, v, scale=scale), expected,
                               rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(causal_attention(q, k, v, scale=scale, explicit=True), expected,
                               rtol=1e-5, atol=1e-5)


def test_attention_weights_are_causal_distributions():
    q, k = torch.randn(2, 3, 7, 5), torch.randn(2, 3, 7, 5)
    w = attention_weights(q, k)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, 7))
    assert torch.all(w.triu(1) == 0)
    assert torch.all(w[..., 0, 0] == 1)  # the first position can only see itself


@pytest.mark.parametrize("explicit", [False, True])
def test_dropout_on_attention_weights_is_unbiased(explicit):
    """Dropout drops attention weights and rescales the rest: the mean output is unchanged."""
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 6, 4) for _ in range(3))
    clean = causal_attention(q, k, v, explicit=explicit)
    draws = torch.stack([causal_attention(q, k, v, dropout_p=0.3, explicit=explicit)
                         for _ in range(4000)])
    assert not torch.allclose(draws[0], clean)
    torch.testing.assert_close(draws.mean(0), clean, atol=0.05, rtol=0)
    # the first position attends only to itself: its one weight is dropped (output 0) or kept
    # and scaled by 1/(1-p)
    first = draws[:, 0, :, 0, :]  # (draws, head, head_size)
    kept = torch.isclose(first, v[0, :, 0, :] / 0.7, atol=1e-5).all(-1)
    dropped = (first == 0).all(-1)
    assert torch.all(kept | dropped)
    assert 0.25 < dropped.float().mean() < 0.35


@pytest.mark.parametrize("attention", ["sdpa", "explicit"])
def test_multihead_dropout_only_in_train_mode(attention):
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2, 6, dropout=0.3, attention=attention)
    x = torch.randn(1, 6, 8)
    mha.eval()
    clean = mha(x)
    torch.testing.assert_close(mha(x), clean)
    mha.dropout.p = 0.0  # attention-weight dropout only
    mha.train()
    draws = torch.stack([mha(x).detach() for _ in range(2000)])
    assert not torch.allclose(draws[0], clean)
    torch.testing.assert_close(draws.mean(0), clean, atol=0.05, rtol=0)


def test_batched_heads_equal_the_lectures_list_of_heads():
    """EX1: one MultiHeadAttention equals the lecture's Heads, concatenated and projected."""
    torch.manual_seed(1)
    heads = nn.ModuleList([Head(16, 4, 10) for _ in range(4)])
    proj = nn.Linear(16, 16)
    mha = MultiHeadAttention(16, 4, 10).load_heads(heads, proj)
    x = torch.randn(3, 10, 16)
    expected = proj(torch.cat([h(x) for h in heads], dim=-1))
    torch.testing.assert_close(mha(x), expected, rtol=1e-5, atol=1e-6)


def test_seeded_initialisation_matches_the_lectures_order():
    """A seeded MultiHeadAttention starts from the numbers the lecture's Heads draw."""
    torch.manual_seed(1337)
    heads = [Head(32, 8, 8) for _ in range(4)]
    lecture_proj = nn.Linear(32, 32)
    torch.manual_seed(1337)
    mha = MultiHeadAttention(32, 4, 8)
    expected = torch.cat([w for h in heads for w in (h.key.weight, h.query.weight,
                                                      h.value.weight)])
    assert torch.equal(mha.kqv.weight, expected)
    assert torch.equal(mha.proj.weight, lecture_proj.weight)


def test_gpt_init_is_gpt_pys_normal_002():
    """gpt_init: Linear and Embedding weights N(0, 0.02), biases 0, LayerNorm untouched."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=65, block_size=32, n_embd=64, n_head=4, n_layer=4,
                          dropout=0.0, gpt_init=True))
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            # a weight of >= 1,024 entries: the sample std is within 10% of 0.02
            assert abs(m.weight.std().item() - 0.02) < 0.002, m
            assert abs(m.weight.mean().item()) < 0.003, m
        if isinstance(m, nn.Linear) and m.bias is not None:
            assert torch.count_nonzero(m.bias) == 0
        if isinstance(m, nn.LayerNorm):
            assert torch.equal(m.weight, torch.ones_like(m.weight))
            assert torch.equal(m.bias, torch.zeros_like(m.bias))


def test_default_init_is_pytorchs_and_draws_nothing_more():
    """gpt_init=False: PyTorch's defaults in the lecture's order, no extra draws."""
    torch.manual_seed(1337)
    default = GPT(GPTConfig(**TINY.to_dict()))
    after = torch.rand(1)
    torch.manual_seed(1337)
    ours = GPT(GPTConfig(**{**TINY.to_dict(), "gpt_init": False}))
    assert torch.equal(torch.rand(1), after)
    for a, b in zip(default.state_dict().values(), ours.state_dict().values()):
        assert torch.equal(a, b)
    # PyTorch's default Linear: uniform within 1/sqrt(fan_in), far wider than 0.02
    bound = TINY.n_embd ** -0.5
    assert default.lm_head.weight.abs().max() <= bound
    assert default.lm_head.weight.std() > 0.1


def test_init_weights_leaves_other_modules_alone():
    ln = nn.LayerNorm(8)
    init_weights(ln)
    assert torch.equal(ln.weight, torch.ones(8))


def test_head_scales_by_head_size():
    torch.manual_seed(0)
    head = Head(12, 4, 5)
    x = torch.randn(2, 5, 12)
    q, k = head.query(x), head.key(x)
    expected = attention_weights(q, k, 4 ** -0.5) @ head.value(x)
    torch.testing.assert_close(head(x), expected)


@settings(deadline=None, max_examples=10)
@given(seed=st.integers(0, 1000))
def test_multihead_gradients_match_finite_differences(seed):
    torch.manual_seed(seed)
    mha = MultiHeadAttention(6, 2, 4).double()
    x = torch.randn(2, 4, 6, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: mha(t), (x,), eps=1e-6, atol=1e-5)


def test_layernorm_from_scratch_matches_torch():
    torch.manual_seed(0)
    ours, ref = LayerNorm1d(10), nn.LayerNorm(10)
    with torch.no_grad():
        ours.gamma.normal_(), ours.beta.normal_()
        ref.weight.copy_(ours.gamma), ref.bias.copy_(ours.beta)
    x = torch.randn(4, 3, 10) * 5 + 2
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-5)


# --- the GPT ----------------------------------------------------------------------------------

@settings(deadline=None, max_examples=25)
@given(data=st.data())
def test_causality(data):
    """Changing a future token never changes the logits at an earlier position."""
    model = tiny_gpt()
    T = data.draw(st.integers(2, 8))
    tokens = data.draw(st.lists(st.integers(0, 10), min_size=T, max_size=T))
    t = data.draw(st.integers(1, T - 1))
    new = data.draw(st.integers(0, 10))
    idx = torch.tensor([tokens])
    changed = idx.clone()
    changed[0, t] = new
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model(changed)
    torch.testing.assert_close(a[:, :t], b[:, :t], rtol=0, atol=1e-6)


def test_loss_is_cross_entropy_and_near_uniform_at_init():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=65, block_size=8, n_embd=32, n_head=4, n_layer=1,
                          dropout=0.0))
    idx = torch.randint(65, (4, 8))
    targets = torch.randint(65, (4, 8))
    logits, loss = model(idx, targets)
    assert logits.shape == (4, 8, 65)
    torch.testing.assert_close(loss, F.cross_entropy(logits.reshape(-1, 65),
                                                     targets.reshape(-1)))
    assert abs(loss.item() - math.log(65)) < 0.5


def test_generation_never_feeds_more_than_block_size():
    model = tiny_gpt()
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].size(1)))
    out = model.generate(torch.zeros(2, 1, dtype=torch.long), 3 * TINY.block_size)
    assert out.shape == (2, 1 + 3 * TINY.block_size)
    assert max(seen) == TINY.block_size and len(seen) == 3 * TINY.block_size


def test_sampling_options():
    model = tiny_gpt()
    idx = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        greedy_next = model(idx)[0][0, -1].argmax()
    out = model.generate(idx, 1, top_k=1, generator=torch.Generator().manual_seed(0))
    assert out[0, -1] == greedy_next
    a = model.generate(idx, 10, temperature=0.5, generator=torch.Generator().manual_seed(3))
    b = model.generate(idx, 10, temperature=0.5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_generate_restores_training_mode():
    model = tiny_gpt().train()
    model.generate(torch.zeros(1, 1, dtype=torch.long), 2)
    assert model.training


def test_attention_maps():
    model = tiny_gpt()
    maps = model.attention_maps(torch.tensor([[1, 2, 3, 4]]))
    assert len(maps) == TINY.n_layer and maps[0].shape == (1, TINY.n_head, 4, 4)
    torch.testing.assert_close(maps[1].sum(-1), torch.ones(1, TINY.n_head, 4))


def test_context_longer_than_block_size_is_refused():
    # the model has position embeddings for block_size positions only
    with pytest.raises(AssertionError, match="block_size"):
        tiny_gpt()(torch.zeros(1, 9, dtype=torch.long))


def test_heads_must_divide_the_embedding():
    with pytest.raises(AssertionError, match="multiple of n_head"):
        GPTConfig(n_embd=10, n_head=3)


@pytest.mark.parametrize("attention", ["sdpa", "explicit"])
def test_explicit_and_sdpa_models_agree(attention):
    a, b = tiny_gpt(attention="sdpa"), tiny_gpt(attention=attention)
    idx = torch.randint(11, (2, 8))
    torch.testing.assert_close(a(idx)[0], b(idx)[0], rtol=1e-5, atol=1e-5)


# --- the bigram baseline ----------------------------------------------------------------------

def test_bigram_reads_logits_off_its_table():
    torch.manual_seed(0)
    model = BigramLanguageModel(7)
    idx = torch.tensor([[3, 1, 6]])
    logits, _ = model(idx)
    assert torch.equal(logits[0], model.token_embedding_table.weight[[3, 1, 6]])


def test_bigram_generation_looks_at_the_last_token_only():
    torch.manual_seed(0)
    model = BigramLanguageModel(7)
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].size(1)))
    a = model.generate(torch.tensor([[1, 2, 3]]), 5, generator=torch.Generator().manual_seed(1))
    assert set(seen) == {1}
    # the same draws as feeding the whole sequence, as the lecture's generate does
    b = generate(model, torch.tensor([[1, 2, 3]]), 5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_feedforward_and_block_shapes():
    x = torch.randn(2, 5, 12)
    assert FeedForward(12)(x).shape == x.shape
    assert Block(TINY)(x).shape == x.shape
