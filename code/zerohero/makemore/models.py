"""The models of the makemore command line (appendix "makemore models").

Every model reads a batch of sequences ``idx`` (B, T), a boundary token
followed by the characters of a word, and returns logits (B, T, vocab): at
every position, scores for the next character. There are two kinds.

- The *context models* of chapters 2-6 (bigram, MLP, WaveNet) look at a fixed
  window of the last ``context`` characters. ``ContextModel`` adapts them: it
  cuts out the window that ends at each position (padded with boundary tokens
  on the left, exactly the examples of chapter 2's ``build_examples``) and
  calls the chapter's own model on them.
- The *sequence models* written here, in the from-scratch style of
  ``layers.py``: recurrent networks (a plain RNN cell and a GRU cell) that
  carry a hidden state along the word, and a small transformer (decoder-only,
  as in chapter 7). They are makemore.py's models, layer for layer, with its
  initialisation (``torch.nn``'s), so that with its seed and order of draws
  they start from its weights.

``build_model(type, vocab_size, block_size, **options)`` makes any of them;
``state_dict`` / ``load_state_dict`` save and restore them (checkpoints).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from zerohero.makemore.layers import Embedding, Linear, Module
from zerohero.makemore.sampling import sample_next
from zerohero.makemore.wavenet import WaveNetConfig
from zerohero.makemore.wavenet import build_model as build_wavenet

TYPES = ("bigram", "mlp", "wavenet", "rnn", "gru", "transformer")

# Per type: the options it takes and their defaults. Context models follow
# their chapters, the sequence models makemore.py (n_embd 64, n_embd2 64,
# 4 layers, 4 heads).
OPTIONS = {
    "bigram": {},
    "mlp": {"context": 3, "n_embd": 10, "n_hidden": 200},
    "wavenet": {"context": 8, "n_embd": 24, "n_hidden": 128},
    "rnn": {"n_embd": 64, "n_hidden": 64},
    "gru": {"n_embd": 64, "n_hidden": 64},
    "transformer": {"n_embd": 64, "n_layer": 4, "n_head": 4},
}


def check_indices(idx: torch.Tensor) -> None:
    """A batch of sequences must be (batch, time) int64 character indices
    (appendix)."""
    if idx.ndim != 2 or idx.dtype != torch.long:
        raise ValueError(
            "a makemore model reads (batch, time) int64 indices, got shape "
            f"{tuple(idx.shape)} and dtype {idx.dtype}"
        )


def _holds_tensors(value) -> bool:
    # A layer, or a model object of this package that is not a Module (chapter
    # 2's NeuralBigram).
    return isinstance(value, Module) or (
        type(value).__module__.startswith("zerohero.")
        and hasattr(value, "__dict__")
    )


def state_dict(module: Module, prefix: str = "") -> dict[str, torch.Tensor]:
    """Every tensor a layers-style model holds (parameters and BatchNorm
    running statistics), by dotted name, e.g. ``layers.3.running_mean``
    (the command line saves models with it). Cached activations
    (``out``) are left out."""
    state = {}
    for name, value in vars(module).items():
        if name == "out":
            continue
        if isinstance(value, torch.Tensor):
            state[prefix + name] = value
        elif _holds_tensors(value):
            state.update(state_dict(value, f"{prefix}{name}."))
        elif (
            isinstance(value, (list, tuple))
            and value
            and all(map(_holds_tensors, value))
        ):
            for i, child in enumerate(value):
                state.update(state_dict(child, f"{prefix}{name}.{i}."))
    return state


def _fits_buffer(saved: torch.Tensor, own: torch.Tensor) -> bool:
    # BatchNorm's running statistics take the keepdim shape of the batch
    # statistics after the first step: (1, 1, C) for 3-D input, (1, T, C) with
    # the lecture's bug, where a fresh layer holds (C,). Such buffers fit if
    # they broadcast against the fresh one over the same C.
    if (
        own.requires_grad
        or saved.ndim == 0
        or saved.shape[-1:] != own.shape[-1:]
    ):
        return False
    try:
        return torch.broadcast_shapes(saved.shape, own.shape) == saved.shape
    except RuntimeError:
        return False


def load_state_dict(
    module: Module, state: dict[str, torch.Tensor], device=None
) -> None:
    """Put the tensors of ``state`` (from ``state_dict``) into ``module``
    (appendix).

    Names and shapes must match, so a state saved from another architecture is
    refused with a message naming the first difference. Trainable tensors stay
    trainable. ``device``: where to put them (default: where the model's
    tensors are).
    """
    own = state_dict(module)
    missing, unexpected = (
        sorted(set(own) - set(state)),
        sorted(set(state) - set(own)),
    )
    if missing or unexpected:
        raise ValueError(
            f"the saved state does not fit this model: missing {missing[:3]}, "
            f"unexpected {unexpected[:3]}"
        )
    for name, tensor in own.items():
        if tensor.shape != state[name].shape and not _fits_buffer(
            state[name], tensor
        ):
            raise ValueError(
                f"the saved state does not fit this model: {name} has shape "
                f"{tuple(state[name].shape)}, the model wants "
                f"{tuple(tensor.shape)}"
            )
    for name, tensor in own.items():
        *path, attr = name.split(".")
        owner = module
        for part in path:
            owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
        value = state[name].detach().to(device or tensor.device, copy=True)
        setattr(owner, attr, value.requires_grad_(tensor.requires_grad))


class CharModel(Module):
    """What the command line needs of a model (appendix): logits for every
    position, a loss that skips padding (targets ``-1``), and ``block_size``,
    the longest input it accepts (``None``: any length)."""

    vocab_size: int
    block_size: int | None = None
    config: dict

    def nll(
        self, X: torch.Tensor, Y: torch.Tensor, reduction: str = "mean"
    ) -> torch.Tensor:
        """Cross-entropy of the targets ``Y`` (B, T) given inputs ``X`` (B, T);
        ``-1`` = none."""
        logits = self(X)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            Y.reshape(-1),
            ignore_index=-1,
            reduction=reduction,
        )

    def loss(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        return self.nll(X, Y)

    def check_input(self, idx: torch.Tensor) -> None:
        check_indices(idx)
        if self.block_size is not None and idx.shape[1] > self.block_size:
            raise ValueError(
                f"sequences of length {idx.shape[1]} are longer than this "
                f"model's block_size {self.block_size}"
            )


class ContextModel(CharModel):
    """Adapter: a chapter's fixed-context model as a sequence model (appendix).

    ``core`` maps (N, context) windows to (N, vocab) logits: chapter 2's
    ``NeuralBigram`` (context 1), chapter 3's MLP, chapter 6's WaveNet. The
    loss computes the windows of real targets only, so that padding never
    enters BatchNorm's batch statistics.
    """

    def __init__(self, core, context: int, vocab_size: int):
        self.core, self.context, self.vocab_size = core, context, vocab_size
        self.block_size = (
            context  # longer inputs work, but only the last `context` matter
        )

    def children(self):
        return [self.core] if isinstance(self.core, Module) else []

    def parameters(self):
        if hasattr(self.core, "parameters"):
            return list(self.core.parameters())
        return [t for t in state_dict(self).values() if t.requires_grad]

    def windows(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, T) -> (B, T, context): the window ending at each position,
        boundary-padded."""
        return F.pad(idx, (self.context - 1, 0), value=0).unfold(
            1, self.context, 1
        )

    def __call__(self, idx):
        check_indices(
            idx
        )  # any length: each position reads only its own window
        B, T = idx.shape
        logits = self.core(self.windows(idx).reshape(B * T, self.context))
        return logits.view(B, T, -1)

    def nll(self, X, Y, reduction="mean"):
        keep = Y >= 0
        logits = self.core(self.windows(X)[keep])
        return F.cross_entropy(logits, Y[keep], reduction=reduction)


class TorchLinear(Linear):
    """A ``Linear`` initialised as ``torch.nn.Linear`` initialises, as in
    makemore.py (appendix): weight and bias from U(-1/sqrt(fan_in),
    1/sqrt(fan_in)). The weight is drawn in torch's (fan_out, fan_in) layout
    and stored transposed, so one generator gives torch's numbers."""

    def __init__(self, fan_in, fan_out, bias=True, generator=None):
        weight = torch.empty(fan_out, fan_in)
        torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5),
                                       generator=generator)
        self.weight = weight.T.contiguous()
        self.bias = None
        if bias:
            bound = 1 / math.sqrt(fan_in)
            self.bias = torch.empty(fan_out).uniform_(-bound, bound,
                                                      generator=generator)


class RNNCell(Module):
    """h' = tanh([x, h] W + b): one layer reads the input and the state side
    by side (appendix; makemore.py's cell)."""

    def __init__(self, n_in: int, n_hidden: int, generator=None):
        self.xh_to_h = TorchLinear(n_in + n_hidden, n_hidden,
                                   generator=generator)

    def __call__(self, x, h):
        return torch.tanh(self.xh_to_h(torch.cat([x, h], dim=1)))

    def children(self):
        return [self.xh_to_h]

    def parameters(self):
        return self.xh_to_h.parameters()


class GRUCell(Module):
    """Gated recurrent unit (Cho et al. 2014) as makemore.py writes it
    (appendix).

    The plain RNN rewrites its whole state at every step, so gradients through
    many steps vanish or explode. The reset gate ``r`` decides how much of the
    old state enters the candidate ``hbar``; the update gate ``z`` blends the
    old state and the candidate per unit, so a unit with z = 0 keeps its value
    and passes its gradient along unchanged.
    """

    def __init__(self, n_in: int, n_hidden: int, generator=None):
        # makemore.py's order, which is the order of the draws
        self.xh_to_z = TorchLinear(n_in + n_hidden, n_hidden,
                                   generator=generator)
        self.xh_to_r = TorchLinear(n_in + n_hidden, n_hidden,
                                   generator=generator)
        self.xh_to_hbar = TorchLinear(n_in + n_hidden, n_hidden,
                                      generator=generator)

    def __call__(self, x, h):
        xh = torch.cat([x, h], dim=1)
        r = torch.sigmoid(self.xh_to_r(xh))
        hbar = torch.tanh(self.xh_to_hbar(torch.cat([x, r * h], dim=1)))
        z = torch.sigmoid(self.xh_to_z(xh))
        return (1 - z) * h + z * hbar

    def children(self):
        return [self.xh_to_z, self.xh_to_r, self.xh_to_hbar]

    def parameters(self):
        return [p for c in self.children() for p in c.parameters()]


class RecurrentModel(CharModel):
    """Embed each character, run a recurrent cell along the word, read out
    every state (appendix). The state before the first character is learned."""

    CELLS = {"rnn": RNNCell, "gru": GRUCell}

    def __init__(
        self,
        cell: str,
        vocab_size: int,
        n_embd: int,
        n_hidden: int,
        generator=None,
    ):
        self.vocab_size = vocab_size
        self.start = torch.zeros(1, n_hidden)
        self.wte = Embedding(vocab_size, n_embd, generator=generator)
        self.cell = self.CELLS[cell](n_embd, n_hidden, generator=generator)
        self.lm_head = TorchLinear(n_hidden, vocab_size, generator=generator)

    def __call__(self, idx):
        self.check_input(idx)
        emb = self.wte(idx)  # (B, T, n_embd)
        h = self.start.expand(idx.shape[0], -1)
        states = []
        for t in range(idx.shape[1]):
            h = self.cell(emb[:, t], h)
            states.append(h)
        return self.lm_head(torch.stack(states, dim=1))  # (B, T, vocab)

    def children(self):
        return [self.wte, self.cell, self.lm_head]

    def parameters(self):
        return [
            *self.wte.parameters(),
            self.start,
            *self.cell.parameters(),
            *self.lm_head.parameters(),
        ]


class LayerNorm(Module):
    """Normalise each vector over its features (Ba et al. 2016), then scale and
    shift (appendix). Unlike BatchNorm it needs no batch statistics: train and
    eval agree."""

    def __init__(self, dim: int, eps: float = 1e-5):
        self.eps = eps
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)

    def __call__(self, x):
        centred = x - x.mean(-1, keepdim=True)
        # the biased variance as a mean of squares: torch.var's one-pass
        # (Welford) kernel is several times slower on rows this short
        var = (centred**2).mean(-1, keepdim=True)
        self.out = centred / torch.sqrt(var + self.eps) * self.gamma + self.beta
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class GELU(Module):
    """The tanh approximation of GELU used by GPT-2 (appendix):
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.

    Computed by torch's kernel for that formula: written out, its eight
    operations and their gradients took a fifth of each training step of the
    transformer.
    """

    def __call__(self, x):
        self.out = F.gelu(x, approximate="tanh")
        return self.out


class CausalSelfAttention(Module):
    """Multi-head self-attention where position t sees positions <= t
    (appendix; chapter 7).

    Scores are scaled by ``head_size ** -0.5`` (the head's size, not
    ``n_embd``) so that they keep unit variance and the softmax does not
    saturate at initialisation.
    """

    def __init__(self, n_embd: int, n_head: int, generator=None):
        if n_embd % n_head:
            raise ValueError(
                f"n_embd ({n_embd}) must be a multiple of n_head ({n_head})"
            )
        self.n_head = n_head
        self.qkv = TorchLinear(n_embd, 3 * n_embd, generator=generator)
        self.proj = TorchLinear(n_embd, n_embd, generator=generator)

    def __call__(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_size): each head attends on its own
        # slice
        q, k, v = (
            t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            for t in (q, k, v)
        )
        att = q @ k.transpose(-2, -1) * (C // self.n_head) ** -0.5
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = F.softmax(att.masked_fill(~causal, float("-inf")), dim=-1)
        y = (
            (att @ v).transpose(1, 2).reshape(B, T, C)
        )  # heads side by side again
        return self.proj(y)

    def children(self):
        return [self.qkv, self.proj]

    def parameters(self):
        return self.qkv.parameters() + self.proj.parameters()


class Block(Module):
    """Transformer block: x + attention(ln(x)), then x + mlp(ln(x)) (appendix;
    chapter 7)."""

    def __init__(self, n_embd: int, n_head: int, generator=None):
        self.ln1, self.ln2 = LayerNorm(n_embd), LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, generator)
        self.fc = TorchLinear(n_embd, 4 * n_embd, generator=generator)
        self.gelu = GELU()
        self.proj = TorchLinear(4 * n_embd, n_embd, generator=generator)

    def __call__(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.proj(self.gelu(self.fc(self.ln2(x))))

    def children(self):
        return [self.ln1, self.attn, self.ln2, self.fc, self.gelu, self.proj]

    def parameters(self):
        return [p for c in self.children() for p in c.parameters()]


class Transformer(CharModel):
    """A small decoder-only transformer over characters (appendix; chapter 7
    builds GPT).

    Token plus position embeddings, ``n_layer`` blocks, a final LayerNorm and a
    linear read-out without bias; ``torch.nn``'s initialisation, as in
    makemore.py (GPT-2 also scales down the projections into the residual
    stream, which makemore.py leaves out).
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        n_embd: int,
        n_layer: int,
        n_head: int,
        generator=None,
    ):
        self.vocab_size, self.block_size = vocab_size, block_size
        self.wte = Embedding(vocab_size, n_embd, generator=generator)
        self.wpe = Embedding(block_size, n_embd, generator=generator)
        self.blocks = [Block(n_embd, n_head, generator) for _ in range(n_layer)]
        self.ln_f = LayerNorm(n_embd)
        self.lm_head = TorchLinear(n_embd, vocab_size, bias=False,
                                   generator=generator)

    def __call__(self, idx):
        self.check_input(idx)
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    def children(self):
        return [self.wte, self.wpe, *self.blocks, self.ln_f, self.lm_head]

    def parameters(self):
        return [p for c in self.children() for p in c.parameters()]


def model_options(type: str, **overrides) -> dict:
    """The options of ``type`` with ``overrides`` (``None`` values mean "the
    default"), checked (appendix)."""
    if type not in OPTIONS:
        raise ValueError(
            f"unknown model type {type!r}; use one of {', '.join(TYPES)}"
        )
    given = {k: v for k, v in overrides.items() if v is not None}
    wrong = sorted(set(given) - set(OPTIONS[type]))
    if wrong:
        takes = ", ".join(OPTIONS[type]) or "no options"
        raise ValueError(f"--type {type} takes {takes}, not {', '.join(wrong)}")
    options = {**OPTIONS[type], **given}
    for k, v in options.items():
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{k} must be a positive integer, got {v!r}")
    return options


def _mlp_core(vocab_size, context, n_embd, n_hidden, generator):
    # Chapter 3's MLP, with the calibrated initialisation of its exercise 2
    # (chapter 4's lesson): near-uniform first predictions, tanh not saturated.
    from zerohero.makemore.mlp import MLP, MLPConfig

    return MLP(
        MLPConfig(vocab_size, context, n_embd, n_hidden, init="calibrated"),
        generator,
    )


def build_model(
    type: str, vocab_size: int, block_size: int, generator=None, **options
) -> CharModel:
    """A fresh ``type`` model for ``vocab_size`` characters and sequences of at
    most ``block_size`` tokens (appendix). ``options`` override the type's
    defaults (``OPTIONS``)."""
    from zerohero.makemore.bigram import NeuralBigram

    opts = model_options(type, **options)
    if type == "bigram":
        # the table starts at zero, uniform predictions, as makemore.py's
        # does; a scratch generator, since makemore.py draws nothing for it
        core = NeuralBigram(vocab_size, torch.Generator(), inputs="index")
        with torch.no_grad():
            core.W.zero_()
        model = ContextModel(core, 1, vocab_size)
    elif type == "mlp":
        model = ContextModel(
            _mlp_core(vocab_size, generator=generator, **opts),
            opts["context"],
            vocab_size,
        )
    elif type == "wavenet":
        if opts["context"] & (opts["context"] - 1):
            raise ValueError(
                "--type wavenet fuses pairs: --context must be a power of 2 "
                f"(2, 4, 8, 16, ...), got {opts['context']}"
            )
        cfg = WaveNetConfig(
            vocab_size, opts["context"], opts["n_embd"], opts["n_hidden"]
        )
        model = ContextModel(
            build_wavenet(cfg, generator), opts["context"], vocab_size
        )
    elif type in ("rnn", "gru"):
        model = RecurrentModel(
            type, vocab_size, opts["n_embd"], opts["n_hidden"], generator
        )
    else:
        model = Transformer(
            vocab_size,
            block_size,
            opts["n_embd"],
            opts["n_layer"],
            opts["n_head"],
            generator,
        )
    for p in model.parameters():
        p.requires_grad_(True)
    model.config = {
        "type": type,
        "vocab_size": vocab_size,
        "block_size": block_size,
        **opts,
    }
    return model


def count_parameters(model: Module) -> int:
    """Number of trainable numbers (appendix)."""
    return sum(p.nelement() for p in model.parameters())


def to_device(model: Module, device) -> Module:
    """Move every tensor of ``model`` to ``device``; parameters stay trainable
    (appendix)."""
    load_state_dict(model, state_dict(model), device=torch.device(device))
    return model


@torch.no_grad()
def evaluate(
    model: CharModel, X: torch.Tensor, Y: torch.Tensor, batch_size: int = 1024
) -> float:
    """Mean negative log-likelihood per character (nats) over the non-padding
    targets of ``Y``, in eval mode; the model's mode is restored afterwards
    (appendix)."""
    count = int((Y >= 0).sum())
    if count == 0:
        raise ValueError("no targets to evaluate")
    was_training = model.training
    model.eval()
    total = 0.0
    for i in range(0, len(X), batch_size):
        total += model.nll(
            X[i : i + batch_size], Y[i : i + batch_size], reduction="sum"
        ).item()
    model.train(was_training)
    return total / count


@torch.no_grad()
def generate(
    model: CharModel,
    n: int,
    steps: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator=None,
    device="cpu",
    stop_early: bool = True,
) -> list[list[int]]:
    """Sample ``n`` sequences of at most ``steps`` characters, all at once
    (appendix).

    Each starts from the boundary token; each step feeds the last
    ``block_size`` tokens, keeps the ``top_k`` most likely next characters (all
    if ``None``), divides the logits by ``temperature`` and draws. A sequence
    ends at its first boundary token; ``stop_early`` stops drawing when all
    have ended (makemore.py always draws ``steps`` times).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    was_training = model.training
    model.eval()
    idx = torch.zeros((n, 1), dtype=torch.long, device=device)
    for _ in range(steps):
        cond = idx if model.block_size is None else idx[:, -model.block_size :]
        nxt = sample_next(model(cond)[:, -1, :], temperature, top_k, generator)
        idx = torch.cat([idx, nxt], dim=1)
        if stop_early and (idx[:, 1:] == 0).any(dim=1).all():
            break
    model.train(was_training)
    out = []
    for row in idx[:, 1:].tolist():
        out.append(row[: row.index(0)] if 0 in row else row)
    return out
