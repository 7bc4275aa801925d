"""Regenerate ``lecture_outputs.json``: the numbers the lectures printed where the ledger's
sources say they did. Run by a maintainer after a source changes, not by the tests:

    .venv/bin/python tests/data/extract_lecture_outputs.py --lectures DIR

``DIR`` holds the lecture repositories side by side (``DIR/<repo>/<path>``, e.g. clones of
github.com/karpathy/nn-zero-to-hero and karpathy/micrograd) at the commits in
``zerohero.build.ledger.COMMITS``; a ``DIR/COMMITS`` file (``<repo> <commit>`` per line), if
present, must agree with them.

For every ``nb:`` source the extract keeps the numbers of the cell's outputs (stream text,
``text/plain`` and the text of SVG drawings, such as micrograd's graphs) or, for ``:md``, of
the markdown text; for every ``file:`` source, the numbers of that line. Numbers are kept as
printed, in order. Where a row's note says it ``counted:`` lines that say some phrase, the
extract also keeps how many lines of the cell say it. No code and no prose is kept.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "code"))

from zerohero.build import ledger  # noqa: E402

OUT = HERE / "lecture_outputs.json"
NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\binf\b")
SVG_TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")
COUNTED = re.compile(r"counted: .*?'([^']+)'")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def cell_text(notebook: Path, cell: int, markdown: bool) -> str:
    """What a cell printed: its outputs' text, or for a markdown cell its text."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    c = cells[cell]
    if markdown:
        assert c["cell_type"] == "markdown", f"{notebook} cell {cell} is not markdown"
        return _text(c["source"])
    parts = []
    for out in c.get("outputs", []):
        if "text" in out:
            parts.append(_text(out["text"]))
        data = out.get("data", {})
        if "text/plain" in data:
            parts.append(_text(data["text/plain"]))
        if "image/svg+xml" in data:
            svg = _text(data["image/svg+xml"])
            parts.append("\n".join(html.unescape(t) for t in SVG_TEXT.findall(svg)))
    return "\n".join(parts)


def all_sources() -> dict[str, list[str]]:
    """Every nb:/file: source the ledger names, with the phrases its rows counted."""
    found: dict[str, list[str]] = {}
    named = [(e.source, e.note) for e in ledger.ENTRIES]
    named += [(s, "") for key in ledger.PRINTED_SOURCES for s in ledger.printed_sources(*key)]
    for source, note in named:
        if ledger.parse_source(source).kind in ("nb", "file"):
            phrases = found.setdefault(source, [])
            phrases += [p for p in COUNTED.findall(note) if p not in phrases]
    return dict(sorted(found.items()))


def extract(lectures: Path) -> dict:
    commits_file = lectures / "COMMITS"
    if commits_file.exists():
        pinned = dict(line.split() for line in commits_file.read_text().splitlines() if line)
        for repo, commit in ledger.COMMITS.items():
            assert pinned.get(repo) == commit, f"{repo}: {commits_file} says {pinned.get(repo)}"
    sources = {}
    for source, phrases in all_sources().items():
        s = ledger.parse_source(source)
        path = lectures / s.repo / s.path
        if s.kind == "nb":
            text = cell_text(path, s.cell, s.markdown)
        else:
            text = path.read_text(encoding="utf-8").splitlines()[s.line - 1]
        item = {"numbers": NUMBER.findall(text)}
        if phrases:
            item["counts"] = {p: sum(p in line for line in text.splitlines()) for p in phrases}
        sources[source] = item
    return {
        "about": "numbers the lectures printed, as printed, at the ledger's sources; "
                 "written by tests/data/extract_lecture_outputs.py",
        "commits": ledger.COMMITS,
        "sources": sources,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lectures", type=Path, required=True,
                        help="folder with the lecture repositories side by side")
    args = parser.parse_args(argv)
    data = extract(args.lectures)
    text = json.dumps(data, indent=1, ensure_ascii=False)
    # one source per line of numbers keeps the file small and its diffs readable
    text = re.sub(r'\[\n\s+([^\]]*?)\n\s+\]', lambda m: "[" + " ".join(
        m[1].split()) + "]", text)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"{OUT}: {len(data['sources'])} sources")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
