"""The reproduction ledger: every row within its tolerance, read from the chapters' glue."""

from __future__ import annotations

import json
from pathlib import Path

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


RUN = "run:a row made up by this test"


def test_marks():
    exact = Entry("c", "q", "k", 2.1057, digits=4, source=RUN)
    assert ledger.mark(exact, 2.1056840419769287) == ("exact", True)
    assert ledger.mark(exact, 2.1058)[1] is False
    tol = Entry("c", "q", "k", 2.1260, expect="tolerance", tol=0.01, source=RUN)
    assert ledger.mark(tol, 2.135)[1] and not ledger.mark(tol, 2.137)[1]
    assert ledger.mark(Entry("c", "q", "k", 41, source=RUN), 41) == ("exact", True)
    assert ledger.mark(Entry("c", "q", "k", 41, source=RUN), None) == ("missing", False)
    with pytest.raises(ValueError):
        Entry("c", "q", "k", 1.0, expect="close", source=RUN)


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


# --- sources: where the lecture printed each value --------------------------------------

EXTRACT_PATH = Path(__file__).parent / "data" / "lecture_outputs.json"
EXTRACT = json.loads(EXTRACT_PATH.read_text(encoding="utf-8"))
CHECKABLE = ("nb", "file")


def _kind(source):
    return ledger.parse_source(source).kind


def _decimals(token):
    mantissa = token.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _row_matches(token, value, digits):
    """Whether a printed token shows a row's value at the row's digits: ints exactly, floats
    rounded to ``digits`` from a token printed with at least that many decimals."""
    if token == "inf":
        return value == float("inf")
    t = float(token)
    if isinstance(value, int):
        return t == value
    if t == value:
        return True
    plain = "e" not in token.lower()
    return plain and _decimals(token) >= digits and round(t, digits) == round(value, digits)


def _log_matches(token, value):
    """Whether a printed token shows a log's number: equal, or the number rounded to the
    token's own precision (a log keeps what each line printed)."""
    if token == "inf":
        return value == float("inf")
    t = float(token)
    if t == value:
        return True
    fmt = f".{_decimals(token)}{'e' if 'e' in token.lower() else 'f'}"
    return float(format(value, fmt)) == t


def _row_values(entry):
    """A row's value as a sequence to find in order (lists printed as strings), or one."""
    value = entry.lecture
    if isinstance(value, str):
        return [float("inf")] if value == "inf" else json.loads(value)
    return [value]


def found_in(numbers, entry, counts=None):
    """Whether ``entry``'s lecture value is among a cell's printed numbers (a list's items
    in order), or is the count its note says it counted."""
    want = _row_values(entry)
    n = len(want)
    for i in range(len(numbers) - n + 1):
        if all(_row_matches(numbers[i + j], want[j], entry.digits) for j in range(n)):
            return True
    if counts and entry.note.startswith("counted:"):
        return any(f"'{phrase}'" in entry.note and count == entry.lecture
                   for phrase, count in counts.items())
    return False


def _flatten(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flatten(item)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    return []  # descriptions: words, not printed numbers


SOURCED_ROWS = [e for e in ENTRIES if _kind(e.source) in CHECKABLE]


def test_every_row_and_log_names_a_source_that_parses():
    for e in ENTRIES:
        assert isinstance(e.source, str) and ledger.parse_source(e.source), e.key
    assert set(ledger.PRINTED_SOURCES) == set(ledger.PRINTED), \
        "every printed log needs its source, and every source its log"
    for key in ledger.PRINTED_SOURCES:
        for source in ledger.printed_sources(*key):
            ledger.parse_source(source)


def test_a_row_cannot_be_made_without_a_source():
    with pytest.raises(TypeError, match="source"):
        Entry("c", "q", "k", 1.0)
    with pytest.raises(ValueError, match="not a ledger source"):
        Entry("c", "q", "k", 1.0, source="the video, somewhere")


@pytest.mark.parametrize("text, kind, url", [
    (f"{ledger.PART3}#11:md", "nb",
     "https://github.com/karpathy/nn-zero-to-hero/blob/"
     "73c3fcc741f0ec104ca850b1fb0df90e7e8d4cde/lectures/makemore/makemore_part3_bn.ipynb"),
    ("file:micrograd:README.md#L33", "file", "https://github.com/karpathy/micrograd/blob/"
     "c911406e5ace8742e5841a7e0df113ecb5d54685/README.md#L33"),
    ("video:PaCmpygFfXo@1:00:20", "video", "https://www.youtube.com/watch?v=PaCmpygFfXo&t=3620s"),
    ("video:t3YJ5hKiMQ0@19:55", "video", "https://www.youtube.com/watch?v=t3YJ5hKiMQ0&t=1195s"),
    ("url:https://colab.research.google.com/drive/x", "url",
     "https://colab.research.google.com/drive/x"),
    ("run:makemore.py --type mlp, 5,000 steps", "run", None),
    ("derived:-log(1/27) = ln 27", "derived", None),
])
def test_sources_parse_and_link(text, kind, url):
    assert ledger.parse_source(text).kind == kind
    assert ledger.source_url(text) == url
    assert ledger.source_label(text)


@pytest.mark.parametrize("text", [
    "nb:nn-zero-to-hero:lectures/x.ipynb",          # no cell
    "nb:someone-else:demo.ipynb#3",                 # not a lecture repository
    "file:micrograd:README.md#33",                  # no L
    "video:notAVideoId@1:00",                       # unknown video
    "video:PaCmpygFfXo",                            # no time
    "run:",                                         # says nothing
    "youtube:PaCmpygFfXo@1:00:20",                  # unknown kind
])
def test_malformed_sources_are_refused(text):
    with pytest.raises(ValueError):
        ledger.parse_source(text)


def test_the_extract_is_at_the_ledgers_commits_and_holds_exactly_the_named_sources():
    assert EXTRACT["commits"] == ledger.COMMITS
    named = {e.source for e in SOURCED_ROWS}
    named |= {s for key in ledger.PRINTED_SOURCES for s in ledger.printed_sources(*key)
              if _kind(s) in CHECKABLE}
    assert set(EXTRACT["sources"]) == named, (
        "regenerate tests/data/lecture_outputs.json with tests/data/extract_lecture_outputs.py")


@pytest.mark.parametrize("entry", SOURCED_ROWS, ids=lambda e: f"{e.chapter}:{e.key}")
def test_a_notebook_or_file_value_is_printed_in_its_cell(entry):
    cell = EXTRACT["sources"][entry.source]
    assert found_in(cell["numbers"], entry, cell.get("counts")), (
        f"{entry.chapter}::{entry.key}: {entry.lecture!r} is not printed at {entry.source} "
        f"(it printed {cell['numbers'][:40]})")


CHECKED_LOGS = sorted(k for k in ledger.PRINTED
                      if any(_kind(s) in CHECKABLE for s in ledger.printed_sources(*k)))


def test_only_the_exercise_notebooks_answers_are_logs_without_an_extract():
    # the micrograd exercises notebook is on Colab, not in a lecture repository
    unchecked = set(ledger.PRINTED) - set(CHECKED_LOGS)
    assert unchecked == {(ledger.MICROGRAD, "exercise_gradient"),
                         (ledger.MICROGRAD, "exercise_softmax_grad")}
    assert all(_kind(s) == "url" for k in unchecked for s in ledger.printed_sources(*k))


@pytest.mark.parametrize("key", CHECKED_LOGS, ids=lambda k: f"{k[0]}:{k[1]}")
def test_every_number_of_a_printed_log_is_printed_at_its_sources(key):
    sources = ledger.printed_sources(*key)
    numbers = [n for s in sources if _kind(s) in CHECKABLE
               for n in EXTRACT["sources"][s]["numbers"]]
    # a number a video showed is the lecture value of one of the chapter's video rows
    from_video = {e.lecture for e in ENTRIES
                  if e.chapter == key[0] and _kind(e.source) == "video" and e.source in sources}
    missing = [v for v in _flatten(ledger.PRINTED[key])
               if v not in from_video and not any(_log_matches(t, v) for t in numbers)]
    assert not missing, f"{key}: not printed at {sources}: {missing}"


def _mutated_value(entry):
    value = entry.lecture
    if isinstance(value, str):
        items = _row_values(entry)
        if items == [float("inf")]:
            return "1.0"
        return json.dumps([items[0] + 1] + items[1:])
    if isinstance(value, int):
        return value + 1
    if value == 0:
        return 10.0 ** -entry.digits
    if abs(value) < 10 ** -entry.digits:
        return value * 1.5
    return value + 10 ** -min(entry.digits, 15)


# Rows whose value any nearby number would also be found for, and why.
WEAK = {"moons_first_100": "a step number, and the cell prints every step from 0 to 99"}


def test_the_check_fails_on_a_changed_value():
    """Mutation: every notebook or file row, its value moved by one unit of its last printed
    digit, is no longer found where it claims to be printed."""
    from dataclasses import replace
    still_found = []
    for e in SOURCED_ROWS:
        if e.key in WEAK:
            continue
        cell = EXTRACT["sources"][e.source]
        wrong = replace(e, lecture=_mutated_value(e))
        if found_in(cell["numbers"], wrong, cell.get("counts")):
            still_found.append(f"{e.chapter}::{e.key}")
    assert not still_found, f"a changed value still passes: {still_found}"


def test_the_check_fails_on_a_wrong_cell():
    """Mutation: a row pointed at another extracted cell of the same notebook (or line of the
    same file) is not found there, except where that cell prints the same number too."""
    from dataclasses import replace
    passed, caught = [], 0
    for e in SOURCED_ROWS:
        here = ledger.parse_source(e.source)
        for other in EXTRACT["sources"]:
            there = ledger.parse_source(other)
            if other == e.source or (there.repo, there.path) != (here.repo, here.path):
                continue
            cell = EXTRACT["sources"][other]
            if found_in(cell["numbers"], replace(e, source=other), cell.get("counts")):
                passed.append(f"{e.key}@{other.rsplit('#', 1)[1]}")
            else:
                caught += 1
    # Small integers and round gradients recur across cells; most moves are still caught.
    assert caught > 5 * len(passed), (caught, passed)


def test_a_video_rows_section_note_names_the_sources_time():
    """'in the section starting at m:ss' in a video row's note is the time it links to."""
    import re
    for e in ENTRIES:
        s = ledger.parse_source(e.source)
        m = re.search(r"in the section starting at (\d+(?::\d\d)+)", e.note)
        if s.kind != "video" or not m:
            continue
        *h, mm, ss = (int(x) for x in m[1].split(":"))
        assert (h[0] if h else 0) * 3600 + mm * 60 + ss == s.seconds, e.key
