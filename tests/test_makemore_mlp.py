"""zerohero.makemore.mlp: the Bengio et al. MLP of makemore part 2 (chapter 3).

Expected values are the lecture's, read from the ledger (parameter counts, printed losses
with the ledger's tolerance for the reseeded minibatches), or independent computations
(torch.nn modules, torch's generator drawn directly, finite differences, the counting floor
of a small data set).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pytest
import torch
import torch.nn.functional as F

from zerohero.build import ledger
from zerohero.experiments.ch03_mlp import lr_finder
from zerohero.makemore.mlp import (MLP, MLPConfig, split_losses, step_decay, train,
                                   uniform_loss)
from zerohero.makemore.words import Vocabulary, build_examples, make_splits

CHAPTER = ledger.MLP

SEED = 2147483647


# Tiny models: one torch thread is faster, and far faster on a busy machine.
pytestmark = pytest.mark.usefixtures("one_torch_thread")



@pytest.mark.parametrize("n_embd, n_hidden, expected", [
    (2, 100, 3481),    # the lecture's first network
    (2, 300, 10281),   # its larger hidden layer
    (10, 200, 11897),  # its final network
])
def test_parameter_counts_as_in_the_lecture(n_embd, n_hidden, expected):
    model = MLP(MLPConfig(27, 3, n_embd, n_hidden))
    assert model.num_parameters() == expected


def test_parameters_are_drawn_in_the_lectures_order():
    model = MLP(MLPConfig(), torch.Generator().manual_seed(SEED))
    g = torch.Generator().manual_seed(SEED)
    # The lecture: C, W1, b1, W2, b2 = randn((27,10)), randn((30,200)), randn(200), ...
    for name, shape in [("C", (27, 10)), ("W1", (30, 200)), ("b1", (200,)),
                        ("W2", (200, 27)), ("b2", (27,))]:
        assert torch.equal(getattr(model, name), torch.randn(shape, generator=g)), name
    assert all(p.requires_grad for p in model.parameters())


def test_forward_equals_torch_nn_modules():
    model = MLP(MLPConfig(27, 4, 5, 16), torch.Generator().manual_seed(0))
    emb = torch.nn.Embedding(27, 5)
    hidden = torch.nn.Linear(20, 16)
    out = torch.nn.Linear(16, 27)
    with torch.no_grad():
        emb.weight.copy_(model.C)
        hidden.weight.copy_(model.W1.T)
        hidden.bias.copy_(model.b1)
        out.weight.copy_(model.W2.T)
        out.bias.copy_(model.b2)
    X = torch.randint(0, 27, (9, 4), generator=torch.Generator().manual_seed(1))
    expected = out(torch.tanh(hidden(emb(X).flatten(1))))
    got = model(X)
    assert got.shape == (9, 27)
    assert torch.allclose(got, expected, atol=1e-5)


def test_view_is_the_concatenation_of_the_context_embeddings():
    model = MLP(MLPConfig(27, 3, 2, 8), torch.Generator().manual_seed(0))
    X = torch.randint(0, 27, (5, 3), generator=torch.Generator().manual_seed(2))
    emb = model.C[X]
    # The lecture's first version: torch.cat of the three (5, 2) slices.
    cat = torch.cat([emb[:, 0, :], emb[:, 1, :], emb[:, 2, :]], 1)
    expected = torch.tanh(cat @ model.W1 + model.b1) @ model.W2 + model.b2
    assert torch.equal(model(X), expected)


def test_gradients_match_finite_differences():
    model = MLP(MLPConfig(5, 2, 3, 4, direct=True), torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.W3.normal_(generator=torch.Generator().manual_seed(1))
    params = [p.detach().double().requires_grad_(True) for p in model.parameters()]
    X = torch.randint(0, 5, (6, 2), generator=torch.Generator().manual_seed(3))
    Y = torch.randint(0, 5, (6,), generator=torch.Generator().manual_seed(4))

    def loss(*ps):
        for name, p in zip(["C", "W1", "b1", "W2", "b2", "W3"], ps):
            setattr(model, name, p)
        return F.cross_entropy(model(X), Y)

    assert torch.autograd.gradcheck(loss, tuple(params))


def test_an_unknown_init_is_refused():
    with pytest.raises(AssertionError):
        MLPConfig(init="kaiming")


def test_uniform_loss_is_minus_log_one_over_27():
    ledger.check(CHAPTER, "e2_uniform", uniform_loss(27))
    assert uniform_loss(27) == -math.log(1 / 27)


def test_calibrated_init_starts_near_the_uniform_loss(names):
    X, Y = make_splits(names, 3).train
    losses = {}
    for init in ("lecture", "calibrated"):
        model = MLP(MLPConfig(init=init), torch.Generator().manual_seed(SEED))
        with torch.no_grad():
            losses[init] = F.cross_entropy(model(X[:5000]), Y[:5000]).item()
    assert losses["calibrated"] == pytest.approx(uniform_loss(), abs=0.05)
    assert losses["lecture"] > 10  # confidently wrong: part 3 of the lecture shows ~27


def test_direct_connections_start_at_zero_and_keep_the_same_draws():
    g1, g2 = torch.Generator().manual_seed(SEED), torch.Generator().manual_seed(SEED)
    plain, direct = MLP(MLPConfig(), g1), MLP(MLPConfig(direct=True), g2)
    X = torch.randint(0, 27, (7, 3), generator=torch.Generator().manual_seed(0))
    assert torch.equal(plain(X), direct(X))
    assert torch.equal(g1.get_state(), g2.get_state())  # no extra random draw
    assert direct.num_parameters() == plain.num_parameters() + 30 * 27


def test_overfitting_one_batch_reaches_the_counting_floor(names):
    # The lecture overfits the 32 examples of the first 5 names: the loss cannot reach 0, since
    # '...' is followed by e, o, a, i and s. The floor is the loss of the empirical conditional
    # distribution of each context, computed here by counting.
    vocab = Vocabulary.from_words(names)
    X, Y = build_examples(names[:5], vocab, 3)
    assert X.shape == (32, 3)
    follow = defaultdict(Counter)
    for x, y in zip(X.tolist(), Y.tolist()):
        follow[tuple(x)][y] += 1
    floor = -sum(math.log(follow[tuple(x)][y] / sum(follow[tuple(x)].values()))
                 for x, y in zip(X.tolist(), Y.tolist())) / len(X)
    model = MLP(MLPConfig(27, 3, 2, 100), torch.Generator().manual_seed(SEED))
    g = torch.Generator().manual_seed(0)
    before = g.get_state()
    losses = train(model, X, Y, steps=1000, batch_size=None, lr=0.1, generator=g)
    assert torch.equal(g.get_state(), before), "full-batch training draws no minibatches"
    assert losses[-1].item() >= floor - 1e-4
    assert losses[-1].item() == pytest.approx(floor, abs=0.02)


def test_step_decay_and_learning_rate_sequences():
    schedule = step_decay(0.1, 100_000, 0.01)
    assert (schedule(0), schedule(99_999), schedule(100_000)) == (0.1, 0.1, 0.01)
    # A rate of zero at every step leaves the parameters alone; the generator still advances.
    model = MLP(MLPConfig(27, 3, 2, 10), torch.Generator().manual_seed(0))
    before = [p.detach().clone() for p in model.parameters()]
    X, Y = torch.zeros(10, 3, dtype=torch.long), torch.ones(10, dtype=torch.long)
    g = torch.Generator().manual_seed(1)
    start = g.get_state()
    train(model, X, Y, steps=3, batch_size=4, lr=lambda i: 0.0, generator=g)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert not torch.equal(g.get_state(), start)


def test_from_state_rebuilds_the_model():
    model = MLP(MLPConfig(27, 3, 4, 8), torch.Generator().manual_seed(0))
    copy = MLP.from_state({"vocab_size": 27, "block_size": 3, "n_embd": 4, "n_hidden": 8},
                          model.state_dict())
    X = torch.randint(0, 27, (5, 3), generator=torch.Generator().manual_seed(1))
    assert torch.equal(model(X), copy(X))
    with pytest.raises(AssertionError):
        MLP.from_state(MLPConfig(27, 3, 5, 8), model.state_dict())


def test_lr_finder_uses_exponentially_spaced_rates():
    result = lr_finder(steps=20)  # a short run of the real thing
    lre = result["lre"]
    assert lre[0] == -3.0 and lre[-1] == 0.0 and len(lre) == 20
    assert result["n_params"] == 3481
    assert torch.isfinite(result["losses"]).all()


# --- The lecture's runs (cached experiments shared with the chapter) -----------------------

def test_final_model_lands_within_the_ledgers_tolerance(trained):
    result = trained("mlp")
    ledger.check(CHAPTER, "n_params", result["n_params"])
    assert len(result["losses"]) == 200_000
    # Step 0 is the loss of the lecture's initial network on its first seeded minibatch, which
    # makemore part 3 prints for this very network and seed.
    ledger.check(CHAPTER, "e2_first_batch", result["losses"][0].item())
    # The lecture's minibatches were unseeded: a tolerance row.
    ledger.check(CHAPTER, "train_loss", result["train"])
    ledger.check(CHAPTER, "dev_loss", result["val"])


def test_final_model_state_evaluates_to_its_recorded_losses(trained, names):
    result = trained("mlp")
    model = MLP.from_state(result["config"], result["state"])
    losses = split_losses(model, make_splits(names, 3))
    # The cached run may come from another CPU, whose kernels round the 200,000-example sums
    # differently in the last float32 bits: 1e-4 is far above that and far below any real
    # difference in the weights.
    assert losses == pytest.approx({k: result[k] for k in ("train", "val", "test")}, abs=1e-4)


def test_lr_finder_finds_the_lectures_learning_rate(trained):
    result = trained("mlp_lr_finder")
    lre, losses = result["lre"], result["losses"]
    assert len(lre) == 1000
    # The loss at the largest rates is far above its minimum (the lecture: unstable near 1),
    # and the rate the lecture chose, 0.1 (10**-1), is not past the minimum's region.
    smooth = torch.nn.functional.avg_pool1d(losses[None, None], 50, 1)[0, 0]
    best = lre[25 + int(smooth.argmin())].item()
    assert -1.5 <= best <= -0.3


def test_tuned_model_beats_2_2_on_dev(trained):
    tuned = trained("mlp_tuned")
    assert tuned["config"]["block_size"] == 4 and tuned["config"]["init"] == "calibrated"
    assert tuned["val"] < 2.2           # the lecture's exercise 1
    assert tuned["val"] < trained("mlp")["val"]


def test_two_dimensional_embedding_run(trained):
    result = trained("mlp_emb2")
    assert result["n_params"] == 10281
    assert result["state"]["C"].shape == (27, 2)
    # The lecture's run of this network (more steps) reached about 2.2 on dev; ours, shorter,
    # must at least clearly beat the bigram model (about 2.45).
    assert result["val"] < 2.4


def test_direct_connections_run_is_the_tuned_run_plus_w3(trained):
    direct, plain = trained("mlp_tuned_direct"), trained("mlp_tuned")
    assert plain["n_params"] == 13897  # 27*10 + 40*200 + 200 + 200*27 + 27
    assert direct["n_params"] == plain["n_params"] + 40 * 27
    assert direct["config"]["direct"] and not plain["config"]["direct"]


def test_hidden_then_embedding_runs_share_one_budget(trained):
    # Chapter 3's story: at one budget of steps, a larger hidden layer, then larger embeddings.
    results = [trained(n) for n in ("mlp_h100", "mlp_emb2", "mlp_emb10")]
    sizes = [(r["config"]["n_embd"], r["config"]["n_hidden"]) for r in results]
    assert sizes == [(2, 100), (2, 300), (10, 200)]
    assert [r["n_params"] for r in results] == [3481, 10281, 11897]
    assert all(len(r["losses"]) == 50_000 for r in results)
    h100, h300, emb10 = (r["val"] for r in results)
    assert emb10 < h300 < h100
    assert h100 - h300 < h300 - emb10       # the embeddings were the bottleneck
    assert trained("mlp")["val"] < emb10     # four times the steps, better again
