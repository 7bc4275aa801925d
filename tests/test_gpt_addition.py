"""zerohero.gpt.addition: exercise 2 of chapter 7, a GPT that adds."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from zerohero.gpt.addition import IGNORE, TOKENIZER, accuracy, all_pairs, encode, problem
from zerohero.gpt.model import GPT, GPTConfig


@given(a=st.integers(0, 999), b=st.integers(0, 999))
def test_problem_writes_the_sum_reversed(a, b):
    s = problem(a, b, 3)
    question, answer = s.split("=")
    assert question == f"{a:03d}+{b:03d}"
    assert len(answer) == 4 and int(answer[::-1]) == a + b


def test_problem_checks_digits():
    with pytest.raises(AssertionError):
        problem(100, 1, 2)


def test_targets_count_only_the_answer():
    x, y = encode(torch.tensor([[7, 25]]), 2)
    assert TOKENIZER.decode(x[0]) == "07+25=23"
    assert y[0, :5].tolist() == [IGNORE] * 5
    assert TOKENIZER.decode(y[0, 5:]) == "230"  # 32 reversed, padded to 3 digits


def test_the_models_loss_counts_only_the_answer():
    """IGNORE is F.cross_entropy's default ignore_index: the GPT's own loss
    is the loss over the answer's digits."""
    import torch.nn.functional as F
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=TOKENIZER.vocab_size, block_size=8, n_embd=16, n_head=2,
                          n_layer=1, dropout=0.0))
    x, y = encode(torch.tensor([[7, 25], [99, 99]]), 2)
    logits, loss = model(x, y)
    answer = logits[:, 5:].reshape(-1, TOKENIZER.vocab_size)
    torch.testing.assert_close(loss, F.cross_entropy(answer, y[:, 5:].reshape(-1)))


def test_split_is_a_partition():
    train, test = all_pairs(1)
    assert len(train) == 90 and len(test) == 10
    both = {tuple(p) for p in torch.cat([train, test]).tolist()}
    assert both == {(a, b) for a in range(10) for b in range(10)}


def test_accuracy_of_an_untrained_model_is_low():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=TOKENIZER.vocab_size, block_size=8, n_embd=16, n_head=2,
                          n_layer=1, dropout=0.0))
    _, test = all_pairs(2)
    assert accuracy(model, test[:200], 2) < 0.05


def test_trained_model_adds_held_out_problems(trained):
    result = trained("gpt-addition")
    assert result["n_test"] == 1000 and result["n_train"] == 9000
    assert result["test_accuracy"] >= 0.95
