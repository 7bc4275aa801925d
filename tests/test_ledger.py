"""The reproduction ledger: every row within its tolerance, read from the chapters' glue."""

from __future__ import annotations

import pytest

from zerohero.build import ledger
from zerohero.build.ledger import ENTRIES, Entry

CHECKED = [e for e in ENTRIES if e.expect != "differs"]


@pytest.mark.parametrize("entry", CHECKED, ids=lambda e: f"{e.chapter}:{e.key}")
def test_row_holds(entry, glue):
    values = glue(entry.chapter)
    assert entry.key in values, f"{entry.chapter} does not glue {entry.key!r}"
    mark, ok = ledger.mark(entry, values[entry.key])
    assert ok, f"{entry.quantity}: ours {values[entry.key]!r}, lecture {entry.lecture!r} ({mark})"


def test_every_differing_row_says_why():
    for e in ENTRIES:
        if e.expect != "exact":
            assert e.why, f"{e.chapter} {e.quantity}: a difference needs its reason"


def test_marks():
    exact = Entry("c", "q", "k", 2.1057, digits=4)
    assert ledger.mark(exact, 2.1056840419769287) == ("exact", True)
    assert ledger.mark(exact, 2.1058)[1] is False
    tol = Entry("c", "q", "k", 2.1260, expect="tolerance", tol=0.01)
    assert ledger.mark(tol, 2.135)[1] and not ledger.mark(tol, 2.137)[1]
    assert ledger.mark(Entry("c", "q", "k", 41), 41) == ("exact", True)
    assert ledger.mark(Entry("c", "q", "k", 41), None) == ("missing", False)
    with pytest.raises(ValueError):
        Entry("c", "q", "k", 1.0, expect="close")


def test_every_lecture_chapter_has_rows():
    from conftest import chapters
    lecture_chapters = {c for c in chapters() if c[:2].isdigit() and c != "00_nn_from_scratch"}
    assert lecture_chapters <= {e.chapter for e in ENTRIES}
