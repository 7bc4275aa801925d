"""zerohero.gpt2.model: GPT-2's architecture against Hugging Face's."""

import math

import pytest
import torch

from zerohero.gpt2 import model as gpt2_model
from zerohero.gpt2.model import GPT, GPTConfig, num_params, padded_vocab

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = GPTConfig(block_size=32, vocab_size=96, n_layer=2, n_head=2, n_embd=64)


def test_full_config_has_124_439_808_parameters():
    with torch.device("meta"):  # shapes only: nothing allocated or trained
        model = GPT(GPTConfig())
    assert num_params(model) == 124_439_808


def test_vocabulary_padded_to_a_multiple_of_64():
    assert padded_vocab(50257) == 50304
    assert padded_vocab(512) == 512 and padded_vocab(513) == 576


def test_hugging_face_parity():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    hf_config = transformers.GPT2Config(
        n_layer=2, n_head=2, n_embd=64, vocab_size=96, n_positions=32,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    hf = transformers.GPT2LMHeadModel(hf_config).eval()
    ours = GPT.from_hf(hf).eval()
    assert ours.config == TINY
    idx = torch.randint(0, 96, (3, 32),
                        generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = hf(idx).logits
        logits, _ = ours(idx)
    assert (logits - expected).abs().max().item() < 1e-5
    # one matrix in and out, as in the checkpoint
    assert ours.lm_head.weight is ours.transformer.wte.weight


def test_from_pretrained_fails_with_one_clear_line_offline(monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setattr(gpt2_model, "_reachable", lambda *a, **k: False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError) as err:
        GPT.from_pretrained("gpt2")
    message = str(err.value)
    assert "\n" not in message and "'gpt2'" in message
    assert "unreachable" in message


def test_initialisation():
    torch.manual_seed(0)
    config = GPTConfig(block_size=64, vocab_size=512, n_layer=8, n_head=4,
                       n_embd=256)
    model = GPT(config)
    block = model.transformer.h[0]
    assert abs(block.attn.c_attn.weight.std().item() - 0.02) < 1e-3
    assert abs(model.transformer.wpe.weight.std().item() - 0.02) < 1e-3
    residual = 0.02 / math.sqrt(2 * config.n_layer)
    for proj in (block.attn.c_proj, block.mlp.c_proj):
        assert abs(proj.weight.std().item() - residual) < 5e-4
    assert block.attn.c_attn.bias.abs().max().item() == 0


def test_first_loss_is_about_ln_vocab():
    # logits near 0 at init: a uniform guess over the vocabulary
    torch.manual_seed(0)
    model = GPT(GPTConfig(block_size=64, vocab_size=512, n_layer=2, n_head=2,
                          n_embd=64))
    idx = torch.randint(0, 512, (4, 65))
    _, loss = model(idx[:, :-1], idx[:, 1:].contiguous())
    assert abs(loss.item() - math.log(512)) < 0.05


def test_weight_decay_only_on_matrices():
    model = GPT(TINY)
    opt = model.configure_optimizers(0.1, 6e-4, "cpu")
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decay["params"])
    assert all(p.dim() == 1 for p in no_decay["params"])
    assert (sum(p.numel() for g in opt.param_groups for p in g["params"])
            == num_params(model))
    assert opt.defaults["betas"] == (0.9, 0.95) and opt.defaults["eps"] == 1e-8


def test_generate_samples_only_the_top_k():
    torch.manual_seed(0)
    model = GPT(TINY).eval()
    idx = torch.zeros((2, 1), dtype=torch.long)
    with torch.no_grad():
        logits, _ = model(idx)
    allowed = set(torch.topk(logits[0, -1], 5).indices.tolist())
    out = model.generate(idx, 1, top_k=5,
                         generator=torch.Generator().manual_seed(0))
    assert out.shape == (2, 2)
    assert set(out[:, 1].tolist()) <= allowed
    long = model.generate(idx, 40, generator=torch.Generator().manual_seed(0))
    assert long.shape == (2, 41)  # past the block size: the context is cropped
