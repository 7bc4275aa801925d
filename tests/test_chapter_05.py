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


def literalincludes(chapter):
    """(path, options) of every literalinclude of a chapter, read with
    Sphinx's own reader: the lines it shows."""
    from myst_parser.parsers.options import options_to_items
    from sphinx.config import Config
    from sphinx.directives.code import LiteralIncludeReader

    md = BOOK / f"{chapter}.md"
    blocks = re.findall(r"```\{literalinclude\} (\S+)\n((?::[\w-]+:.*\n)*)```",
                        md.read_text(encoding="utf-8"))
    for path, block in blocks:
        # as MyST reads a directive's options: quotes stripped, empty None
        items, _ = options_to_items(
            "\n".join(line[1:] for line in block.splitlines()))
        options = {key: value or None for key, value in items}
        reader = LiteralIncludeReader(str((md.parent / path).resolve()),
                                      options, Config({}, {}))
        yield options, reader.read()[0]


@pytest.mark.unit
def test_each_step_of_exercise_1_shows_its_lines():
    # The backward pass is shown step by step, as slices of the function
    # that ran: each slice must exist, and together they are all of it.
    shown = {}
    for options, text in literalincludes(NINJA):
        assert max(map(len, text.splitlines())) <= 80, options
        if options.get("pyobject") == "backward":
            assert "start-at" in options, "the backward pass shown in slices"
            shown[options["start-at"]] = text
    import inspect
    body = inspect.getsource(mb.backward)
    for text in shown.values():
        for line in text.splitlines():
            assert line.strip() in body
    statements = [line.strip() for line in body.splitlines()
                  if line.strip().startswith(("d", "argmax"))
                  and not line.strip().startswith("def ")]
    in_slices = {line.strip() for text in shown.values()
                 for line in text.splitlines()}
    assert [s for s in statements if s not in in_slices] == []


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
    assert v["lecture_n_exact"] == ledger.lecture(NINJA, "n_exact")
    # the sentences about the one-line gradients: approximate, as the
    # lecture's, and the verdict on exactness generated from the result
    assert v["ce_approximate"] and v["bn_approximate"]
    assert v["ce_verdict"].startswith("bit-exact" if v["ce_exact"] else "not")
    assert v["n_step_ok"] == v["n_step"] == 7  # the seven parameters
    # zero in exact arithmetic: only float32 rounding is left
    assert v["dlogit_maxes"] < 1e-6 and v["db1_max"] < 1e-6
    assert v["ce_row_sum"] < 1e-6


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
