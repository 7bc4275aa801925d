"""The reproduction ledger: every number the lectures print, next to the book's own.

Each ``Entry`` names the chapter and the glue key of the book's value, the lecture's printed
value and what agreement to expect:

- ``exact``: equal at the lecture's printed digits (``digits`` decimals);
- ``tolerance``: within ``tol`` (an unseeded lecture run, or a changed setting);
- ``differs``: not comparable (e.g. sampled names after torch 2.0 changed multinomial); shown
  with its reason, never checked.

The ledger page (``book/ledger.md``) renders the table from the values the chapters glued, and
a row outside its tolerance is a build warning (so the ``-W`` build fails) as well as a test
failure (``tests/test_ledger.py``).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    chapter: str          # e.g. "04_batchnorm"
    quantity: str         # what the number is, in words
    key: str              # the chapter's glue key holding the book's value
    lecture: object       # the lecture's printed value
    expect: str = "exact"  # "exact" | "tolerance" | "differs"
    digits: int = 4       # decimals the lecture printed (for "exact")
    tol: float = 0.0      # absolute tolerance (for "tolerance")
    why: str = ""         # one line: why a difference is expected, or what makes it exact

    def __post_init__(self):
        if self.expect not in ("exact", "tolerance", "differs"):
            raise ValueError(f"{self.quantity}: expect must be exact, tolerance or differs, "
                             f"not {self.expect!r}")


def mark(entry: Entry, ours) -> tuple[str, bool]:
    """(the mark shown, whether the row holds)."""
    if entry.expect == "differs":
        return "differs", True
    if ours is None:
        return "missing", False
    if isinstance(entry.lecture, str) or isinstance(ours, str):
        ok = ours == entry.lecture
        return ("exact" if ok else "DIFFERS"), ok
    if entry.expect == "exact":
        if isinstance(entry.lecture, int) and not isinstance(entry.lecture, bool):
            ok = ours == entry.lecture
        else:
            ok = round(float(ours), entry.digits) == round(float(entry.lecture), entry.digits)
        return ("exact" if ok else "NOT EXACT"), ok
    ok = abs(float(ours) - float(entry.lecture)) <= entry.tol
    return ("within ±{:g}".format(entry.tol) if ok else "OUT OF TOLERANCE"), ok


def difference(entry: Entry, ours):
    if ours is None or isinstance(ours, str) or isinstance(entry.lecture, str):
        return None
    return float(ours) - float(entry.lecture)


def read_glue(folder: Path, chapter: str) -> dict:
    """The values a chapter glued, from myst-nb's ``<chapter>.glue.json`` in ``folder``."""
    path = Path(folder) / f"{chapter}.glue.json"
    if not path.exists():
        return {}
    out = {}
    for key, item in json.loads(path.read_text()).items():
        text = item.get("data", {}).get("text/plain")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError):
            out[key] = text
    return out


def format_value(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{max(digits, 4)}f}"


ENTRIES: list[Entry] = []
