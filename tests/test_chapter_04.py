"""Chapters 4 and 5 as the build executes them: header, glued numbers, tables and figures.

The expected values are the lecture's printed numbers, read from the ledger and checked as its
rows promise, or independent facts (-log(1/27)); the chapters' numbers come from the same
cached runs the build uses.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from conftest import glued_markdown, images
import torch

from zerohero.build import ledger
from zerohero.makemore import batchnorm as bn

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = ["04_batchnorm"]
ROWS = [e.key for e in ledger.ENTRIES if e.chapter == ledger.BATCHNORM]






@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_the_jupytext_header(chapter):
    text = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front = text.split("---\n")[1]
    for line in ("format_name: myst", "name: python3", "execution_timeout: 600"):
        assert line in front, f"{chapter}: front matter lacks {line!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_number_in_the_prose_is_glued(chapter, glue):
    text = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    used = set(re.findall(r"\{glue:(?:text|md)\}`([\w]+)", text))
    used |= set(re.findall(r"```\{glue:md\} (\w+)", text))
    missing = used - set(glue(chapter))
    assert not missing, f"{chapter}: prose uses unglued values {sorted(missing)}"


@pytest.mark.parametrize("key", ROWS)
def test_chapter4_reproduces_the_lecture(glue, key):
    v = glue("04_batchnorm")
    ledger.check(ledger.BATCHNORM, key, v[key])
    assert v[f"lecture_{key}"] == ledger.lecture(ledger.BATCHNORM, key)


def test_chapter4_uniform_loss(glue):
    assert glue("04_batchnorm")["uniform_loss"] == pytest.approx(math.log(27))


def test_chapter4_batchnorm_facts(glue):
    v = glue("04_batchnorm")
    assert v["bn_std_after"] == pytest.approx(1.0, abs=1e-5)
    assert v["b1_grad_max"] < 1e-6 < 1e-3 < v["W1_grad_max"]
    # Bessel's correction for a batch of 32, as torch applies it (not the formula
    # the chapter glued): the ratio of the unbiased to the biased std
    x = torch.randn(32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert v["bessel_factor"] == pytest.approx(float(x.std() / x.std(correction=0)))
    assert v["bn_vs_nn"] < 1e-5  # layers.BatchNorm1d(correction=0) is torch.nn.BatchNorm1d
    # torch's gain for tanh, not the lesson's constant, over sqrt(fan_in = 30)
    gain = torch.nn.init.calculate_gain("tanh")
    assert v["kaiming_scale"] == pytest.approx(gain / math.sqrt(30))
    # calibrated statistics and running statistics give nearly the same network
    assert v["bn_calibrated_val"] == pytest.approx(v["batchnorm_val"], abs=0.005)


def test_chapter4_exercises(glue):
    v = glue("04_batchnorm")
    assert v["zero_train"] == pytest.approx(v["unigram_entropy"], abs=0.01)
    assert v["fold_diff"] < 1e-4
    assert v["fold_val"] == pytest.approx(v["deep_val"], abs=1e-5)


def test_chapter4_table_and_figures(executed):
    nb = executed("04_batchnorm")
    table = glued_markdown(nb, "loss_log_table")
    assert [row.split("|")[1].strip() for row in table.splitlines()[2:]] == list(bn.INIT_SCHEMES)
    # hockey stick, saturation maps, gains, the four diagnostics (one figure of four panels)
    assert images(nb) >= 4


def test_chapter4_initial_loss_sentences(glue):
    v = glue("04_batchnorm")
    # equal logits give the uniform loss; larger logits, larger losses
    assert v["scale_loss_0"] == pytest.approx(math.log(27), abs=1e-6)
    scales = [v[f"scale_loss_{s}"] for s in (0, 1, 5, 10)]
    assert scales == sorted(scales)
    # "far above" the uniform loss, then "close to" it
    assert v["step0_original"] > 5 * v["uniform_loss"]
    assert v["step0_fix_softmax"] == pytest.approx(v["uniform_loss"], abs=0.1)


def test_chapter4_saturation_sentences(glue):
    v = glue("04_batchnorm")
    assert v["tanh_pass_099"] == pytest.approx(1 - 0.99**2)
    assert v["saturated_fix_softmax"] > 50 > 5 > v["saturated_fix_tanh"]
    assert v["dead_fix_tanh"] == 0  # "no column is white from top to bottom"
    assert v["hpreact_std_fix_tanh"] < v["hpreact_std_fix_softmax"]
    # the Kaiming scale is near the hand-picked 0.2
    assert abs(v["kaiming_scale"] - 0.2) < 0.15
    assert v["std_xw"] == pytest.approx(math.sqrt(10), rel=0.05)
    assert v["std_xw_scaled"] == pytest.approx(1, rel=0.05)


def test_chapter4_torch_nn_defaults(glue):
    v = glue("04_batchnorm")
    assert v["nn_linear_bound"] == pytest.approx(1 / math.sqrt(30))
    assert v["nn_linear_max"] <= v["nn_linear_bound"]
    assert v["nn_linear_std"] == pytest.approx(1 / math.sqrt(90), rel=0.05)


def test_chapter4_loss_log_sentences(glue):
    v = glue("04_batchnorm")
    # "each of the first three rows lowers the val loss", generated; and
    # Kaiming's rule lands close to the hand-tuned scale
    assert v["original_val"] > v["fix_softmax_val"] > v["fix_tanh_val"]
    assert v["kaiming_vs_tanh"] < 0.01
    # BatchNorm "buys next to nothing" on the shallow network
    assert v["bn_vs_best"] < 0.01


def test_chapter4_gain_sentences_without_batchnorm(glue):
    v = glue("04_batchnorm")
    # gains 0.5, 1, 5/3, 3 are glued as gain_0 .. gain_3
    assert v["gain_1_std_last"] < v["gain_1_std_first"]  # squashes a little more
    assert v["gain_1_grad_ratio"] < 1  # gradients fade on their way back
    assert (v["gain_0_std_last"] / v["gain_0_std_first"]
            < v["gain_1_std_last"] / v["gain_1_std_first"])  # faster collapse
    assert v["gain_3_sat_last"] > 20 and v["gain_3_grad_ratio"] > 2
    assert v["gain_2_std_last"] == pytest.approx(v["gain_2_std_first"], rel=0.2)
    assert 0.5 < v["gain_2_grad_ratio"] < 2  # "of roughly one size"


def test_chapter4_linear_case(glue):
    v = glue("04_batchnorm")
    assert v["linear_1_last"] == pytest.approx(v["linear_1_first"], rel=0.1)
    assert v["linear_53_factor"] == pytest.approx((5 / 3) ** 4)
    # four more factors of 5/3 above the first layer's (about 1)
    assert v["linear_53_last"] == pytest.approx(
        v["linear_53_factor"] * 5 / 3, rel=0.15)


def test_chapter4_plain_network_sentences(glue):
    v = glue("04_batchnorm")
    assert v["plain_last_vs_hidden"] > 10  # "far faster than the rest"
    # lr 0.1: a little above the -3 guide; lr 0.001: about two orders lower
    assert -3 < v["plain_01_min"] <= v["plain_01_max"] < -2
    assert v["plain_0001_max"] < v["plain_01_min"] - 1.5
    assert v["plain_lr_gap"] == pytest.approx(2, abs=0.75)
    assert v["plain_0001_step"] == pytest.approx(10 ** v["plain_0001_mean"])
    # the last layer starts far above the hidden layers and comes down
    assert v["plain_last_early"] > v["plain_last_late"] > v["plain_01_max"]
    assert v["plain_0001_val"] > v["plain_01_val"]


def test_chapter4_deep_diagnostics_sentences(glue):
    v = glue("04_batchnorm")
    assert v["deep_last_vs_hidden"] > 1  # the last layer's ratio is the largest
    # the embeddings below the -3 rule of thumb, the Linear layers above it
    assert v["ud_min"] < -3 < v["ud_max"]
    assert v["lecture_tanh_first_std"] == ledger.printed(
        ledger.BATCHNORM, "deep_tanh")[0][2]


def test_chapter4_gain_still_matters_with_batchnorm(glue):
    v = glue("04_batchnorm")
    # at initialisation: the same loss for every gain, grad:data as 1/gain^2
    assert v["bn_init_loss_spread"] < 1e-4
    assert v["bn_init_ratio_02"] == pytest.approx(1 / 0.2**2, rel=0.01)
    # after 1,000 steps: the smaller the gain, the larger the update:data
    # ratio, by far more than the activations move
    uds = [v[f"bn_gain_{k}_ud"] for k in ("02", "1", "53", "3")]
    assert uds == sorted(uds, reverse=True)
    assert uds[0] - uds[-1] > 1
    assert v["bn_gain_order"] == "the smaller the gain, the larger the ratio"
    assert v["bn_tanh_std_max"] - v["bn_tanh_std_min"] < 0.05
    assert v["bn_gain_lr_factor"] == pytest.approx(
        10 ** (v["bn_gain_02_ud"] - v["bn_gain_1_ud"]))
    assert v["bn_gain_lr_factor"] > 2
    vals = {k: v[f"bn_gain_{k}_val"] for k in ("02", "1", "53", "3")}
    best = {"02": "gain 0.2", "1": "gain 1", "53": "gain 5/3", "3": "gain 3"}
    assert v["bn_best_gain"] == best[min(vals, key=vals.get)]
    assert v["bn_gain_1_val"] == v["deep_val"]  # gain 1 is ch04-deep


def test_chapter4_e01_only_the_output_bias_learns(glue):
    v = glue("04_batchnorm")
    for name in ("C", "W1", "b1", "W2"):
        assert v[f"zero_changed_{name}"] == 0
    assert v["zero_changed_b2"] > 0.1
