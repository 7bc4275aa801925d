"""Byte-pair encoding tokenizers, following minbpe.

``base``: ``get_stats`` and ``merge``, and the base class that saves and
loads; ``basic``: BPE on raw bytes; ``regex``: BPE after GPT-2's or GPT-4's
split, with special tokens; ``gpt4``: GPT-4's tokenizer rebuilt from
tiktoken's ``cl100k_base``; ``fast``: the same training and encoding,
faster.
"""

from zerohero.tokenizer.base import Tokenizer, get_stats, merge
from zerohero.tokenizer.basic import BasicTokenizer
from zerohero.tokenizer.fast import FastRegexTokenizer
from zerohero.tokenizer.regex import (GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN,
                                      RegexTokenizer)

__all__ = ["Tokenizer", "get_stats", "merge", "BasicTokenizer",
           "RegexTokenizer", "FastRegexTokenizer", "GPT2_SPLIT_PATTERN",
           "GPT4_SPLIT_PATTERN"]
