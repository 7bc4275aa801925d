"""zerohero.gpt.milestones: the lecture's intermediate models."""

import pytest
import torch
import torch.nn as nn

from zerohero.gpt.milestones import STAGES, MilestoneModel
from zerohero.gpt.model import GPT, GPTConfig, Head, num_params

CFG = GPTConfig(vocab_size=65, block_size=8, n_embd=32, n_head=4, n_layer=3, dropout=0.0)


def build(stage, seed=1337, **changes):
    torch.manual_seed(seed)
    return MilestoneModel(GPTConfig(**{**CFG.to_dict(), **changes}), stage)


def test_parameter_counts():
    # independent counts: V=65, T=8, C=32, three blocks
    V, T, C = 65, 8, 32
    base = V * C + T * C + C * V + V
    attention = 3 * C * C
    relu_layer = C * C + C
    ffwd = C * 4 * C + 4 * C + 4 * C * C + C
    expected = {
        "single-head": base + attention,
        "multi-head": base + attention,
        "feed-forward": base + attention + relu_layer,
        "blocks": base + 3 * (attention + relu_layer),
        "residual": base + 3 * (attention + C * C + C + ffwd),
        "layernorm": base + 3 * (attention + C * C + C + ffwd + 4 * C) + 2 * C,
    }
    assert {s: num_params(build(s)) for s in STAGES} == expected


def test_single_head_is_the_lectures_model():
    """Same initial weights as the lecture's (seed, embeddings, one Head, lm_head), same logits."""
    torch.manual_seed(1337)
    tok, pos = nn.Embedding(65, 32), nn.Embedding(8, 32)
    head = Head(32, 32, 8)
    lm_head = nn.Linear(32, 65)
    model = build("single-head").eval()
    assert torch.equal(model.token_embedding.weight, tok.weight)
    assert torch.equal(model.position_embedding.weight, pos.weight)
    assert torch.equal(model.lm_head.weight, lm_head.weight)
    idx = torch.randint(65, (4, 8))
    expected = lm_head(head(tok(idx) + pos(torch.arange(8))))
    torch.testing.assert_close(model(idx)[0], expected, rtol=1e-5, atol=1e-5)


def test_feed_forward_stage_is_the_lectures_model():
    torch.manual_seed(1337)
    tok, pos = nn.Embedding(65, 32), nn.Embedding(8, 32)
    heads = [Head(32, 8, 8) for _ in range(4)]
    ffwd = nn.Sequential(nn.Linear(32, 32), nn.ReLU())
    lm_head = nn.Linear(32, 65)
    model = build("feed-forward").eval()
    idx = torch.randint(65, (4, 8))
    x = tok(idx) + pos(torch.arange(8))
    expected = lm_head(ffwd(torch.cat([h(x) for h in heads], dim=-1)))
    torch.testing.assert_close(model(idx)[0], expected, rtol=1e-5, atol=1e-5)


def test_layernorm_stage_is_the_gpt():
    model = build("layernorm")
    torch.manual_seed(1337)
    gpt = GPT(CFG)
    assert model.state_dict().keys() == gpt.state_dict().keys()
    for name, value in gpt.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name


def test_lecture_scale_changes_multi_head_attention_only_when_heads_are_narrower():
    idx = torch.randint(65, (2, 8))
    for stage, differs in [("single-head", False), ("multi-head", True)]:
        a = build(stage).eval()(idx)[0]
        b = build(stage, attn_scale=32 ** -0.5).eval()(idx)[0]
        assert (not torch.allclose(a, b)) == differs, stage


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_is_causal(stage):
    model = build(stage).eval()
    idx = torch.randint(65, (1, 8))
    changed = idx.clone()
    changed[0, 5] = (idx[0, 5] + 1) % 65
    with torch.no_grad():
        torch.testing.assert_close(model(idx)[0][:, :5], model(changed)[0][:, :5])


def test_unknown_stage():
    with pytest.raises(AssertionError, match="transformer"):
        MilestoneModel(CFG, "transformer")
