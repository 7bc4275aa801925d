"""GPT-2 (chapter 9): training tokens per second at the book's config.

- ours, ``zerohero.gpt2.train.train`` (its own loop, timed by its log),
  against a plain script following build-nanogpt's ``train_gpt2.py``: the
  same model, the same recipe, the same batches, one torch thread. The
  script autocasts to bfloat16 on every device and fuses AdamW on CUDA
  only; ours autocasts where bfloat16 is native (this CPU, if it has
  AVX512-BF16 or AMX) and fuses AdamW where PyTorch can (CPU too). The goal
  row compares each as it runs by default; the float32 row the same
  precision on both sides.
- the script's bfloat16 autocast against its float32 (what the switch buys
  on this CPU);
- 2 DDP processes (torchrun, gloo) against 1 process, the same steps.

Each side's speed is the median of its steps after two warm-up steps, in
its best of ``repeats`` runs, the sides taking turns in alternating order
(the two sides compute the same thing: on a shared machine their ratio
moves by a few percent around 1 from one run of the benchmark to the next).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

from zerohero.bench import Comparison

CONFIG = dict(block_size=256, vocab_size=512, n_layer=4, n_head=4, n_embd=128)
B, T, TOTAL = 16, 256, 8192
STEPS = 8
WARMUP = 2  # steps not timed


# ---------------------------------------------------------------------------
# The reference: train_gpt2.py's model and loop, written as the script does


class ScriptAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.c_proj.NANOGPT_SCALE_INIT = 1
        self.n_head, self.n_embd = n_head, n_embd

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class ScriptBlock(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = ScriptAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * n_embd, n_embd)
        self.c_proj.NANOGPT_SCALE_INIT = 1

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(self.gelu(self.c_fc(self.ln_2(x))))


class ScriptGPT(nn.Module):
    def __init__(self, block_size, vocab_size, n_layer, n_head, n_embd):
        super().__init__()
        self.n_layer = n_layer
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList(ScriptBlock(n_embd, n_head)
                               for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            std = 0.02
            if hasattr(module, "NANOGPT_SCALE_INIT"):
                std *= (2 * self.n_layer) ** -0.5
            torch.nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets):
        pos = torch.arange(0, idx.size(1), dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)),
                                       targets.view(-1))


def script_run(tokens: torch.Tensor, bf16: bool) -> list[float]:
    """train_gpt2.py's step loop; the seconds of each step."""
    torch.manual_seed(1337)
    model = ScriptGPT(**CONFIG)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
         {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
        lr=6e-4, betas=(0.9, 0.95), eps=1e-8, fused=False)
    grad_accum_steps = TOTAL // (B * T)
    pos, times = 0, []
    for step in range(STEPS):
        t0 = time.time()
        optimizer.zero_grad()
        loss_accum = 0.0
        for _ in range(grad_accum_steps):
            buf = tokens[pos:pos + B * T + 1]
            x, y = buf[:-1].view(B, T), buf[1:].view(B, T)
            pos += B * T
            with torch.autocast(device_type="cpu", dtype=torch.bfloat16,
                                enabled=bf16):
                logits, loss = model(x, y)
            loss = loss / grad_accum_steps
            loss_accum += loss.detach()
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        lr = 6e-4 * min(1.0, (step + 1) / 10)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.step()
        times.append(time.time() - t0)
    return times


# ---------------------------------------------------------------------------


def write_data(root: Path) -> torch.Tensor:
    from zerohero.gpt2.data import write_shard
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, CONFIG["vocab_size"], STEPS * TOTAL + 2 * B * T)
    write_shard(root / "bench_val_000000.npy", tokens[:2 * B * T + 1])
    write_shard(root / "bench_train_000001.npy", tokens)
    return torch.tensor(tokens.astype(np.int64))


def train_args(root: Path, log_dir: Path, bf16: str = "off") -> list:
    args = {**CONFIG, "B": B, "T": T, "total_batch_size": TOTAL,
            "max_steps": STEPS, "warmup_steps": 10, "val_every": 10 ** 9,
            "val_steps": 1, "checkpoint_every": 0, "device": "cpu",
            "bf16": bf16, "data_root": root, "log_dir": log_dir}
    return [a for k, v in args.items()
            for a in (f"--{k.replace('_', '-')}", v)] + ["--no-verbose"]


def ours_run(root: Path, bf16: str) -> list[float]:
    """Our loop; the seconds of each step."""
    from zerohero.gpt2.model import GPTConfig
    from zerohero.gpt2.train import TrainConfig, train
    cfg = TrainConfig(data_root=str(root), log_dir=str(root / "log"), B=B, T=T,
                      total_batch_size=TOTAL, max_steps=STEPS,
                      warmup_steps=10, val_every=10 ** 9, val_steps=1,
                      checkpoint_every=0, device="cpu", bf16=bf16,
                      verbose=False)
    _, log = train(GPTConfig(**CONFIG), cfg)
    return [r["dt"] for r in log if "dt" in r]


def per_second(times: list[float], tokens_per_step: int) -> float:
    return tokens_per_step / statistics.median(times[WARMUP:])


def launched(root: Path, nproc: int) -> float:
    """Tokens per second of a ``launch``ed run, from its own log."""
    from zerohero.gpt2.train import launch
    log_dir = root / f"launch{nproc}"
    launch(nproc, train_args(root, log_dir))
    log = json.loads((log_dir / "log.json").read_text())
    return statistics.median(r["tok_per_sec"] for r in log
                             if "tok_per_sec" in r and r["step"] >= WARMUP)


def compare(repeats: int = 4) -> list[Comparison]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    best = {k: 0.0 for k in ("ours", "ours_fp32", "script", "script_fp32",
                             "ddp2", "ddp1")}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            tokens = write_data(root)
            sides = [("ours", lambda: ours_run(root, "auto")),
                     ("script", lambda: script_run(tokens, True)),
                     ("ours_fp32", lambda: ours_run(root, "off")),
                     ("script_fp32", lambda: script_run(tokens, False))]
            for i in range(repeats):
                for key, fn in sides if i % 2 == 0 else sides[::-1]:
                    best[key] = max(best[key], per_second(fn(), TOTAL))
            for _ in range(max(1, repeats - 1)):
                best["ddp2"] = max(best["ddp2"], launched(root, 2))
                best["ddp1"] = max(best["ddp1"], launched(root, 1))
    finally:
        torch.set_num_threads(before)
    return [
        Comparison("GPT-2 book config, each as it runs", "tokens/s",
                   best["ours"], best["script"], True, goal=1.0),
        Comparison("GPT-2 book config, float32 both", "tokens/s",
                   best["ours_fp32"], best["script_fp32"], True),
        Comparison("GPT-2 script: bf16 autocast vs float32", "tokens/s",
                   best["script"], best["script_fp32"], True),
        Comparison("GPT-2 DDP: 2 processes vs 1 (gloo)", "tokens/s",
                   best["ddp2"], best["ddp1"], True),
    ]


def main() -> list[Comparison]:
    results = compare()
    for r in results:
        print(r.line())
    return results


if __name__ == "__main__":
    main()
