"""The tokenizer the book trains on tiny Shakespeare, for chapter 8's curves
and chapter 9's GPT."""

from __future__ import annotations

import time

from zerohero.data import read_text
from zerohero.tokenizer.fast import FastRegexTokenizer
from zerohero.tokenizer.regex import GPT4_SPLIT_PATTERN


def train_tokenizer(vocab_size=512, dataset="tinyshakespeare.txt",
                    pattern=GPT4_SPLIT_PATTERN):
    """Train a regex BPE tokenizer on ``dataset``; the results rebuild it:
    ``RegexTokenizer.from_model_text(results["model"])``."""
    text = read_text(dataset)
    tok = FastRegexTokenizer(pattern)
    start = time.perf_counter()
    tok.train(text, vocab_size)
    seconds = time.perf_counter() - start
    n_bytes = len(text.encode("utf-8"))
    return {
        "model": tok.model_text(),
        "vocab": tok.vocab_text(),
        "vocab_size": tok.vocab_size,
        "pattern": pattern,
        "dataset": dataset,
        "seconds": seconds,
        "n_bytes": n_bytes,
        "lengths": tok.lengths,  # the text's length in tokens after each merge
        "n_tokens": tok.lengths[-1] if tok.lengths else n_bytes,
    }
