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


def test_lecture_and_check_read_the_rows():
    assert ledger.lecture("06_wavenet", "val_5") == 1.9937
    ledger.check("06_wavenet", "val_5", 1.99366)          # equal at 4 decimals
    with pytest.raises(AssertionError, match="val_5"):
        ledger.check("06_wavenet", "val_5", 1.99376)      # rounds to 1.9938
    ledger.check("03_mlp", "dev_loss", 2.1701 + 0.0099)   # inside ±0.01
    with pytest.raises(AssertionError, match="OUT OF TOLERANCE"):
        ledger.check("03_mlp", "dev_loss", 2.1701 + 0.0101)
    with pytest.raises(KeyError, match="no row"):
        ledger.lecture("06_wavenet", "nope")


def _typed_forms(entry):
    """How a lecture's number would look if someone typed it in: its repr and its printed
    digits. Only numbers specific enough to be recognised (3+ significant decimals)."""
    value = entry.lecture
    if isinstance(value, bool) or not isinstance(value, float):
        return set()
    forms = {repr(value)}
    if entry.expect == "exact" and entry.digits < 8:
        forms.add(f"{value:.{entry.digits}f}")
    return {f for f in forms if len(f.lstrip("-").replace(".", "").strip("0")) >= 4}


def test_lecture_numbers_are_typed_only_in_the_ledger():
    """The ledger is the one place a lecture's printed number is typed: chapters, lesson
    modules and tests read it from there."""
    from pathlib import Path
    root = Path(ledger.__file__).resolve().parents[3]
    files = [p for p in (root / "code").rglob("*.py") if p.name != "ledger.py"]
    files += list((root / "book").glob("*.md")) + list((root / "tests").glob("*.py"))
    files = [p for p in files if p.name != "test_ledger.py"]
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    found = []
    for entry in CHECKED:
        for form in _typed_forms(entry):
            found += [f"{p.relative_to(root)}: {form} ({entry.chapter}::{entry.key})"
                      for p, text in texts.items() if form in text]
    assert not found, "lecture numbers typed outside the ledger:\n" + "\n".join(found)
