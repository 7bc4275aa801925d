"""Chapters 4 and 5 as the build executes them: header, glued numbers, tables and figures.

The expected values are the lecture's printed numbers (kept in the modules as LECTURE_*
constants) or independent facts (parameter counts, -log(1/27)); the chapters' numbers come
from the same cached runs the build uses.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from zerohero.makemore import batchnorm as bn
from zerohero.makemore import manual_backprop as mb

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = ["05_backprop_ninja"]
LAST_PLACE = 5e-7  # a few float32 steps near 2.1: see test_makemore_batchnorm.py


def glued_markdown(nb, name):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == name:
                # glue(..., display=False) stores it as application/papermill.record/text/markdown
                return next(v for k, v in out["data"].items() if k.endswith("text/markdown"))
    raise KeyError(name)


def images(nb):
    return sum("image/png" in out.get("data", {}) for cell in nb.cells
               for out in cell.get("outputs", []))


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
    v = glue("05_backprop_ninja")
    assert v["n_compared"] == 26 and v["n_exact"] == 26  # all exact, as in the lecture
    assert v["ce_maxdiff"] <= 1e-8
    assert v["bn_maxdiff"] <= 1e-8
    assert v["loss_fast_diff"] < 1e-6
    assert v["e5_diff"] < 1e-12
    assert (v["n_params_small"], v["n_params"]) == (4137, 12297)


def test_chapter5_training(glue):
    v = glue("05_backprop_ninja")
    assert v["train"] == pytest.approx(mb.LECTURE_TRAIN_VAL[0], abs=0.01)
    assert v["val"] == pytest.approx(mb.LECTURE_TRAIN_VAL[1], abs=0.01)


def test_chapter5_comparison_table(executed):
    nb = executed("05_backprop_ninja")
    rows = [r.split("|")[1:-1] for r in glued_markdown(nb, "cmp_table").splitlines()[2:]]
    assert [r[0].strip() for r in rows] == list(mb.BACKWARD_ORDER)
    assert all(r[1].strip() == "True" and r[4].strip() == "True" for r in rows)
    assert images(nb) >= 2
