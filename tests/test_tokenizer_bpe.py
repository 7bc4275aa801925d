"""zerohero.tokenizer: byte-pair encoding (base, basic, regex, fast)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zerohero.tokenizer import (GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN,
                                BasicTokenizer, FastRegexTokenizer,
                                RegexTokenizer, get_stats, merge)
from zerohero.tokenizer.base import render_token

# minbpe's test text for save/load (Wikipedia's llama article, shortened),
# with special tokens in it
LLAMA = """<|endoftext|>The llama (/ˈlɑːmə/; Spanish pronunciation: [ˈʎama] or \
[ˈʝama]) (Lama glama) is a domesticated South American camelid, widely used \
as a meat and pack animal by Andean cultures since the pre-Columbian era.
Llamas are social animals and live with others as a herd. Their wool is soft \
and contains only a small amount of lanolin.[2] Llamas can learn simple tasks \
after a few repetitions. When using a pack, they can carry about 25 to 30% of \
their body weight for 8 to 13 km (5–8 miles).[3]
<|fim_prefix|>In Aymara mythology, llamas are important beings.<|fim_suffix|> \
where they come from at the end of time.[6]<|fim_middle|> llamas will return \
to the water springs and ponds<|endofprompt|>"""
SPECIAL = {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258,
           "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
           "<|endofprompt|>": 100276}
TOKENIZERS = [BasicTokenizer, RegexTokenizer, FastRegexTokenizer]


def test_get_stats_and_merge():
    assert get_stats([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    counts = get_stats([1, 2], {(1, 2): 5})
    assert counts == {(1, 2): 6}
    assert merge([1, 2, 3, 1, 2], (1, 2), 4) == [4, 3, 4]
    assert merge([7, 7, 7], (7, 7), 8) == [8, 7]  # left to right
    assert merge([1], (1, 2), 4) == [1] and merge([], (1, 2), 4) == []


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_wikipedia_example(cls):
    # en.wikipedia.org/wiki/Byte_pair_encoding: 3 merges turn aaabdaaabac
    # into XdXac; our first new id is 256 (a=97, b=98, c=99, d=100)
    tok = cls()
    tok.train("aaabdaaabac", 256 + 3)
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]
    assert tok.decode([258, 100, 258, 97, 99]) == "aaabdaaabac"
    assert tok.vocab_size == 259


@pytest.fixture(scope="module")
def trained():
    toks = {}
    for cls in TOKENIZERS:
        toks[cls] = cls()
        toks[cls].train(LLAMA, 256 + 64)
    return toks


@pytest.mark.parametrize("cls", TOKENIZERS)
@given(text=st.text(max_size=60))
def test_decode_inverts_encode_on_any_unicode(trained, cls, text):
    tok = trained[cls]
    assert tok.decode(tok.encode(text)) == text


@pytest.mark.parametrize("cls", TOKENIZERS)
@pytest.mark.parametrize("text", [
    "", "?", "hello world!!!? (안녕하세요!) lol123 😉", "👩‍👩‍👧‍👦🏳️‍🌈",
    "\x00\x01\ufffd\udbff"[:3], "a\r\n\tb  \u00a0\u2028c", "ǅ" * 50])
def test_decode_inverts_encode_on_tricky_strings(trained, cls, text):
    tok = trained[cls]
    assert tok.decode(tok.encode(text)) == text


def test_decoding_a_cut_character_gives_the_replacement_character():
    tok = BasicTokenizer()
    assert tok.decode(list("é".encode("utf-8"))[:1]) == "\ufffd"
    assert render_token(b"\xe2\x82") == "\ufffd"
    assert render_token(b"a\nb") == "a\\u000ab"


@pytest.mark.parametrize("special", [{}, SPECIAL])
def test_save_then_load_encodes_identically(tmp_path, special):
    tok = RegexTokenizer()
    tok.train(LLAMA, 256 + 64)
    tok.register_special_tokens(special)
    ids = tok.encode(LLAMA, allowed_special="all")
    assert tok.decode(ids) == LLAMA
    tok.save(tmp_path / "tok")
    loaded = RegexTokenizer()
    loaded.load(tmp_path / "tok.model")
    assert loaded.merges == tok.merges and loaded.pattern == tok.pattern
    assert loaded.special_tokens == special
    assert loaded.encode(LLAMA, allowed_special="all") == ids
    assert loaded.decode(ids) == LLAMA
    assert RegexTokenizer.from_model_text(tok.model_text()).encode(
        LLAMA, allowed_special="all") == ids
    vocab = (tmp_path / "tok.vocab").read_text(encoding="utf-8")
    assert vocab.count("\n") == len(tok.vocab) and "-> [" in vocab


def test_a_basic_tokenizer_saves_and_loads_too(tmp_path):
    tok = BasicTokenizer()
    tok.train("aaabdaaabac", 259)
    tok.save(tmp_path / "toy")
    loaded = BasicTokenizer()
    loaded.load(tmp_path / "toy.model")
    assert loaded.encode("aaabdaaabac") == [258, 100, 258, 97, 99]


def test_vocab_size_counts_special_tokens():
    tok = RegexTokenizer()
    tok.train(LLAMA, 300)
    assert tok.vocab_size == 300
    tok.register_special_tokens({"<|endoftext|>": 300})
    assert tok.vocab_size == 301
    assert tok.encode("<|endoftext|>x", allowed_special="all")[0] == 300


@pytest.mark.parametrize("cls", TOKENIZERS)
def test_a_vocabulary_under_256_is_a_clear_error(cls):
    with pytest.raises(ValueError, match="smaller than the 256 byte tokens"):
        cls().train("hello", 255)
    with pytest.raises(ValueError, match="no pairs left to merge after 4 "
                                         "merges; ask for vocab_size=260"):
        cls().train("hello", 261)


def test_special_tokens_and_allowed_special():
    tok = RegexTokenizer()
    tok.train(LLAMA, 300)
    tok.register_special_tokens(SPECIAL)
    text = "<|endoftext|>hi<|fim_prefix|>"
    with pytest.raises(ValueError, match="special token '<|endoftext|>'.*"
                                         "allowed_special='all'"):
        tok.encode(text)  # "none_raise", the default
    as_text = tok.encode(text, allowed_special="none")
    assert 100257 not in as_text and tok.decode(as_text) == text
    everything = tok.encode(text, allowed_special="all")
    assert everything[0] == 100257 and everything[-1] == 100258
    some = tok.encode(text, allowed_special={"<|endoftext|>"})
    assert some[0] == 100257 and 100258 not in some
    assert tok.decode(some) == text
    with pytest.raises(ValueError, match="expected"):
        tok.encode(text, allowed_special="everything")


@pytest.mark.parametrize("text", [
    "hello", "minbpe v2\n\n0\n", "minbpe v1\npattern\nx\n",
    "minbpe v1\n\n0\n97 98\n97\n", "minbpe v1\n\n0\n999 98\n",
    "minbpe v1\n\n2\n<|endoftext|> 300\n"])
def test_a_corrupt_model_file_is_a_clear_error(tmp_path, text):
    path = tmp_path / "bad.model"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="bad.model is not a tokenizer "
                                         "model.*Save the tokenizer again"):
        RegexTokenizer().load(path)


def test_merges_never_cross_the_split():
    text = "hello world, hello world! 123 hello"
    for pattern in (GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN):
        tok = RegexTokenizer(pattern)
        tok.train(text * 3, 256 + 10)
        for token in tok.vocab.values():
            s = token.decode("utf-8", errors="replace")
            assert not (any(c.isalpha() for c in s)
                        and any(c in ",!" or c.isdigit() for c in s)), s


@pytest.mark.parametrize("pattern", [GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN])
@pytest.mark.parametrize("size", [2_000, 20_000])
def test_fast_training_learns_the_plain_merges(shakespeare, pattern, size):
    text = shakespeare[:size]
    plain, fast = RegexTokenizer(pattern), FastRegexTokenizer(pattern)
    plain.train(text, 256 + 100)
    fast.train(text, 256 + 100)
    assert list(plain.merges.items()) == list(fast.merges.items())
    assert fast.encode(text) == plain.encode(text)
    assert len(plain.encode(text)) == fast.lengths[-1]


@given(text=st.text(alphabet="ab c", max_size=40))
def test_fast_training_breaks_ties_as_the_plain_loop(text):
    # tiny texts over four characters are full of equal counts
    plain, fast = RegexTokenizer(), FastRegexTokenizer()
    merges = min(10, len(text) // 4)
    try:
        plain.train(text, 256 + merges)
    except ValueError:  # ran out of pairs: the fast one must too
        with pytest.raises(ValueError, match="no pairs left"):
            fast.train(text, 256 + merges)
        return
    fast.train(text, 256 + merges)
    assert list(plain.merges.items()) == list(fast.merges.items())


@pytest.fixture(scope="module")
def shakespeare():
    from zerohero.data import read_text
    return read_text("tinyshakespeare.txt")


def test_the_shakespeare_experiment_rebuilds_its_tokenizer(shakespeare):
    from zerohero.tokenizer.train import train_tokenizer
    results = train_tokenizer(vocab_size=300)
    tok = RegexTokenizer.from_model_text(results["model"])
    assert tok.vocab_size == results["vocab_size"] == 300
    sample = shakespeare[:3000]
    ids = tok.encode(sample)
    assert isinstance(ids, list) and all(isinstance(i, int) for i in ids)
    assert tok.decode(ids) == sample
    assert results["n_tokens"] == len(tok.encode(shakespeare))


def test_colour_tokens_escapes_and_shows_whitespace():
    from zerohero.tokenizer.colour import colour_tokens
    page = colour_tokens(["<b>", " x", "\n"])
    assert page.count("<span") == 3
    assert "&lt;b&gt;" in page and "␣x" in page and "⏎<br>" in page
