"""Chapter 5 as the build executes it: header, glued numbers, tables and
figures.

The expected values are the ledger's (the lecture's printed numbers) or
independent facts; the chapter's numbers come from the same cached runs the
build uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import glued_markdown, images

from zerohero.build import ledger
from zerohero.makemore import manual_backprop as mb

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = ["05_backprop_ninja"]
NINJA = "05_backprop_ninja"






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


def test_chapter5_gradients(glue):
    v = glue(NINJA)
    assert v["n_compared"] == 26
    ledger.check(NINJA, "n_exact", v["n_exact"])  # all exact, as the lecture's
    ledger.check(NINJA, "ce_maxdiff", v["ce_maxdiff"])
    ledger.check(NINJA, "bn_maxdiff", v["bn_maxdiff"])
    ledger.check(NINJA, "loss", v["loss"])
    # float32 rounding of two ways to compute the same loss near 3.3
    assert v["loss_fast_diff"] < 1e-4
    assert v["e5_diff"] < 1e-12  # float64: only rounding
    assert v["n_params_small"] == 4137  # 27*10 + 30*64 + 64 + 64*27 + 27 + 128
    ledger.check(NINJA, "n_params", v["n_params"])


def test_chapter5_training(glue):
    v = glue(NINJA)
    ledger.check(NINJA, "train", v["train"])
    ledger.check(NINJA, "val", v["val"])
    train, val = ledger.printed(NINJA, "train_val")
    assert v["lecture_train"] == train and v["lecture_val"] == val


def test_chapter5_comparison_table(executed):
    nb = executed("05_backprop_ninja")
    rows = [r.split("|")[1:-1] for r in glued_markdown(nb, "cmp_table").splitlines()[2:]]
    assert [r[0].strip() for r in rows] == list(mb.BACKWARD_ORDER)
    assert all(r[1].strip() == "True" and r[4].strip() == "True" for r in rows)
    assert images(nb) >= 2
