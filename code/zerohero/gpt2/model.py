"""GPT-2: the model of build-nanogpt's ``train_gpt2.py``, with the names of
the Hugging Face state dict so that OpenAI's weights load into it.

One class per concept (attention, MLP, block, model), a config dataclass,
and a forward pass that reads top to bottom. Three details are GPT-2's own:
GELU with the tanh approximation, LayerNorm before each sublayer (pre-norm)
and one matrix shared by the token embedding and the output head.
"""

from __future__ import annotations

import inspect
import math
import os
import socket
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    """The defaults are GPT-2 small, the 124M model."""

    block_size: int = 1024  # the longest context
    vocab_size: int = 50257  # 50,000 merges + 256 bytes + <|endoftext|>
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768


def padded_vocab(vocab_size: int, multiple: int = 64) -> int:
    """The next multiple of 64: 50257 -> 50304, a number GPU kernels like.
    The extra tokens never occur, so training drives their logits down."""
    return math.ceil(vocab_size / multiple) * multiple


class CausalSelfAttention(nn.Module):

    def __init__(self, config: GPTConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        # queries, keys and values of all heads from one matrix
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.c_proj.RESIDUAL_PROJECTION = True  # scaled at init, see GPT
        self.n_head = config.n_head
        self.n_embd = config.n_embd

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        # heads become a batch dimension: (B, n_head, T, head_size)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        # softmax(q k^T / sqrt(head_size)) v over the past, in one kernel
        # (flash attention on a GPU: the (T, T) weights are never stored)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = nn.GELU(approximate="tanh")  # what GPT-2 was trained with
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.c_proj.RESIDUAL_PROJECTION = True

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x):
        # the residual stream is added to, never normalised itself
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # tokens that are read alike should be predicted alike: one matrix
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            std = 0.02
            if getattr(module, "RESIDUAL_PROJECTION", False):
                # each block adds two projections to the residual stream:
                # keep its variance from growing with depth
                std *= (2 * self.config.n_layer) ** -0.5
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.size()
        assert T <= self.config.block_size, f"{T} > block size"
        pos = torch.arange(0, T, dtype=torch.long, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)  # (B, T, vocab_size)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)),
                                   targets.view(-1))
        return logits, loss

    @classmethod
    def from_hf(cls, hf_model) -> GPT:
        """Our GPT with the weights of a ``transformers`` GPT2LMHeadModel.

        OpenAI's checkpoint stores the four matrices of attention and MLP
        as ``Conv1D`` weights, (in, out): transposed from ``nn.Linear``'s.
        """
        hf = hf_model.config
        config = GPTConfig(block_size=hf.n_positions,
                           vocab_size=hf.vocab_size, n_layer=hf.n_layer,
                           n_head=hf.n_head, n_embd=hf.n_embd)
        model = cls(config)
        sd = model.state_dict()
        sd_hf = {k: v for k, v in hf_model.state_dict().items()
                 if not k.endswith((".attn.bias", ".attn.masked_bias"))}
        assert sd_hf.keys() == sd.keys(), sd_hf.keys() ^ sd.keys()
        transposed = ("attn.c_attn.weight", "attn.c_proj.weight",
                      "mlp.c_fc.weight", "mlp.c_proj.weight")
        with torch.no_grad():
            for k, v in sd_hf.items():
                if k.endswith(transposed):
                    v = v.t()
                assert v.shape == sd[k].shape, k
                sd[k].copy_(v)
        return model

    @classmethod
    def from_pretrained(cls, name: str = "gpt2") -> GPT:
        """OpenAI's GPT-2 (``gpt2``, ``gpt2-medium``, ``-large``, ``-xl``),
        from a local directory, the Hugging Face cache or the hub."""
        from transformers import GPT2LMHeadModel
        if os.path.isdir(name):
            return cls.from_hf(GPT2LMHeadModel.from_pretrained(name))
        try:
            hf_model = GPT2LMHeadModel.from_pretrained(name,
                                                       local_files_only=True)
        except OSError:
            if not _reachable("huggingface.co"):
                raise OSError(f"cannot load {name!r}: not in the Hugging Face "
                              f"cache and huggingface.co is unreachable; "
                              f"pass a directory made by save_pretrained"
                              ) from None
            hf_model = GPT2LMHeadModel.from_pretrained(name)
        return cls.from_hf(hf_model)

    def configure_optimizers(self, weight_decay: float, learning_rate: float,
                             device_type: str) -> torch.optim.AdamW:
        """AdamW as GPT-3 trained: betas (0.9, 0.95), eps 1e-8, and weight
        decay on the matrices and embeddings only (biases and LayerNorm
        gains are left alone)."""
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2],
             "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2],
             "weight_decay": 0.0},
        ]
        # one kernel for the whole update where PyTorch has one (CUDA and,
        # since PyTorch 2.4, the CPU) instead of a loop over the tensors
        fused = (device_type in ("cuda", "cpu") and "fused" in
                 inspect.signature(torch.optim.AdamW).parameters)
        return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.95),
                                 eps=1e-8, fused=fused)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens: int, top_k: int = 50,
                 generator: torch.Generator | None = None):
        """Extend ``idx`` (B, T) by ``max_new_tokens`` tokens, each drawn
        from the ``top_k`` likeliest (Hugging Face's default of 50)."""
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.config.block_size:])
            probs = F.softmax(logits[:, -1, :], dim=-1)
            topk_probs, topk_indices = torch.topk(probs, top_k, dim=-1)
            # multinomial renormalises the k probabilities itself
            ix = torch.multinomial(topk_probs, 1, generator=generator)
            idx = torch.cat((idx, torch.gather(topk_indices, -1, ix)), dim=1)
        return idx


def num_params(model: nn.Module) -> int:
    """Parameters counted once (the tied matrix is one tensor)."""
    return sum(p.numel() for p in model.parameters())


def _reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False
