"""zerohero.makemore.words: the vocabulary, (context, target) examples and the lecture's split.

Expected values are the lecture's (makemore parts 1 and 2) or come from an independent
computation written out here (string windows, the global ``random`` module).
"""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.makemore.words import (FALLBACK_BOUNDARY, Vocabulary, WordsError, build_examples,
                                     make_splits, read_words, split_words)


# Tiny models: one torch thread is faster, and far faster on a busy machine.
pytestmark = pytest.mark.usefixtures("one_torch_thread")



def test_names_txt_as_in_the_lecture(names):
    # makemore part 1: len(words), min and max word length, the first words.
    assert len(names) == 32033
    assert min(len(w) for w in names) == 2
    assert max(len(w) for w in names) == 15
    assert names[:3] == ["emma", "olivia", "ava"]


def test_vocabulary_of_names_is_the_lectures_stoi(names):
    vocab = Vocabulary.from_words(names)
    # The lecture: chars = sorted(set(''.join(words))); stoi = {s: i+1}; stoi['.'] = 0
    chars = sorted(set("".join(names)))
    expected = {s: i + 1 for i, s in enumerate(chars)} | {".": 0}
    assert len(vocab) == 27
    assert vocab.stoi == expected
    assert vocab.itos == {i: s for s, i in expected.items()}
    assert vocab.encode("emma") == [5, 13, 13, 1]


# Any printable characters (not the fallback boundary itself: a word list holding both '.' and
# U+2400 has no free boundary character).
ALPHABET = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                         blacklist_characters=FALLBACK_BOUNDARY)
words_strategy = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=8), min_size=1, max_size=20)


@given(words_strategy)
@settings(max_examples=60, deadline=None)
def test_encode_decode_roundtrip_with_any_alphabet(words):
    vocab = Vocabulary.from_words(words)
    assert len(vocab) == len(set("".join(words))) + 1
    assert vocab.boundary not in vocab.chars
    for w in words:
        ids = vocab.encode(w)
        assert all(1 <= i < len(vocab) for i in ids)  # 0 is reserved for the boundary
        assert vocab.decode(ids) == w


def test_words_containing_the_dot_get_another_boundary():
    vocab = Vocabulary.from_words(["a.b", "c"])
    assert vocab.boundary == FALLBACK_BOUNDARY
    assert vocab.decode([0] + vocab.encode("a.b")) == FALLBACK_BOUNDARY + "a.b"


def test_unknown_characters_are_named_in_the_error():
    vocab = Vocabulary.from_words(["abc"])
    with pytest.raises(WordsError, match=r"\['z'\]"):
        vocab.encode("abz")


def test_no_characters_is_a_clear_error():
    with pytest.raises(WordsError, match="no characters"):
        Vocabulary.from_words([])


def test_a_word_file_with_other_characters_has_its_own_vocabulary(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("zoë\nJean-Luc\n\n  o'neil  \n", encoding="utf-8")
    words = read_words(path)
    assert words == ["zoë", "Jean-Luc", "o'neil"]
    vocab = Vocabulary.from_words(words)
    assert set(vocab.chars) == set("zoëJean-Luc'il")
    X, Y = build_examples(words, vocab, block_size=2)
    assert len(X) == sum(len(w) + 1 for w in words)
    splits = make_splits(words * 10, block_size=2)
    assert len(splits.vocab) == len(vocab)


@pytest.mark.parametrize("text, message", [("", "is empty"), ("\n  \n", "only empty lines")])
def test_an_empty_word_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "words.txt"
    path.write_text(text)
    with pytest.raises(WordsError, match=message):
        read_words(path)


def test_a_missing_word_file_is_a_clear_error(tmp_path):
    with pytest.raises(WordsError, match="no such file"):
        read_words(tmp_path / "nope.txt")


def test_examples_of_emma_as_printed_in_the_lecture():
    vocab = Vocabulary.from_words(["emma"])
    X, Y = build_examples(["emma"], vocab, block_size=3)
    shown = [f"{vocab.decode(x)} ---> {vocab.decode([y])}" for x, y in zip(X.tolist(), Y.tolist())]
    assert shown == ["... ---> e", "..e ---> m", ".em ---> m", "emm ---> a", "mma ---> ."]
    assert X.dtype == Y.dtype == torch.int64


@given(st.lists(st.text(alphabet="abcde", min_size=1, max_size=7), min_size=1, max_size=10),
       st.integers(1, 6))
@settings(max_examples=60, deadline=None)
def test_examples_are_the_windows_of_the_padded_word(words, block_size):
    vocab = Vocabulary.from_words(words)
    X, Y = build_examples(words, vocab, block_size)
    # Independently: slide a window over '.'*block_size + word + '.'.
    expected = []
    for w in words:
        padded = "." * block_size + w + "."
        expected += [(padded[i:i + block_size], padded[i + block_size])
                     for i in range(len(w) + 1)]
    got = [(vocab.decode(x), vocab.decode([y])) for x, y in zip(X.tolist(), Y.tolist())]
    assert got == expected
    assert X.shape == (len(expected), block_size) and Y.shape == (len(expected),)


def test_block_size_must_be_positive():
    with pytest.raises(AssertionError):
        build_examples(["ab"], Vocabulary.from_words(["ab"]), 0)


def test_split_is_the_lectures_global_shuffle(names):
    before = list(names)
    train, val, test = split_words(names)
    assert names == before, "the caller's list must not be shuffled in place"
    # The lecture: random.seed(42); random.shuffle(words); 80% / 10% / 10%
    state = random.getstate()
    try:
        random.seed(42)
        shuffled = list(names)
        random.shuffle(shuffled)
    finally:
        random.setstate(state)
    n1, n2 = int(0.8 * len(names)), int(0.9 * len(names))
    assert (train, val, test) == (shuffled[:n1], shuffled[n1:n2], shuffled[n2:])
    assert (len(train), len(val), len(test)) == (25626, 3203, 3204)


@pytest.mark.parametrize("block_size", [3, 8])
def test_split_sizes_as_in_the_lecture(names, block_size):
    splits = make_splits(names, block_size)
    # makemore part 2 (block 3) and part 5 (block 8) print these shapes.
    assert splits.train[0].shape == (182625, block_size)
    assert splits.val[0].shape == (22655, block_size)
    assert splits.test[0].shape == (22866, block_size)
    assert splits["val"] is splits.val
    with pytest.raises(AssertionError, match="dev"):
        splits["dev"]
