"""A HellaSwag-style multiple-choice score for a language model.

Each item is a context and four endings, one of them right. The model
reads context + ending for each of the four, and the ending it finds most
likely wins: "completion style", which a small model can do (it never has
to write "A", "B", "C" or "D"). The likelihood of an ending is the sum of
its tokens' log-probabilities; the normalised variant divides by its
number of tokens, so that long endings are not penalised for being long.

The package ships a few hand-written items (``ITEMS``); the real
validation set (10,042 items, ``hellaswag_val.jsonl`` from
github.com/rowanz/hellaswag) is read from a path you give::

    python -m zerohero.gpt2.hellaswag hellaswag_val.jsonl \\
        --checkpoint log/model_19073.pt --tokenizer gpt2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Iterable

import torch
import torch.nn.functional as F

ITEMS = Path(__file__).with_name("hellaswag_items.jsonl")


def iterate_examples(path: str | Path = ITEMS):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def render_example(example: dict, encode: Callable[[str], list[int]]):
    """Four rows of context + ending tokens, zero-padded to one length;
    a mask that is 1 on the ending's tokens; the right ending's index."""
    ctx_tokens = encode(example["ctx"])
    rows, masks = [], []
    for ending in example["endings"]:
        # the ending is a continuation: it starts with the space
        end_tokens = encode(" " + ending)
        rows.append(ctx_tokens + end_tokens)
        masks.append([0] * len(ctx_tokens) + [1] * len(end_tokens))
    width = max(len(row) for row in rows)
    tokens = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (row, m) in enumerate(zip(rows, masks)):
        tokens[i, :len(row)] = torch.tensor(row)
        mask[i, :len(m)] = torch.tensor(m)
    return tokens, mask, example["label"]


def ending_losses(logits, tokens, mask):
    """Each row's summed and mean cross-entropy over its ending's tokens."""
    # position t predicts token t + 1: shift the targets (and the mask)
    losses = F.cross_entropy(logits[:, :-1].flatten(0, 1),
                             tokens[:, 1:].flatten(), reduction="none")
    losses = losses.view(tokens.size(0), -1) * mask[:, 1:]
    total = losses.sum(dim=1)
    return total, total / mask[:, 1:].sum(dim=1)


@torch.no_grad()
def evaluate(model, examples: Iterable[dict],
             encode: Callable[[str], list[int]], device="cpu") -> dict:
    """Accuracy of the summed likelihood (``acc``) and of the normalised
    one (``acc_norm``), with each item's two predictions."""
    model.eval()
    preds = []
    for example in examples:
        tokens, mask, label = render_example(example, encode)
        tokens, mask = tokens.to(device), mask.to(device)
        logits, _ = model(tokens)
        total, mean = ending_losses(logits, tokens, mask)
        preds.append({"label": label, "pred": total.argmin().item(),
                      "pred_norm": mean.argmin().item()})
    n = len(preds)
    return {"n": n,
            "acc": sum(p["pred"] == p["label"] for p in preds) / n,
            "acc_norm": sum(p["pred_norm"] == p["label"] for p in preds) / n,
            "items": preds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zerohero.gpt2.hellaswag",
        description="Score a GPT checkpoint on HellaSwag-style items.")
    parser.add_argument("jsonl", nargs="?", default=str(ITEMS),
                        help="items, one JSON object a line (default: the "
                             "package's hand-written ones)")
    parser.add_argument("--checkpoint", help="a checkpoint of "
                        "zerohero.gpt2.train (default: OpenAI's gpt2)")
    parser.add_argument("--tokenizer", default="gpt2",
                        help="'gpt2' (tiktoken) or a chapter 8 .model file")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    from zerohero.gpt2.data import _tokenizer
    from zerohero.gpt2.model import GPT, GPTConfig
    encode, _ = _tokenizer(args.tokenizer)
    if args.checkpoint:
        ckpt = torch.load(args.checkpoint, map_location="cpu")
        model = GPT(GPTConfig(**ckpt["config"]))
        model.load_state_dict(ckpt["model"])
    else:
        model = GPT.from_pretrained("gpt2")
    result = evaluate(model.to(args.device), iterate_examples(args.jsonl),
                      encode, args.device)
    print(f"{result['n']} items: acc {result['acc']:.4f} "
          f"acc_norm {result['acc_norm']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
