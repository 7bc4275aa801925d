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
