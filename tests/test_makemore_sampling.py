"""zerohero.makemore.sampling: drawing words from any model, and mean NLL on a split."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.build import ledger
from zerohero.makemore.sampling import mean_nll, sample_words
from zerohero.makemore.words import Vocabulary

VOCAB = Vocabulary.from_words(["abc"])  # '.', 'a', 'b', 'c'


# Tiny models: one torch thread is faster, and far faster on a busy machine.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def table_model(table: torch.Tensor):
    """A bigram model from a (V, V) table of logits: the row of the last context character."""
    return lambda context: table[context[:, -1]]


def test_uniform_model_has_nll_log_vocab_size():
    X = torch.randint(0, 27, (500, 3), generator=torch.Generator().manual_seed(0))
    Y = torch.randint(0, 27, (500,), generator=torch.Generator().manual_seed(1))
    uniform = lambda context: torch.zeros(len(context), 27)  # noqa: E731
    assert mean_nll(uniform, X, Y) == pytest.approx(math.log(27), abs=1e-6)
    ledger.check("03_mlp", "e2_uniform", math.log(27))  # part 2's -log(1/27)


@given(st.integers(1, 300), st.integers(1, 64), st.integers(0, 2**31 - 1))
@settings(max_examples=30, deadline=None)
def test_mean_nll_is_the_mean_of_minus_log_softmax(n, batch_size, seed):
    g = torch.Generator().manual_seed(seed)
    table = torch.randn(4, 4, generator=g) * 3
    X = torch.randint(0, 4, (n, 2), generator=g)
    Y = torch.randint(0, 4, (n,), generator=g)
    # Independently, in float64: -log(exp(z_y) / sum exp(z)).
    z = table.double()[X[:, -1]]
    expected = float((torch.logsumexp(z, 1) - z[torch.arange(n), Y]).mean())
    # float32 logits: the loss is exact to ~1e-6 absolute (relative error grows as it nears 0)
    assert mean_nll(table_model(table), X, Y, batch_size=batch_size) == pytest.approx(
        expected, rel=1e-5, abs=1e-6)


def test_mean_nll_rejects_bad_input():
    model = table_model(torch.zeros(4, 4))
    with pytest.raises(AssertionError):
        mean_nll(model, torch.zeros(3, 1, dtype=torch.long), torch.zeros(2, dtype=torch.long))
    with pytest.raises(AssertionError):
        mean_nll(model, torch.zeros(0, 1, dtype=torch.long), torch.zeros(0, dtype=torch.long))


def random_table(seed=0):
    return torch.randn(4, 4, generator=torch.Generator().manual_seed(seed))


def test_sampling_is_reproducible_with_a_seed():
    model = table_model(random_table())
    a = sample_words(model, VOCAB, 1, 20, torch.Generator().manual_seed(42))
    b = sample_words(model, VOCAB, 1, 20, torch.Generator().manual_seed(42))
    c = sample_words(model, VOCAB, 1, 20, torch.Generator().manual_seed(43))
    assert a == b
    assert a != c
    assert all(set(w) <= set("abc") for w in a)


def test_sampling_follows_the_lectures_loop():
    # The lecture's loop, written out: softmax, one multinomial draw per character.
    table = random_table(1)
    g = torch.Generator().manual_seed(2147483647)
    expected = []
    for _ in range(10):
        out, ix = [], 0
        while True:
            p = torch.softmax(table[ix][None], dim=1)
            ix = torch.multinomial(p, num_samples=1, generator=g).item()
            if ix == 0:
                break
            out.append(VOCAB.itos[ix])
        expected.append("".join(out))
    got = sample_words(table_model(table), VOCAB, 1, 10, torch.Generator().manual_seed(2147483647))
    assert got == expected


def test_a_deterministic_model_spells_its_word():
    # After '.', 'a'; after 'a', 'b'; after 'b', 'c'; after 'c', the end.
    table = torch.full((4, 4), -1e9)
    for prev, nxt in [(0, 1), (1, 2), (2, 3), (3, 0)]:
        table[prev, nxt] = 0.0
    assert sample_words(table_model(table), VOCAB, 1, 3, torch.Generator().manual_seed(0)) == ["abc"] * 3


def test_top_k_1_is_greedy_and_max_len_bounds_the_word():
    table = random_table(2)
    table[:, 0] = -1e9  # never ends
    words = sample_words(table_model(table), VOCAB, 1, 2, torch.Generator().manual_seed(0),
                         top_k=1, max_len=7)
    greedy, ix = [], 0
    for _ in range(7):
        ix = int(table[ix].argmax())
        greedy.append(VOCAB.itos[ix])
    assert words == ["".join(greedy)] * 2


def test_temperature_must_be_positive():
    with pytest.raises(AssertionError):
        sample_words(table_model(random_table()), VOCAB, 1, 1, temperature=0)


def test_torch_still_draws_the_lectures_100_samples_but_not_its_single_draws():
    # makemore part 1 printed these with torch.Generator().manual_seed(2147483647); chapter 2
    # relies on them to explain why its sampled names differ from the video's.
    g = torch.Generator().manual_seed(2147483647)
    p = torch.rand(3, generator=g)
    p = p / p.sum()
    assert [round(x, 4) for x in p.tolist()] == [0.6064, 0.3033, 0.0903]
    lecture = [1, 1, 2, 0, 0, 2, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 2, 0, 0, 1, 0, 0,
               1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 2, 0, 0, 0, 0,
               0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
               1, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 1]
    assert torch.multinomial(p, num_samples=100, replacement=True, generator=g).tolist() == lecture
    # The lecture's first character drawn from row '.' of the counts was 'm' (index 13);
    # since torch 2.0 a single draw takes another path and gives another character.
    from zerohero.makemore.bigram import NGramCounts
    from zerohero.makemore.words import load_names
    counts = NGramCounts.fit(load_names(), smoothing=0).counts[0].float()
    g = torch.Generator().manual_seed(2147483647)
    first = torch.multinomial(counts / counts.sum(), num_samples=1, replacement=True, generator=g)
    assert first.item() != 13
