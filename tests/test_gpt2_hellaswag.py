"""zerohero.gpt2.hellaswag: the completion-style multiple-choice score."""

import math

import pytest
import torch
import torch.nn as nn

from zerohero.gpt2.hellaswag import (ITEMS, ending_losses, evaluate,
                                     iterate_examples, render_example)


def encode(text):  # a byte-level stand-in for a tokenizer
    return list(text.encode("utf-8"))


class Table(nn.Module):
    """A bigram model with log-probabilities we choose: ``logp[a, b]`` is
    the log-probability of byte ``b`` after byte ``a``."""

    def __init__(self, logp):
        super().__init__()
        self.logp = logp

    def forward(self, idx, targets=None):
        return self.logp[idx], None


def test_shipped_items_are_well_formed():
    items = list(iterate_examples(ITEMS))
    assert len(items) >= 8
    for item in items:
        assert len(item["endings"]) == 4 and item["label"] in range(4)
        assert item["ctx"] and all(item["endings"])


def test_render_masks_the_ending_tokens():
    example = {"ctx": "ab", "endings": ["c", "dd", "e", "fff"], "label": 1}
    tokens, mask, label = render_example(example, encode)
    assert label == 1 and tokens.shape == mask.shape == (4, 6)
    assert tokens[3].tolist() == encode("ab fff")
    assert mask[3].tolist() == [0, 0, 1, 1, 1, 1]  # the space and "fff"
    assert mask[0].tolist() == [0, 0, 1, 1, 0, 0]  # padding is not scored
    assert tokens[0, 4:].tolist() == [0, 0]


def test_summed_and_mean_losses_by_hand():
    torch.manual_seed(0)
    logp = torch.log_softmax(torch.randn(256, 256), dim=-1)
    example = {"ctx": "ab", "endings": ["c", "dd", "e", "fff"], "label": 1}
    tokens, mask, _ = render_example(example, encode)
    total, mean = ending_losses(logp[tokens], tokens, mask)
    for i, ending in enumerate(example["endings"]):
        seq = encode("ab " + ending)
        # ' ' + ending are tokens 2.. of "ab ...": each from the one before
        nll = [-logp[seq[t - 1], seq[t]].item() for t in range(2, len(seq))]
        assert math.isclose(total[i].item(), sum(nll), rel_tol=1e-5)
        assert math.isclose(mean[i].item(), sum(nll) / len(nll), rel_tol=1e-5)


def test_normalised_score_does_not_punish_long_endings():
    # every byte after a space or letter is likely (-1) but 'x' is less so
    # (-1.5): "xx" has the lower sum, the long "yyyy" the lower mean
    logp = torch.full((256, 256), -1.0)
    logp[:, ord("x")] = -1.5
    logp[:, ord("y")] = -1.2
    example = {"ctx": "a", "endings": ["x", "yyyy", "xx x", "xxxx"],
               "label": 1}
    result = evaluate(Table(logp), [example], encode)
    assert result["items"][0]["pred"] == 0  # fewest tokens: smallest sum
    assert result["items"][0]["pred_norm"] == 1
    assert (result["acc"], result["acc_norm"]) == (0.0, 1.0)
