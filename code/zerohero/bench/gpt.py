"""GPT: training tokens per second of the small config, ours vs the lecture's.

The reference is the lecture's structure: one ``Head`` module per head with
its own key / query / value Linear layers, an explicit masked softmax, heads
concatenated. Ours is ``zerohero.gpt``'s model (all heads from one matrix
multiply, ``scaled_dot_product_attention``). Both train with the default
AdamW, on the same config (batch 16, block 32, n_embd 64, 4 heads, 4 layers,
dropout 0), the same data and steps, one torch thread. The two models are
different code, so their numbers are not compared bit for bit (the chapter's
tests check that the attention is the same function).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from zerohero.bench import Comparison, interleaved

STEPS = 60


class LectureHead(nn.Module):
    def __init__(self, n_embd, head_size, block_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        tril = torch.tril(torch.ones(block_size, block_size))
        self.register_buffer("tril", tril)

    def forward(self, x):
        B, T, C = x.shape
        k, q = self.key(x), self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        return wei @ self.value(x)


class LectureBlock(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        head_size = n_embd // n_head
        self.heads = nn.ModuleList(LectureHead(n_embd, head_size, block_size)
                                   for _ in range(n_head))
        self.proj = nn.Linear(n_embd, n_embd)
        self.ffwd = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.ReLU(),
                                  nn.Linear(4 * n_embd, n_embd))
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.proj(torch.cat([head(h) for head in self.heads], dim=-1))
        return x + self.ffwd(self.ln2(x))


class LectureGPT(nn.Module):
    def __init__(self, vocab_size, n_embd, n_head, n_layer, block_size):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[LectureBlock(n_embd, n_head, block_size)
                                      for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = (self.token_embedding_table(idx)
             + self.position_embedding_table(torch.arange(T)))
        logits = self.lm_head(self.ln_f(self.blocks(x)))
        loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss


def compare(repeats: int = 3) -> list[Comparison]:
    from zerohero.data import read_text
    from zerohero.gpt.model import GPT
    from zerohero.gpt.text import TextData, get_batch
    from zerohero.gpt.train import preset

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = TextData.from_text(read_text("tinyshakespeare.txt"))
        model_cfg, train_cfg = preset("small", data.tokenizer.vocab_size)
        B, T = train_cfg.batch_size, model_cfg.block_size
        g = torch.Generator().manual_seed(1337)
        batches = [get_batch(data.train, T, B, generator=g)
                   for _ in range(STEPS)]

        torch.manual_seed(1337)
        ours = GPT(model_cfg)
        ours_opt = torch.optim.AdamW(ours.parameters(),
                                     lr=train_cfg.learning_rate)
        ref = LectureGPT(model_cfg.vocab_size, model_cfg.n_embd,
                         model_cfg.n_head, model_cfg.n_layer, T)
        ref_opt = torch.optim.AdamW(ref.parameters(),
                                    lr=train_cfg.learning_rate)

        def train(model, opt):
            def steps():
                for x, y in batches:
                    _, loss = model(x, y)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
            return steps

        t = interleaved({"ours": train(ours, ours_opt),
                         "ref": train(ref, ref_opt)}, repeats)
        tokens = STEPS * B * T
        return [Comparison("GPT small config: training", "tokens/s",
                           tokens / t["ours"], tokens / t["ref"],
                           higher_is_better=True)]
    finally:
        torch.set_num_threads(before)


def main() -> list[Comparison]:
    results = compare()
    for r in results:
        print(r.line())
    return results
