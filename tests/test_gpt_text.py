"""zerohero.gpt.text: the character tokenizer, the lecture's split and batches."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.gpt.text import CharTokenizer, get_batch, load_shakespeare


@pytest.fixture(scope="module")
def shakespeare():
    return load_shakespeare()


def test_lecture_numbers(shakespeare):
    # the lecture's printed values
    tok = shakespeare.tokenizer
    assert len(shakespeare.train) + len(shakespeare.val) == 1_115_394
    assert tok.vocab_size == 65
    assert tok.chars == "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    assert tok.encode("hii there") == [46, 47, 47, 1, 58, 46, 43, 56, 43]
    assert tok.decode(tok.encode("hii there")) == "hii there"
    assert (len(shakespeare.train), len(shakespeare.val)) == (1_003_854, 111_540)


def test_split_is_text_order(shakespeare):
    from zerohero.data import read_text
    text = read_text("tinyshakespeare.txt")
    assert shakespeare.tokenizer.decode(shakespeare.train[:12]) == text[:12]
    assert shakespeare.tokenizer.decode(shakespeare.val[-12:]) == text[-12:]


@given(st.text(min_size=1, max_size=50))
def test_round_trip(text):
    tok = CharTokenizer.from_text(text)
    assert tok.decode(tok.encode(text)) == text
    assert list(tok.chars) == sorted(set(text))


@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**31 - 1), block_size=st.integers(1, 16),
       batch_size=st.integers(1, 8))
def test_batch_is_the_lectures(seed, block_size, batch_size):
    """Same draws and the same chunks as the lecture's stack-of-slices get_batch."""
    data = torch.arange(100, 300)
    torch.manual_seed(seed)
    x, y = get_batch(data, block_size, batch_size)
    torch.manual_seed(seed)
    ix = torch.randint(len(data) - block_size, (batch_size,))
    assert torch.equal(x, torch.stack([data[i:i + block_size] for i in ix]))
    assert torch.equal(y, torch.stack([data[i + 1:i + block_size + 1] for i in ix]))
    assert torch.equal(x[:, 1:], y[:, :-1])  # targets are the inputs shifted by one


def test_batch_with_generator_leaves_global_rng_alone():
    data = torch.arange(50)
    state = torch.get_rng_state()
    get_batch(data, 4, 3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(state, torch.get_rng_state())


def test_too_short_a_text_is_refused():
    with pytest.raises(AssertionError, match="too few"):
        get_batch(torch.arange(5), 5, 2)
