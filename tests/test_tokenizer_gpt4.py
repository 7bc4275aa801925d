"""zerohero.tokenizer.gpt4 and the split patterns: GPT-4's tokenizer rebuilt
from tiktoken's cl100k_base, token for token."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import regex as re
import tiktoken

from zerohero.tokenizer import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN
from zerohero.tokenizer.gpt4 import ENCODING, GPT4_SPECIAL_TOKENS, GPT4Tokenizer

# tiktoken's published hash of cl100k_base.tiktoken (tiktoken_ext/openai_public.py)
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

# minbpe's tests/test_tokenizer.py strings, and its special-token document
MINBPE_STRINGS = ["", "?", "hello world!!!? (안녕하세요!) lol123 😉"]
SPECIALS = """<|endoftext|>Hello world this is one document
<|endoftext|>And this is another document
<|endoftext|><|fim_prefix|>And this one has<|fim_suffix|> tokens.<|fim_middle|> FIM
<|endoftext|>Last document!!! 👋<|endofprompt|>"""
MULTILINGUAL = """Здравствуй, мир! Γειά σου Κόσμε. こんにちは、世界。你好，世界！
안녕하세요 👋 (hello in Korean!) مرحبا بالعالم שלום עולם नमस्ते दुनिया
Ça va ? Grüß Gott, naïve café, Ærøskøbing; ﬁ ligature, ½ ⅔ ¹²³ ١٢٣٤ ๑๒๓
"""
CODE = """def fizzbuzz(n):
    for i in range(1, n + 1):
\tif i % 15 == 0:\r\n        print("FizzBuzz")   \n\n\n   """


@pytest.fixture(scope="module")
def enc():
    return tiktoken.get_encoding(ENCODING)


@pytest.fixture(scope="module")
def gpt4():
    return GPT4Tokenizer()


def test_the_offline_file_is_tiktokens_cl100k_base():
    import tiktoken_ext
    files = [Path(p) / "data" / "cl100k_base.tiktoken"
             for p in tiktoken_ext.__path__]
    path = next(p for p in files if p.exists())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CL100K_SHA256


def test_special_tokens_are_tiktokens(enc):
    assert enc._special_tokens == GPT4_SPECIAL_TOKENS


@pytest.mark.parametrize("text", MINBPE_STRINGS + [MULTILINGUAL, CODE],
                         ids=["empty", "?", "hello", "multilingual", "code"])
def test_gpt4_tokenizer_equals_tiktoken(gpt4, enc, text):
    ids = gpt4.encode(text)
    assert ids == enc.encode(text)
    assert gpt4.decode(ids) == text


def test_gpt4_tokenizer_equals_tiktoken_on_shakespeare(gpt4, enc):
    from zerohero.data import read_text
    text = read_text("tinyshakespeare.txt")[:8_000]
    assert gpt4.encode(text) == enc.encode(text)


def test_gpt4_tokenizer_equals_tiktoken_with_special_tokens(gpt4, enc):
    ids = gpt4.encode(SPECIALS, allowed_special="all")
    assert ids == enc.encode(SPECIALS, allowed_special="all")
    assert gpt4.decode(ids) == SPECIALS
    assert gpt4.encode(SPECIALS, allowed_special="none") == enc.encode(
        SPECIALS, disallowed_special=())
    with pytest.raises(ValueError, match="special token"):
        gpt4.encode(SPECIALS)
    with pytest.raises(ValueError):
        enc.encode(SPECIALS)  # tiktoken refuses too, by default


def test_vocab_size_and_byte_shuffle(gpt4, enc):
    assert gpt4.vocab_size == enc.n_vocab
    assert sorted(gpt4.byte_shuffle.values()) == list(range(256))
    assert gpt4.byte_shuffle != {b: b for b in range(256)}  # really shuffled
    assert gpt4.byte_shuffle[ord("!")] == 0  # cl100k starts at "!"


def test_gpt4_cannot_be_trained_or_saved(gpt4, tmp_path):
    with pytest.raises(NotImplementedError):
        gpt4.train("text", 300)
    with pytest.raises(NotImplementedError, match="byte shuffle"):
        gpt4.save(tmp_path / "gpt4")


# --- the split patterns ------------------------------------------------------

@pytest.mark.parametrize("text,gpt2,gpt4", [
    ("I'm don't we'll they've you're he'd",
     ["I", "'m", " don", "'t", " we", "'ll", " they", "'ve", " you", "'re",
      " he", "'d"],
     ["I", "'m", " don", "'t", " we", "'ll", " they", "'ve", " you", "'re",
      " he", "'d"]),
    ("HOW'S IT'LL",  # GPT-4's contractions ignore case
     ["HOW", "'", "S", " IT", "'", "LL"], ["HOW", "'S", " IT", "'LL"]),
    ("1234567 3.14 2024", [" 1234567"[1:], " 3", ".", "14", " 2024"],
     ["123", "456", "7", " ", "3", ".", "14", " ", "202", "4"]),
    ("a   b\n\n  c   ", ["a", "  ", " b", "\n\n ", " c", "   "],
     ["a", "  ", " b", "\n\n", " ", " c", "   "]),
    ("hello!!! world??\n", ["hello", "!!!", " world", "??", "\n"],
     ["hello", "!!!", " world", "??\n"]),
])
def test_regex_splits(text, gpt2, gpt4):
    assert re.findall(GPT2_SPLIT_PATTERN, text) == gpt2
    assert re.findall(GPT4_SPLIT_PATTERN, text) == gpt4
    assert "".join(gpt2) == "".join(gpt4) == text  # a split loses nothing


@pytest.mark.parametrize("text", MINBPE_STRINGS + [MULTILINGUAL, SPECIALS,
                                                   "x \n", "\t\t\n \u3000 y"])
def test_our_patterns_split_as_tiktoken_writes_them(enc, text):
    # tiktoken now writes the patterns with possessive quantifiers and a rule
    # for whitespace at the very end; on other text they split the same
    tiktoken_gpt2 = (r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++"""
                     r"""| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s""")
    assert re.findall(GPT2_SPLIT_PATTERN, text) == re.findall(tiktoken_gpt2,
                                                               text)
    assert re.findall(GPT4_SPLIT_PATTERN, text) == re.findall(enc._pat_str,
                                                               text)


@pytest.mark.parametrize("text", [CODE, "x \n  "])
def test_a_text_ending_in_newline_and_spaces_splits_differently(gpt4, enc,
                                                                text):
    ours = re.findall(GPT4_SPLIT_PATTERN, text)
    theirs = re.findall(enc._pat_str, text)
    assert ours[:-2] == theirs[:-1]
    assert ours[-2] + ours[-1] == theirs[-1]
    assert gpt4.encode(text) == enc.encode(text)  # the tokens still agree
