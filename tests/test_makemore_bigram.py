"""zerohero.makemore.bigram: the counting n-gram model and the neural bigram (chapter 2).

Expected values are those printed by makemore part 1, or independent computations (a dict of
counts as in the lecture's first cell, float64 sums, torch autograd, finite differences).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from zerohero.makemore.bigram import (NeuralBigram, NGramCounts, bigram_pairs,
                                      count_bigrams_dict, count_bigrams_loop,
                                      lecture_log_likelihood, log_likelihood_loop, sample_loop,
                                      softmax_nll, train_neural_bigram)
from zerohero.makemore.sampling import sample_words
from zerohero.makemore.words import Vocabulary
from zerohero.build import ledger

SEED = 2147483647


# Tiny models: one torch thread is faster, and far faster on a busy machine.
pytestmark = pytest.mark.usefixtures("one_torch_thread")



@pytest.fixture(scope="module")
def vocab(names):
    return Vocabulary.from_words(names)


@pytest.fixture(scope="module")
def pairs(names, vocab):
    return bigram_pairs(names, vocab)


def test_bigram_pairs_of_emma(vocab):
    xs, ys = bigram_pairs(["emma"], vocab)
    assert xs.tolist() == [0, 5, 13, 13, 1]   # . e m m a
    assert ys.tolist() == [5, 13, 13, 1, 0]   # e m m a .


def test_counts_as_in_the_lecture(names, vocab, pairs):
    model = NGramCounts.fit(names, vocab)
    assert model.counts.shape == (27, 27) and model.counts.dtype == torch.int32
    assert int(model.counts.sum()) == len(pairs[0]) == 228146
    assert model.count("n", ".") == 6763   # the most common bigram: names end in n
    assert model.count(".", "a") == 4410
    # The lecture's first count, a dict over ('<S>', ch) ... (ch, '<E>') pairs.
    b = Counter()
    for w in names:
        chs = ["<S>"] + list(w) + ["<E>"]
        b.update(zip(chs, chs[1:]))
    tok = lambda c: "." if c in ("<S>", "<E>") else c  # noqa: E731
    assert {(tok(a), tok(c)): n for (a, c), n in b.items()} == {
        (vocab.itos[i], vocab.itos[j]): int(model.counts[i, j])
        for i in range(27) for j in range(27) if model.counts[i, j]}
    assert b.most_common(2) == [(("n", "<E>"), 6763), (("a", "<E>"), 6640)]


@pytest.mark.parametrize("smoothing, keys", [
    (0, ("loglik_raw", "nll_raw")),             # P = N / rowsum
    (1, ("loglik_smoothed", "nll_smoothed")),   # P = (N+1) / rowsum
])
def test_mean_nll_with_the_lectures_float32_accumulation(names, vocab, pairs, smoothing,
                                                         keys):
    model = NGramCounts.fit(names, vocab, smoothing=smoothing)
    xs, ys = pairs
    ours = lecture_log_likelihood(model.log_probs(xs[:, None], ys))
    for key, value in zip(keys, ours, strict=True):
        ledger.check("02_bigrams", key, value)


def test_float32_accumulation_is_the_lectures_loop():
    # The loop itself (log_likelihood = 0.0; log_likelihood += logprob) on 5,000 terms.
    logp = torch.log(torch.rand(5000, generator=torch.Generator().manual_seed(0)))
    total = 0.0
    for lp in logp:
        total += lp
    assert lecture_log_likelihood(logp) == (float(total), float(-total / len(logp)))
    with pytest.raises(AssertionError):
        lecture_log_likelihood(torch.zeros(0))


def test_exact_nll_is_the_float64_mean(names, vocab, pairs):
    model = NGramCounts.fit(names, vocab, smoothing=0)
    N = model.counts.numpy().astype(np.float64)
    P = N / N.sum(1, keepdims=True)
    xs, ys = pairs
    expected = -np.log(P[xs.numpy(), ys.numpy()]).mean()
    assert model.nll(xs[:, None], ys) == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(2.454014, abs=1e-6)


def test_andrejq_is_infinitely_unlikely_without_smoothing(names, vocab):
    xs, ys = bigram_pairs(["andrejq"], vocab)
    raw = NGramCounts.fit(names, vocab, smoothing=0)
    smoothed = raw.with_smoothing(1)
    assert raw.count("j", "q") == 0
    assert math.isinf(raw.nll(xs[:, None], ys))
    assert math.isfinite(smoothed.nll(xs[:, None], ys))


@given(st.floats(0.01, 1e6))
@settings(max_examples=25, deadline=None)
def test_smoothing_gives_positive_rows_summing_to_one_and_tends_to_uniform(k):
    words = ["emma", "ava", "anna", "bob"]
    model = NGramCounts.fit(words, smoothing=k)
    assert torch.all(model.probs > 0)
    assert torch.allclose(model.probs.sum(1), torch.ones(len(model.probs)))
    if k > 1e5:
        assert torch.allclose(model.probs, torch.full_like(model.probs, 1 / model.probs.shape[1]),
                              atol=1e-4)


def test_trigram_counts_are_the_counts_of_character_triples(names, vocab):
    model = NGramCounts.fit(names[:500], vocab, n=3, smoothing=0)
    expected = Counter()
    for w in names[:500]:
        padded = ".." + w + "."
        expected.update(padded[i:i + 3] for i in range(len(w) + 1))
    for triple, n in expected.most_common(20):
        assert model.count(triple[:2], triple[2]) == n
    assert int(model.counts.sum()) == sum(expected.values())
    assert model.count("zq", "x") == 0


def test_counting_model_rejects_bad_arguments(vocab):
    with pytest.raises(AssertionError):
        NGramCounts.fit(["ab"], n=1)
    with pytest.raises(AssertionError):
        NGramCounts(torch.zeros(27, 26, dtype=torch.int32), vocab)
    with pytest.raises(AssertionError):
        NGramCounts(torch.zeros(27, 27, dtype=torch.int32), vocab, smoothing=-1)
    with pytest.raises(AssertionError):
        NGramCounts.fit(["abc"], n=3).count("a", "b")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        NGramCounts.fit(["abc"]).count("z", "a")
    with pytest.raises(AssertionError):
        NGramCounts.fit(["abc"], n=3).log_probs(torch.zeros(4, 1, dtype=torch.long),
                                                torch.zeros(4, dtype=torch.long))


def test_sampling_the_counts_is_the_lectures_loop(names, vocab):
    model = NGramCounts.fit(names, vocab, smoothing=1)
    g = torch.Generator().manual_seed(SEED)
    expected = []
    for _ in range(10):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(model.probs[ix], num_samples=1, replacement=True,
                                   generator=g).item()
            if ix == 0:
                break
            out.append(vocab.itos[ix])
        expected.append("".join(out))
    assert sample_words(model, vocab, 1, 10, torch.Generator().manual_seed(SEED)) == expected


def test_the_plain_loops_give_what_the_vectorised_forms_give(names, vocab):
    # The chapter shows the lecture's loops first; each must equal its vectorised form.
    some = names[:3000]
    model = NGramCounts.fit(some, vocab, smoothing=0)
    assert torch.equal(count_bigrams_loop(some, vocab), model.counts)
    b = count_bigrams_dict(some)
    tok = lambda c: "." if c in ("<S>", "<E>") else c  # noqa: E731
    assert {(tok(a), tok(c)): n for (a, c), n in b.items()} == {
        (vocab.itos[i], vocab.itos[j]): int(model.counts[i, j])
        for i in range(27) for j in range(27) if model.counts[i, j]}
    smoothed = model.with_smoothing(1)
    X, Y = bigram_pairs(some, vocab)
    # the same float32 additions in the same order: equal to the last bit
    assert log_likelihood_loop(some, smoothed.probs, vocab) == \
        lecture_log_likelihood(smoothed.log_probs(X[:, None], Y))
    looped = sample_loop(smoothed.probs, vocab, 10, torch.Generator().manual_seed(SEED))
    assert all(w.endswith(".") for w in looped)
    assert [w[:-1] for w in looped] == sample_words(
        smoothed, vocab, 1, 10, torch.Generator().manual_seed(SEED))


def test_emma_loss_of_the_random_network_as_in_the_lecture(vocab):
    xs, ys = bigram_pairs(["emma"], vocab)
    model = NeuralBigram(27, torch.Generator().manual_seed(SEED))
    ledger.check(ledger.BIGRAMS, "emma_loss", softmax_nll(model(xs), ys).item())


def test_one_hot_times_w_selects_a_row(vocab):
    model = NeuralBigram(27, torch.Generator().manual_seed(0))
    index = NeuralBigram(27, torch.Generator().manual_seed(0), inputs="index")
    xs = torch.arange(27).repeat(3)
    assert torch.equal(model(xs), index(xs))
    assert torch.equal(model(xs), model.W[xs])


@given(st.integers(1, 50), st.integers(0, 2**31 - 1), st.floats(0.1, 30))
@settings(max_examples=30, deadline=None)
def test_manual_softmax_nll_equals_cross_entropy(n, seed, scale):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 27, generator=g, dtype=torch.float64) * scale
    ys = torch.randint(0, 27, (n,), generator=g)
    assert softmax_nll(logits, ys).item() == pytest.approx(F.cross_entropy(logits, ys).item(),
                                                           rel=1e-9, abs=1e-12)


def test_manual_softmax_nll_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 5, generator=g, dtype=torch.float64, requires_grad=True)
    ys = torch.tensor([0, 4, 2, 2, 1, 3])
    assert torch.autograd.gradcheck(lambda z: softmax_nll(z, ys), (logits,))


def test_uniform_network_has_loss_log_27(pairs):
    model = NeuralBigram(27)
    with torch.no_grad():
        model.W.zero_()
    xs, ys = pairs
    assert model.loss(xs[:5000], ys[:5000], reg=0).item() == pytest.approx(math.log(27), rel=1e-6)


def test_neural_bigram_rejects_unknown_options():
    with pytest.raises(AssertionError):
        NeuralBigram(inputs="onehot")
    with pytest.raises(AssertionError):
        NeuralBigram(loss="mse")


def test_gradient_descent_converges_to_the_counting_model():
    # On a small corpus, long full-batch descent without the regulariser reaches the counting
    # model's loss, which no bigram model can beat (it is the maximum-likelihood estimate).
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "ella"]
    vocab = Vocabulary.from_words(words)
    xs, ys = bigram_pairs(words, vocab)
    counting = NGramCounts.fit(words, vocab, smoothing=0).nll(xs[:, None], ys)
    model = NeuralBigram(len(vocab), torch.Generator().manual_seed(SEED), inputs="index",
                         loss="cross_entropy")
    losses = train_neural_bigram(model, xs, ys, steps=3000, lr=10.0, reg=0.0)
    assert min(losses) >= counting - 1e-6
    assert losses[-1] == pytest.approx(counting, abs=2e-3)


def test_regulariser_pulls_towards_uniform_like_smoothing():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "ella"]
    vocab = Vocabulary.from_words(words)
    xs, ys = bigram_pairs(words, vocab)

    def distance_from_uniform(reg):
        model = NeuralBigram(len(vocab), torch.Generator().manual_seed(SEED), inputs="index")
        train_neural_bigram(model, xs, ys, steps=500, lr=10.0, reg=reg)
        return float((model.probs - 1 / len(vocab)).abs().max())

    assert distance_from_uniform(10.0) < distance_from_uniform(0.1) < distance_from_uniform(0.0)


# --- The lecture's training run (cached experiment, shared with the chapter) ----------------

def test_neural_bigram_reproduces_the_lecture(trained):
    result = trained("bigram_nn")
    assert len(result["losses"]) == 100
    ledger.check(ledger.BIGRAMS, "nn_first_loss", result["losses"][0])  # step 1
    ledger.check(ledger.BIGRAMS, "nn_loss", result["final_loss"])       # step 100


def test_indexing_gives_the_same_training_and_cross_entropy_nearly(trained, names, vocab, pairs):
    one_hot, index, ce = trained("bigram_nn"), trained("bigram_nn_index"), trained("bigram_nn_cross_entropy")
    # The same model computed three ways: float32 rounding differs over 100 steps, by far less
    # than 1e-4 (a real difference in the model would show in the second decimal).
    assert index["final_loss"] == pytest.approx(one_hot["final_loss"], abs=1e-4)
    assert ce["final_loss"] == pytest.approx(one_hot["final_loss"], abs=1e-4)
    # The trained network is close to the counting model (exact only without the regulariser
    # and after many more steps), and cannot beat it.
    xs, ys = pairs
    counting = NGramCounts.fit(names, vocab, smoothing=0).nll(xs[:, None], ys)
    assert counting < one_hot["nll"] < counting + 0.03
