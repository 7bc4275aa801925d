"""The two helpers every BPE tokenizer uses, and the base class that saves and
loads one.

A tokenizer is its merges: an ordered dict ``(id, id) -> new id``. The
vocabulary (id -> bytes) follows from them, so a ``.model`` file stores only
the split pattern, the special tokens and the merges; the ``.vocab`` file
beside it is for people to read.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

MODEL_VERSION = "minbpe v1"  # minbpe's format, so its files load here too


def get_stats(ids, counts=None):
    """How often each pair of neighbours occurs: [1, 2, 3, 1, 2] gives
    {(1, 2): 2, (2, 3): 1, (3, 1): 1}. Adds to ``counts`` when given."""
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge(ids, pair, idx):
    """Replace every occurrence of ``pair`` in ``ids`` by ``idx``, left to
    right: merge([1, 2, 3, 1, 2], (1, 2), 4) gives [4, 3, 4]."""
    out = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def replace_control_characters(s: str) -> str:
    """Escape control characters (a newline would break a line of the .vocab
    file; some would garble a terminal)."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch)[0] == "C"
                   else ch for ch in s)


def render_token(t: bytes) -> str:
    """A token's bytes as printable text. Many tokens are pieces of a UTF-8
    character, which show as the replacement character."""
    return replace_control_characters(t.decode("utf-8", errors="replace"))


class Tokenizer:
    """What every tokenizer shares: merges, vocabulary, save and load."""

    def __init__(self):
        self.merges = {}          # (int, int) -> int, in the order learned
        self.pattern = ""         # the split pattern (RegexTokenizer)
        self.special_tokens = {}  # str -> int, e.g. {'<|endoftext|>': 100257}
        self.vocab = self._build_vocab()  # int -> bytes

    def train(self, text, vocab_size, verbose=False):
        raise NotImplementedError

    def encode(self, text):
        raise NotImplementedError

    def decode(self, ids):
        raise NotImplementedError

    @property
    def vocab_size(self) -> int:
        """Byte tokens, merged tokens and special tokens: the size an
        embedding table for this tokenizer needs."""
        ids = list(self.vocab) + list(self.special_tokens.values())
        return max(ids) + 1

    def _build_vocab(self):
        vocab = {idx: bytes([idx]) for idx in range(256)}
        for (p0, p1), idx in self.merges.items():
            vocab[idx] = vocab[p0] + vocab[p1]
        for special, idx in self.special_tokens.items():
            vocab[idx] = special.encode("utf-8")
        return vocab

    # --- saving and loading ---------------------------------------------

    def model_text(self) -> str:
        """The contents of the .model file: version, pattern, special tokens
        (a count, then one per line), then one merge per line."""
        lines = [MODEL_VERSION, self.pattern, str(len(self.special_tokens))]
        lines += [f"{s} {idx}" for s, idx in self.special_tokens.items()]
        lines += [f"{a} {b}" for a, b in self.merges]
        return "\n".join(lines) + "\n"

    def vocab_text(self) -> str:
        """The .vocab file: every token, and the two it was merged from."""
        children = {idx: pair for pair, idx in self.merges.items()}
        lines = []
        for idx, token in self.vocab.items():
            s = render_token(token)
            if idx in children:
                a, b = children[idx]
                s = (f"[{render_token(self.vocab[a])}]"
                     f"[{render_token(self.vocab[b])}] -> [{s}]")
            else:
                s = f"[{s}]"
            lines.append(f"{s} {idx}")
        return "\n".join(lines) + "\n"

    def save(self, file_prefix):
        """Write ``file_prefix.model`` (what ``load`` reads) and
        ``file_prefix.vocab`` (for reading; lossy, since partial UTF-8
        tokens print as the replacement character)."""
        prefix = str(file_prefix)
        Path(prefix + ".model").write_text(self.model_text(), encoding="utf-8")
        Path(prefix + ".vocab").write_text(self.vocab_text(), encoding="utf-8")

    def load(self, model_file):
        """Read a ``.model`` file written by ``save``."""
        text = Path(model_file).read_text(encoding="utf-8")
        self.load_model_text(text, source=str(model_file))

    @classmethod
    def from_model_text(cls, text: str):
        """A tokenizer rebuilt from a .model file's contents."""
        tok = cls()
        tok.load_model_text(text)
        return tok

    def load_model_text(self, text: str, source: str = "the model text"):
        lines = text.rstrip("\n").split("\n")
        try:
            version, self.pattern, n_special = lines[0], lines[1], int(lines[2])
            if version != MODEL_VERSION:
                raise ValueError(f"the first line is {version!r}, "
                                 f"not {MODEL_VERSION!r}")
            special = {}
            assert len(lines) >= 3 + n_special, "special tokens missing"
            for line in lines[3:3 + n_special]:
                token, idx = line.rsplit(" ", 1)
                special[token] = int(idx)
            merges = {}
            for idx, line in enumerate(lines[3 + n_special:], start=256):
                a, b = map(int, line.split())
                assert a < idx and b < idx, f"merge {line!r} uses a later token"
                merges[a, b] = idx
        except (ValueError, IndexError, AssertionError) as err:
            raise ValueError(
                f"{source} is not a tokenizer model ({err}); expected the "
                f"format that save() writes: '{MODEL_VERSION}', the pattern, "
                f"the special tokens, then one merge 'id id' per line. "
                f"Save the tokenizer again.") from None
        self.merges, self.special_tokens = merges, special
        self.vocab = self._build_vocab()
