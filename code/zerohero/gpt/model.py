"""The bigram baseline and the GPT: heads, multi-head attention, blocks.

The architecture of the lecture's ``gpt.py``: a decoder-only transformer
with pre-LayerNorm blocks. ``Head`` is the lecture's one head of attention;
``MultiHeadAttention`` computes all heads of a layer at once (the lecture's
first exercise) and gives the same function, which the tests check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from zerohero.makemore.sampling import sample_next


@dataclass
class GPTConfig:
    """The GPT's hyperparameters. The defaults are the lecture's full model."""

    vocab_size: int = 65
    block_size: int = 256   # the longest context: one position embedding each
    n_embd: int = 384
    n_head: int = 6
    n_layer: int = 6
    dropout: float = 0.2
    # "sdpa": PyTorch's attention kernel; "explicit": the masked softmax
    attention: str = "sdpa"
    # None: head_size ** -0.5; the video's code had n_embd ** -0.5
    attn_scale: float | None = None
    # share the token embedding with lm_head, as GPT-2 does (exercise 4)
    tie_weights: bool = False
    # gpt.py's _init_weights: N(0, 0.02) weights, zero biases; False keeps
    # PyTorch's defaults, which the video's notebook trained with
    gpt_init: bool = False

    def __post_init__(self):
        assert self.n_embd % self.n_head == 0, "n_embd: a multiple of n_head"
        assert self.attention in ("sdpa", "explicit")

    def to_dict(self) -> dict:
        return asdict(self)


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# -------------------------------------------------------------------------
# Attention


def attention_weights(q, k, scale: float | None = None) -> torch.Tensor:
    """``softmax(q @ k^T * scale)`` with the future masked out; (..., T, T).

    ``scale`` defaults to ``head_size ** -0.5`` (the video's code used
    ``n_embd ** -0.5``, an erratum its description corrects).
    """
    T = q.size(-2)
    scale = q.size(-1) ** -0.5 if scale is None else scale
    wei = q @ k.transpose(-2, -1) * scale
    tril = torch.tril(torch.ones(T, T, device=q.device))
    wei = wei.masked_fill(tril == 0, float("-inf"))
    return F.softmax(wei, dim=-1)


def causal_attention(q, k, v, *, dropout_p: float = 0.0,
                     scale: float | None = None,
                     explicit: bool = False) -> torch.Tensor:
    """Each position's weighted average of the values at or before it.

    ``explicit=False`` calls PyTorch's ``scaled_dot_product_attention``: the
    same function, computed without keeping the (T, T) weights when it can.
    Both drop out attention weights, as the lecture's ``Head`` does.
    """
    if explicit:
        wei = attention_weights(q, k, scale)
        if dropout_p > 0:
            wei = F.dropout(wei, dropout_p, training=True)
        return wei @ v
    return F.scaled_dot_product_attention(
        q, k, v, dropout_p=dropout_p, is_causal=True, scale=scale)


class Head(nn.Module):
    """One head of causal self-attention, the lecture's version."""

    def __init__(self, n_embd: int, head_size: int, block_size: int,
                 dropout: float = 0.0):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        tril = torch.tril(torch.ones(block_size, block_size))
        self.register_buffer("tril", tril, persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        k = self.key(x)    # (B, T, hs)
        q = self.query(x)  # (B, T, hs)
        # head_size, not C: affinities of variance 1 at initialisation
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T)
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)  # (B, T, hs)
        return wei @ v


class MultiHeadAttention(nn.Module):
    """``n_head`` heads of causal self-attention, computed together.

    One linear layer makes every head's key, query and value. Its rows are
    laid out head by head as (key, query, value): the order in which the
    lecture's list of ``Head`` modules draws its initial weights, so a
    model seeded as the lecture's starts from the same numbers.
    ``proj=False``: no output projection (the lecture's first multi-head
    model had none).
    """

    def __init__(self, n_embd: int, n_head: int, block_size: int,
                 dropout: float = 0.0, *, proj: bool = True,
                 attention: str = "sdpa", scale: float | None = None):
        super().__init__()
        assert n_embd % n_head == 0
        self.n_head, self.head_size = n_head, n_embd // n_head
        self.attention, self.scale = attention, scale
        self.attn_dropout = dropout
        self.kqv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.proj = nn.Linear(n_embd, n_embd) if proj else nn.Identity()
        self.dropout = nn.Dropout(dropout)

    def heads(self, x: torch.Tensor):
        """Every head's queries, keys, values: (B, n_head, T, head_size)."""
        B, T, C = x.shape
        kqv = self.kqv(x).view(B, T, self.n_head, 3, self.head_size)
        k, q, v = kqv.permute(3, 0, 2, 1, 4).unbind(0)
        return q, k, v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.heads(x)
        p = self.attn_dropout if self.training else 0.0
        out = causal_attention(q, k, v, dropout_p=p, scale=self.scale,
                               explicit=self.attention == "explicit")
        # the heads side by side: their concatenation
        out = out.transpose(1, 2).reshape(B, T, C)
        return self.dropout(self.proj(out))

    @torch.no_grad()
    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Every head's weights on ``x``: (B, n_head, T, T), for plots."""
        q, k, _ = self.heads(x)
        return attention_weights(q, k, self.scale)

    @torch.no_grad()
    def load_heads(self, heads, proj: nn.Linear | None = None):
        """Copy the weights of lecture ``Head`` modules (and a projection)."""
        assert len(heads) == self.n_head
        self.kqv.weight.copy_(torch.cat([
            w for h in heads
            for w in (h.key.weight, h.query.weight, h.value.weight)]))
        if proj is not None:
            self.proj.load_state_dict(proj.state_dict())
        return self


class FeedForward(nn.Module):
    """Per-position computation after attention: Linear, ReLU, Linear."""

    def __init__(self, n_embd: int, dropout: float = 0.0):
        super().__init__()
        self.net = nn.Sequential(
            # the 4x inner width of "Attention is all you need"
            nn.Linear(n_embd, 4 * n_embd),
            nn.ReLU(),
            nn.Linear(4 * n_embd, n_embd),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class LayerNorm1d(nn.Module):
    """LayerNorm from scratch: BatchNorm's normalisation, over each row.

    The lecture notebook's version; the models use ``nn.LayerNorm``. Every
    example is normalised by its own features, so no running statistics.
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        var = x.var(-1, keepdim=True, unbiased=False)
        xhat = (x - mean) / torch.sqrt(var + self.eps)
        return self.gamma * xhat + self.beta


class Block(nn.Module):
    """Transformer block: communication (attention), then computation."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.sa = MultiHeadAttention(
            config.n_embd, config.n_head, config.block_size, config.dropout,
            attention=config.attention, scale=config.attn_scale)
        self.ffwd = FeedForward(config.n_embd, config.dropout)
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.ln2 = nn.LayerNorm(config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.sa(self.ln1(x))
        x = x + self.ffwd(self.ln2(x))
        return x


# -------------------------------------------------------------------------
# Language models


def init_weights(module: nn.Module) -> None:
    """``gpt.py``'s ``_init_weights``, for ``model.apply``.

    Linear and embedding weights from N(0, 0.02), Linear biases zero;
    LayerNorm keeps its ones and zeros.
    """
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)


@torch.no_grad()
def generate(model: nn.Module, idx: torch.Tensor, max_new_tokens: int, *,
             block_size: int | None = None, temperature: float = 1.0,
             top_k: int | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Extend ``idx`` (B, T) by ``max_new_tokens`` sampled tokens.

    The context is cropped to its last ``block_size`` tokens, the most the
    model has position embeddings for. ``temperature`` divides the logits,
    ``top_k`` keeps the k likeliest tokens; one ``torch.multinomial`` draw
    per step, from ``generator`` (else the global one).
    """
    was_training = model.training
    model.eval()
    for _ in range(max_new_tokens):
        idx_cond = idx if block_size is None else idx[:, -block_size:]
        logits, _ = model(idx_cond)
        logits = logits[:, -1, :]  # the last time step: (B, vocab_size)
        idx_next = sample_next(logits, temperature, top_k, generator)
        idx = torch.cat((idx, idx_next), dim=1)
    model.train(was_training)
    return idx


class BigramLanguageModel(nn.Module):
    """The baseline: each token reads the next token's logits off a table."""

    def __init__(self, vocab_size: int):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.token_embedding_table(idx)  # (B, T, vocab_size)
        if targets is None:
            loss = None
        else:
            B, T, C = logits.shape
            loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
        return logits, loss

    def generate(self, idx, max_new_tokens: int, **kwargs) -> torch.Tensor:
        # the next token depends on the last one only: feed just that
        return generate(self, idx, max_new_tokens, block_size=1, **kwargs)


class GPT(nn.Module):
    """Token and position embeddings, blocks, final LayerNorm, logits.

    Modules are created in the lecture's order, with PyTorch's default
    initialisation as in the video, so a seeded model draws the lecture's
    initial weights; ``config.gpt_init`` redraws them as ``gpt.py`` does.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.block_size = config.block_size
        self.token_embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.position_embedding = nn.Embedding(config.block_size,
                                               config.n_embd)
        self.blocks = self.make_blocks(config)
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)
        if config.tie_weights:
            # one matrix reads tokens in and scores them out (Press & Wolf)
            self.lm_head.weight = self.token_embedding.weight
        if config.gpt_init:
            self.apply(init_weights)

    def make_blocks(self, config: GPTConfig) -> nn.Module:
        return nn.Sequential(*[Block(config) for _ in range(config.n_layer)])

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        assert T <= self.block_size, "crop the context to block_size"
        tok_emb = self.token_embedding(idx)  # (B, T, C)
        pos_emb = self.position_embedding(torch.arange(T, device=idx.device))
        x = tok_emb + pos_emb                # (B, T, C)
        x = self.blocks(x)
        x = self.ln_f(x)
        logits = self.lm_head(x)             # (B, T, vocab_size)
        if targets is None:
            loss = None
        else:
            B, T, C = logits.shape
            loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
        return logits, loss

    def generate(self, idx, max_new_tokens: int, **kwargs) -> torch.Tensor:
        return generate(self, idx, max_new_tokens,
                        block_size=self.block_size, **kwargs)

    @torch.no_grad()
    def attention_maps(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's attention weights on ``idx``: (B, n_head, T, T)."""
        assert all(isinstance(b, Block) for b in self.blocks)
        was_training = self.training
        self.eval()  # no dropout: the weights the model uses at inference
        T = idx.size(1)
        x = self.token_embedding(idx) + self.position_embedding(
            torch.arange(T, device=idx.device))
        maps = []
        for block in self.blocks:
            maps.append(block.sa.attention_weights(block.ln1(x)))
            x = block(x)
        self.train(was_training)
        return maps
