"""The lecture's intermediate models, from one head to the full block.

The video grows the bigram model into a transformer one idea at a time,
retraining at each step (n_embd 32, block_size 8): a single head, four
heads, a feed-forward layer, three stacked blocks (which train worse: too
deep without help), residual connections (with projections and the 4x
feed-forward), and pre-LayerNorm. Each stage is the ``GPT`` with another
body, built from the pieces of ``zerohero.gpt.model`` in the lecture's
order of creation.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from zerohero.gpt.model import (GPT, Block, FeedForward, GPTConfig,
                                MultiHeadAttention)

STAGES = ("single-head", "multi-head", "feed-forward", "blocks", "residual",
          "layernorm")


class PlainBlock(nn.Module):
    """Attention, then a per-position ReLU layer; no residual, no LayerNorm."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.sa = MultiHeadAttention(
            config.n_embd, config.n_head, config.block_size, proj=False,
            attention=config.attention, scale=config.attn_scale)
        self.ffwd = nn.Sequential(nn.Linear(config.n_embd, config.n_embd),
                                  nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffwd(self.sa(x))


class ResidualBlock(nn.Module):
    """A block with residual connections and projections, no LayerNorm."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.sa = MultiHeadAttention(
            config.n_embd, config.n_head, config.block_size, config.dropout,
            attention=config.attention, scale=config.attn_scale)
        self.ffwd = FeedForward(config.n_embd, config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.sa(x)
        x = x + self.ffwd(x)
        return x


class MilestoneModel(GPT):
    """The GPT's embeddings and head around the body of one lecture stage.

    ``config.attn_scale`` sets the attention scale: ``n_embd ** -0.5`` is
    the video's code, ``None`` the corrected ``head_size ** -0.5``.
    """

    def __init__(self, config: GPTConfig, stage: str):
        assert stage in STAGES, stage
        self.stage = stage  # make_blocks reads it while GPT.__init__ runs
        super().__init__(config)
        if stage != "layernorm":
            self.ln_f = nn.Identity()

    def make_blocks(self, config: GPTConfig) -> nn.Module:
        C, n_head = config.n_embd, config.n_head

        def attention(n_head):
            return MultiHeadAttention(
                C, n_head, config.block_size, proj=False,
                attention=config.attention, scale=config.attn_scale)

        if self.stage == "single-head":
            return attention(1)  # one head as wide as the embedding
        if self.stage == "multi-head":
            return attention(n_head)
        if self.stage == "feed-forward":
            return nn.Sequential(attention(n_head),
                                 nn.Sequential(nn.Linear(C, C), nn.ReLU()))
        if self.stage == "blocks":
            blocks = [PlainBlock(config) for _ in range(config.n_layer)]
        elif self.stage == "residual":
            blocks = [ResidualBlock(config) for _ in range(config.n_layer)]
        else:
            blocks = [Block(config) for _ in range(config.n_layer)]
        return nn.Sequential(*blocks)
