"""The lecture's intermediate models, from one attention head to the full block (chapter 7).

The video grows the bigram model into a transformer one idea at a time, retraining at each step
(n_embd 32, block_size 8): a single head, four heads, a feed-forward layer, three stacked blocks
(which train worse: too deep without help), residual connections (with projections and the 4x
feed-forward), and pre-LayerNorm. Each stage here is the ``GPT`` with a different body, built
from the pieces of ``zerohero.gpt.model`` in the lecture's order of creation.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from zerohero.gpt.model import GPT, Block, FeedForward, GPTConfig, ModelError, MultiHeadAttention

STAGES = ("single-head", "multi-head", "feed-forward", "blocks", "residual", "layernorm")


class PlainBlock(nn.Module):
    """Attention then a per-position ReLU layer, no residual, no LayerNorm (chapter 7)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.sa = MultiHeadAttention(config.n_embd, config.n_head, config.block_size,
                                     proj=False, attention=config.attention,
                                     scale=config.attn_scale)
        self.ffwd = nn.Sequential(nn.Linear(config.n_embd, config.n_embd), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffwd(self.sa(x))


class ResidualBlock(nn.Module):
    """A block with residual connections and projections but no LayerNorm (chapter 7)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.sa = MultiHeadAttention(config.n_embd, config.n_head, config.block_size,
                                     config.dropout, attention=config.attention,
                                     scale=config.attn_scale)
        self.ffwd = FeedForward(config.n_embd, config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.sa(x)
        x = x + self.ffwd(x)
        return x


class MilestoneModel(GPT):
    """The GPT's embeddings and head around the body of one lecture stage (chapter 7).

    ``config.attn_scale`` sets the attention scale as in the GPT (``n_embd ** -0.5`` gives the
    video's code, ``None`` the corrected ``head_size ** -0.5``).
    """

    def __init__(self, config: GPTConfig, stage: str):
        if stage not in STAGES:
            raise ModelError(f"unknown stage {stage!r}; the stages are {', '.join(STAGES)}")
        self._stage = stage  # read by make_blocks, which GPT.__init__ calls
        super().__init__(config)
        if stage != "layernorm":
            self.ln_f = nn.Identity()

    @property
    def stage(self) -> str:
        return self._stage

    def make_blocks(self, config: GPTConfig) -> nn.Module:
        stage = self._stage

        def attention(n_head):
            return MultiHeadAttention(config.n_embd, n_head, config.block_size, proj=False,
                                      attention=config.attention, scale=config.attn_scale)

        if stage == "single-head":
            return attention(1)  # one head as wide as the embedding
        if stage == "multi-head":
            return attention(config.n_head)
        if stage == "feed-forward":
            return nn.Sequential(attention(config.n_head),
                                 nn.Sequential(nn.Linear(config.n_embd, config.n_embd),
                                               nn.ReLU()))
        if stage == "blocks":
            return nn.Sequential(*[PlainBlock(config) for _ in range(config.n_layer)])
        if stage == "residual":
            return nn.Sequential(*[ResidualBlock(config) for _ in range(config.n_layer)])
        return nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
