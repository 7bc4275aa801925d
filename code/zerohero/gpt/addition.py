"""Exercise 2 of chapter 7: the same GPT, taught to add two numbers.

The lecture's suggestion: a problem ``a+b=`` is the prompt and the sum is
written with its digits reversed (least significant first, the order in
which carries are computed), and the loss counts only the answer's digits.
Numbers are zero-padded, so every problem has the same length. The test
problems are never trained on; accuracy is exact match, greedy decoding.
"""

from __future__ import annotations

import torch

from zerohero.gpt.model import GPT, GPTConfig, num_params
from zerohero.gpt.text import CharTokenizer

TOKENIZER = CharTokenizer("0123456789+=")
# F.cross_entropy's default ignore_index: the GPT's loss skips these targets
IGNORE = -100


def problem(a: int, b: int, digits: int) -> str:
    """``a+b=`` then the sum's digits reversed: ``07+25=230`` for 7 + 25."""
    assert 0 <= a < 10 ** digits and 0 <= b < 10 ** digits
    return f"{a:0{digits}d}+{b:0{digits}d}=" + f"{a + b:0{digits + 1}d}"[::-1]


def encode(pairs: torch.Tensor, digits: int):
    """Inputs and targets for (N, 2) operands; no targets in the question."""
    seqs = torch.tensor([TOKENIZER.encode(problem(int(a), int(b), digits))
                         for a, b in pairs])
    x, y = seqs[:, :-1], seqs[:, 1:].clone()
    y[:, :2 * digits + 1] = IGNORE  # the targets up to '=' are the question
    return x, y


def all_pairs(digits: int, seed: int = 1337, test_fraction: float = 0.1):
    """Every pair of operands, shuffled, split into (train, test) (N, 2)."""
    n = 10 ** digits
    pairs = torch.cartesian_prod(torch.arange(n), torch.arange(n))
    g = torch.Generator().manual_seed(seed)
    pairs = pairs[torch.randperm(len(pairs), generator=g)]
    n_test = int(test_fraction * len(pairs))
    return pairs[n_test:], pairs[:n_test]


def answers(model: GPT, pairs: torch.Tensor, digits: int) -> list[str]:
    """The model's greedy (top-1) answers, as it writes them: reversed."""
    x, _ = encode(pairs, digits)
    prompt = x[:, :2 * digits + 2]
    out = model.generate(prompt, digits + 1, top_k=1)[:, 2 * digits + 2:]
    return [TOKENIZER.decode(row) for row in out.tolist()]


def accuracy(model: GPT, pairs: torch.Tensor, digits: int) -> float:
    """Fraction of problems whose answer is exactly right."""
    # an answer with '+' or '=' in it is simply wrong
    got = [int(s[::-1]) if s.isdigit() else -1
           for s in answers(model, pairs, digits)]
    return (torch.tensor(got) == pairs.sum(1)).float().mean().item()


def train_addition(digits: int = 2, seed: int = 1337, batch_size: int = 64,
                   max_iters: int = 1000, learning_rate: float = 1e-3,
                   n_embd: int = 64, n_head: int = 4, n_layer: int = 2,
                   eval_interval: int = 100) -> dict:
    """Train a small GPT on ``digits``-digit addition; test its accuracy.

    The lecture's loop, with a batch drawn from a list of problems instead
    of cut from a text, and accuracy on held-out problems as its measure.
    """
    train_pairs, test_pairs = all_pairs(digits, seed)
    x_train, y_train = encode(train_pairs, digits)
    torch.manual_seed(seed)
    config = GPTConfig(vocab_size=TOKENIZER.vocab_size,
                       block_size=x_train.size(1), n_embd=n_embd,
                       n_head=n_head, n_layer=n_layer, dropout=0.0)
    model = GPT(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    history = []
    for iter in range(max_iters + 1):

        # every once in a while measure the accuracy on held-out problems
        if iter % eval_interval == 0:
            acc = accuracy(model, test_pairs, digits)
            history.append({"step": iter, "test_accuracy": acc})
        if iter == max_iters:
            break

        # sample a batch of problems
        ix = torch.randint(len(x_train), (batch_size,))
        xb, yb = x_train[ix], y_train[ix]

        # evaluate the loss (on the answer's digits only)
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    questions = [problem(int(a), int(b), digits)[:2 * digits + 2]
                 for a, b in test_pairs[:5]]
    examples = [q + s for q, s in
                zip(questions, answers(model, test_pairs[:5], digits))]
    return {"history": history, "test_accuracy": history[-1]["test_accuracy"],
            "train_accuracy": accuracy(model, train_pairs[:1000], digits),
            "n_train": len(train_pairs), "n_test": len(test_pairs),
            "examples": examples, "params": num_params(model)}
