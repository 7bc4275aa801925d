"""Exercise 2 of chapter 7: the same GPT, taught to add two numbers.

The lecture's suggestion: a problem ``a+b=`` is the prompt and the sum is written with its digits
reversed (least significant first, the order in which carries are computed), and the loss counts
only the answer's digits. Numbers are zero-padded, so every problem has the same length. The test
problems are never trained on; accuracy is exact match under greedy decoding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zerohero.gpt.model import GPT, GPTConfig, ModelError
from zerohero.gpt.text import CharTokenizer
from zerohero.gpt.train import make_optimizer

TOKENIZER = CharTokenizer("0123456789+=")
IGNORE = -100  # F.cross_entropy's ignore_index: positions that are not part of the answer


def problem(a: int, b: int, digits: int) -> str:
    """``a+b=`` followed by the sum's digits reversed, e.g. ``07+25=230`` for 7 + 25 = 32."""
    if not (0 <= a < 10 ** digits and 0 <= b < 10 ** digits):
        raise ModelError(f"{a} and {b} must have at most {digits} digits")
    return f"{a:0{digits}d}+{b:0{digits}d}=" + f"{a + b:0{digits + 1}d}"[::-1]


def encode(pairs: torch.Tensor, digits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets for (N, 2) operand pairs; targets are ``IGNORE`` outside the answer."""
    seqs = torch.tensor([TOKENIZER.encode(problem(int(a), int(b), digits)) for a, b in pairs])
    x, y = seqs[:, :-1], seqs[:, 1:].clone()
    y[:, :2 * digits + 1] = IGNORE  # the targets up to and including '=' are the question
    return x, y


def all_pairs(digits: int, seed: int = 1337, test_fraction: float = 0.1):
    """Every pair of operands, shuffled and split into (train, test) (N, 2) tensors."""
    n = 10 ** digits
    pairs = torch.cartesian_prod(torch.arange(n), torch.arange(n))
    pairs = pairs[torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed))]
    n_test = int(test_fraction * len(pairs))
    return pairs[n_test:], pairs[:n_test]


@torch.no_grad()
def accuracy(model: GPT, pairs: torch.Tensor, digits: int) -> float:
    """Fraction of problems whose greedy (top-1) answer is exactly right."""
    x, _ = encode(pairs, digits)
    prompt = x[:, :2 * digits + 2]
    out = model.generate(prompt, digits + 1, top_k=1)[:, 2 * digits + 2:]
    answers = torch.tensor([_number(TOKENIZER.decode(row)[::-1]) for row in out.tolist()])
    return (answers == pairs.sum(1)).float().mean().item()


def _number(s: str) -> int:
    return int(s) if s.isdigit() else -1  # an answer with '+' or '=' in it is simply wrong


def train_addition(digits: int = 2, seed: int = 1337, batch_size: int = 64,
                   max_iters: int = 1000, learning_rate: float = 1e-3, n_embd: int = 64,
                   n_head: int = 4, n_layer: int = 2, eval_interval: int = 100) -> dict:
    """EX2 of chapter 7: train a small GPT on ``digits``-digit addition; test accuracy."""
    train_pairs, test_pairs = all_pairs(digits, seed)
    x_train, y_train = encode(train_pairs, digits)
    torch.manual_seed(seed)
    config = GPTConfig(vocab_size=TOKENIZER.vocab_size, block_size=x_train.size(1),
                       n_embd=n_embd, n_head=n_head, n_layer=n_layer, dropout=0.0)
    model = GPT(config)
    optimizer = make_optimizer(model, learning_rate)
    history = []
    for it in range(max_iters + 1):
        if it % eval_interval == 0:
            model.eval()
            history.append({"step": it, "test_accuracy": accuracy(model, test_pairs, digits)})
            model.train()
        if it == max_iters:
            break
        ix = torch.randint(len(x_train), (batch_size,))
        logits, _ = model(x_train[ix])
        loss = F.cross_entropy(logits.flatten(0, 1), y_train[ix].flatten(), ignore_index=IGNORE)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    model.eval()
    examples = [TOKENIZER.decode(model.generate(x[None, :2 * digits + 2], digits + 1,
                                                top_k=1)[0]) for x in encode(test_pairs[:5],
                                                                             digits)[0]]
    return {"history": history, "test_accuracy": history[-1]["test_accuracy"],
            "train_accuracy": accuracy(model, train_pairs[:1000], digits),
            "n_train": len(train_pairs), "n_test": len(test_pairs), "examples": examples,
            "params": sum(p.numel() for p in model.parameters())}
