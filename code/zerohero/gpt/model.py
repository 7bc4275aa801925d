"""The bigram baseline and the GPT: heads, multi-head attention, feed-forward, blocks (chapter 7).

The architecture of the lecture's ``gpt.py`` (a decoder-only transformer with pre-LayerNorm
blocks), written nanoGPT-style: all heads of a layer come out of one matrix multiply and
attend through ``F.scaled_dot_product_attention``. The one-head-at-a-time ``Head`` of the lecture
is kept for teaching and as the reference the batched version is tested against.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn as nn
import torch.nn.functional as F

from zerohero.makemore.sampling import sample_next

ATTENTION_KINDS = ("sdpa", "explicit")


class ModelError(ValueError):
    """A model configuration or input that cannot work; the message says why and what to do."""


@dataclass
class GPTConfig:
    """Hyperparameters of the GPT (chapter 7). The defaults are the lecture's full model."""

    vocab_size: int = 65
    block_size: int = 256   # the longest context, and the number of position embeddings
    n_embd: int = 384
    n_head: int = 6
    n_layer: int = 6
    dropout: float = 0.2
    attention: str = "sdpa"  # "sdpa" (fused kernel) or "explicit" (masked softmax, as lectured)
    attn_scale: float | None = None  # None: head_size ** -0.5; the video's code had n_embd ** -0.5
    tie_weights: bool = False  # share the token embedding with lm_head (GPT-2; exercise 4)

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_embd", "n_head", "n_layer"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ModelError(f"GPTConfig.{name} must be a positive integer, got {value!r}")
        if self.n_embd % self.n_head:
            raise ModelError(f"n_embd ({self.n_embd}) must be a multiple of n_head "
                             f"({self.n_head}): each head gets n_embd // n_head channels")
        if not 0.0 <= self.dropout < 1.0:
            raise ModelError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.attention not in ATTENTION_KINDS:
            raise ModelError(f"unknown attention {self.attention!r}; use one of "
                             f"{', '.join(ATTENTION_KINDS)}")
        if self.attn_scale is not None and not self.attn_scale > 0:
            raise ModelError(f"attn_scale must be positive (or None), got {self.attn_scale}")

    @property
    def head_size(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "GPTConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ModelError(f"unknown GPTConfig field(s) {sorted(unknown)}; "
                             f"known: {sorted(known)}")
        return cls(**d)


def num_params(model: nn.Module) -> int:
    """Number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------
# Attention


def attention_weights(q: torch.Tensor, k: torch.Tensor, scale: float | None = None):
    """``softmax(q @ k^T * scale)`` with the future masked out: (..., T, T), rows sum to 1.

    The explicit form of the lecture. ``scale`` defaults to ``head_size ** -0.5`` (the lecture's
    video used ``n_embd ** -0.5``, an erratum it corrects in its description).
    """
    T = q.size(-2)
    scale = q.size(-1) ** -0.5 if scale is None else scale
    wei = q @ k.transpose(-2, -1) * scale
    future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)
    wei = wei.masked_fill(future, float("-inf"))
    return F.softmax(wei, dim=-1)


def causal_attention(q, k, v, *, dropout_p: float = 0.0, scale: float | None = None,
                     explicit: bool = False) -> torch.Tensor:
    """Each position's weighted average of the values at or before it (chapter 7).

    ``explicit=False`` uses PyTorch's fused ``scaled_dot_product_attention``: the same function
    (a test checks it), computed without materialising the (T, T) weights when it can. Dropout
    (``dropout_p``) is applied to the attention weights in both, as in the lecture's ``Head``.
    """
    if explicit:
        wei = attention_weights(q, k, scale)
        if dropout_p > 0:
            wei = F.dropout(wei, dropout_p, training=True)
        return wei @ v
    return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True,
                                          scale=scale)


class Head(nn.Module):
    """One head of causal self-attention, the lecture's version (chapter 7)."""

    def __init__(self, n_embd: int, head_size: int, block_size: int, dropout: float = 0.0):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)),
                             persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        k = self.key(x)    # (B, T, hs)
        q = self.query(x)  # (B, T, hs)
        # scaled by head_size, not C: keeps the affinities' variance near 1 at initialisation
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T)
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)  # (B, T, hs)
        return wei @ v


class MultiHeadAttention(nn.Module):
    """``n_head`` heads of causal self-attention computed together (chapter 7).

    One linear layer makes every head's key, query and value. Its output rows are laid out head
    by head as (key, query, value), the order in which the lecture's list of ``Head`` modules
    draws its initial weights: a model seeded like the lecture starts from the same numbers.
    ``proj=False`` drops the output projection (the lecture's first multi-head model had none).
    """

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float = 0.0, *,
                 proj: bool = True, attention: str = "sdpa", scale: float | None = None):
        super().__init__()
        if n_embd % n_head:
            raise ModelError(f"n_embd ({n_embd}) must be a multiple of n_head ({n_head})")
        if attention not in ATTENTION_KINDS:
            raise ModelError(f"unknown attention {attention!r}; use one of "
                             f"{', '.join(ATTENTION_KINDS)}")
        self.n_head, self.head_size = n_head, n_embd // n_head
        self.block_size, self.attention, self.scale = block_size, attention, scale
        self.attn_dropout = dropout
        self.kqv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.proj = nn.Linear(n_embd, n_embd) if proj else nn.Identity()
        self.dropout = nn.Dropout(dropout)

    def heads(self, x: torch.Tensor):
        """Queries, keys and values of every head: three (B, n_head, T, head_size) tensors."""
        B, T, C = x.shape
        kqv = self.kqv(x).view(B, T, self.n_head, 3, self.head_size)
        k, q, v = kqv.permute(3, 0, 2, 1, 4).unbind(0)
        return q, k, v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.heads(x)
        out = causal_attention(q, k, v, dropout_p=self.attn_dropout if self.training else 0.0,
                               scale=self.scale, explicit=self.attention == "explicit")
        out = out.transpose(1, 2).reshape(B, T, C)  # the heads side by side: their concatenation
        return self.dropout(self.proj(out))

    @torch.no_grad()
    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Every head's attention weights on ``x``: (B, n_head, T, T), for plotting."""
        q, k, _ = self.heads(x)
        return attention_weights(q, k, self.scale)

    @torch.no_grad()
    def load_heads(self, heads, proj: nn.Linear | None = None) -> "MultiHeadAttention":
        """Copy the weights of a list of lecture ``Head`` modules (and a projection) into this."""
        if len(heads) != self.n_head:
            raise ModelError(f"expected {self.n_head} heads, got {len(heads)}")
        self.kqv.weight.copy_(torch.cat([w for h in heads
                                         for w in (h.key.weight, h.query.weight,
                                                   h.value.weight)]))
        if proj is not None:
            self.proj.load_state_dict(proj.state_dict())
        return self


class FeedForward(nn.Module):
    """Per-position computation after attention: Linear, ReLU, Linear back (chapter 7)."""

    def __init__(self, n_embd: int, dropout: float = 0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),  # the 4x inner width of "Attention is all you need"
            nn.ReLU(),
            nn.Linear(4 * n_embd, n_embd),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class LayerNorm1d(nn.Module):
    """LayerNorm from scratch: BatchNorm's normalisation, over each row instead of each column.

    The lecture's notebook version (chapter 7), tested against ``nn.LayerNorm``; the models use
    ``nn.LayerNorm``. No running statistics: every example is normalised by its own features.
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        var = x.var(-1, keepdim=True, unbiased=False)
        return self.gamma * (x - mean) / torch.sqrt(var + self.eps) + self.beta


class Block(nn.Module):
    """Transformer block: communication (attention), then computation (feed-forward) (chapter 7).

    Pre-LayerNorm residual form: ``x + sa(ln1(x))`` then ``x + ffwd(ln2(x))``.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.sa = MultiHeadAttention(config.n_embd, config.n_head, config.block_size,
                                     config.dropout, attention=config.attention,
                                     scale=config.attn_scale)
        self.ffwd = FeedForward(config.n_embd, config.dropout)
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.ln2 = nn.LayerNorm(config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.sa(self.ln1(x))
        x = x + self.ffwd(self.ln2(x))
        return x


# ---------------------------------------------------------------------------------------------
# Language models


def _check_tokens(idx: torch.Tensor, targets, block_size: int | None):
    if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
        got = (f"{tuple(idx.shape)} {idx.dtype}" if isinstance(idx, torch.Tensor)
               else type(idx).__name__)
        raise ModelError(f"expected token ids as a (batch, time) int64 tensor, got {got}; "
                         f"wrap a single sequence as idx[None]")
    if block_size is not None and idx.size(1) > block_size:
        raise ModelError(f"sequence of length {idx.size(1)} is longer than block_size "
                         f"{block_size}; crop the context to its last {block_size} tokens")
    if targets is not None and targets.shape != idx.shape:
        raise ModelError(f"targets have shape {tuple(targets.shape)}, inputs "
                         f"{tuple(idx.shape)}: they must match")


def _embed(table: nn.Embedding, idx: torch.Tensor) -> torch.Tensor:
    try:
        return table(idx)
    except IndexError:
        raise ModelError(f"token ids must be in 0..{table.num_embeddings - 1} (the vocabulary); "
                         f"encode text with the model's tokenizer") from None


def _loss(logits: torch.Tensor, targets: torch.Tensor | None):
    if targets is None:
        return None
    B, T, V = logits.shape
    return F.cross_entropy(logits.view(B * T, V), targets.view(B * T))


@torch.no_grad()
def generate(model: nn.Module, idx: torch.Tensor, max_new_tokens: int, *,
             block_size: int | None = None, temperature: float = 1.0, top_k: int | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Extend ``idx`` (B, T) by ``max_new_tokens`` sampled tokens, one at a time (chapter 7).

    The model never sees more than ``block_size`` tokens: the context is cropped to its last
    ``block_size``. ``temperature`` divides the logits; ``top_k`` keeps only the k likeliest
    tokens. One ``torch.multinomial`` draw per step, from ``generator`` (else the global one).
    """
    if temperature <= 0:
        raise ModelError(f"temperature must be positive, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ModelError(f"top_k must be at least 1, got {top_k}")
    was_training = model.training
    model.eval()
    try:
        for _ in range(max_new_tokens):
            idx_cond = idx if block_size is None else idx[:, -block_size:]
            logits, _ = model(idx_cond)
            idx_next = sample_next(logits[:, -1, :], temperature, top_k, generator)
            idx = torch.cat((idx, idx_next), dim=1)
    finally:
        model.train(was_training)
    return idx


class BigramLanguageModel(nn.Module):
    """The baseline: each token reads the next token's logits off a table row (chapter 7)."""

    def __init__(self, vocab_size: int):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        _check_tokens(idx, targets, None)
        logits = _embed(self.token_embedding_table, idx)  # (B, T, vocab_size)
        return logits, _loss(logits, targets)

    def generate(self, idx: torch.Tensor, max_new_tokens: int, **kwargs) -> torch.Tensor:
        # the next token depends on the last one only: feed just that
        return generate(self, idx, max_new_tokens, block_size=1, **kwargs)


class GPT(nn.Module):
    """Token and position embeddings, ``n_layer`` blocks, final LayerNorm, logits (chapter 7).

    Modules are created in the lecture's order (so a seeded model draws the lecture's initial
    weights) with PyTorch's default initialisation, as in the video.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.block_size = config.block_size
        self.token_embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.position_embedding = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = self.make_blocks(config)
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)
        if config.tie_weights:
            # one matrix both reads tokens in and scores them out (Press & Wolf, 2017)
            self.lm_head.weight = self.token_embedding.weight

    def make_blocks(self, config: GPTConfig) -> nn.Module:
        return nn.Sequential(*[Block(config) for _ in range(config.n_layer)])

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        _check_tokens(idx, targets, self.block_size)
        B, T = idx.shape
        tok_emb = _embed(self.token_embedding, idx)                              # (B, T, C)
        pos_emb = self.position_embedding(torch.arange(T, device=idx.device))    # (T, C)
        x = tok_emb + pos_emb
        x = self.blocks(x)
        x = self.ln_f(x)
        logits = self.lm_head(x)                                                 # (B, T, V)
        return logits, _loss(logits, targets)

    def generate(self, idx: torch.Tensor, max_new_tokens: int, **kwargs) -> torch.Tensor:
        return generate(self, idx, max_new_tokens, block_size=self.block_size, **kwargs)

    @torch.no_grad()
    def attention_maps(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """Attention weights of every layer on ``idx``: a list of (B, n_head, T, T)."""
        _check_tokens(idx, None, self.block_size)
        if not all(isinstance(b, Block) for b in self.blocks):
            raise ModelError("attention_maps needs a stack of Blocks (the GPT, not a milestone)")
        was_training = self.training
        self.eval()  # no dropout: the weights the model uses at inference
        T = idx.size(1)
        x = _embed(self.token_embedding, idx) + self.position_embedding(
            torch.arange(T, device=idx.device))
        maps = []
        for block in self.blocks:
            maps.append(block.sa.attention_weights(block.ln1(x)))
            x = block(x)
        self.train(was_training)
        return maps
