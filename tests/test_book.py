"""The book as a whole: chapter headers, the build (-W, zero warnings), what the HTML holds,
and the cache invalidation that makes a change in code/ reach the pages."""

from __future__ import annotations

import re
import textwrap

import nbformat
import pytest
import yaml

from conftest import BOOK, chapters
from zerohero.build import book

LECTURE_CHAPTERS = [c for c in chapters() if re.match(r"\d\d_", c)]
NOTEBOOK_CHAPTERS = [c for c in chapters() if c != "references"]


def front_matter(chapter: str) -> dict:
    text = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{chapter}.md has no front matter"
    return yaml.safe_load(text.split("---\n")[1])


def test_toc_lists_every_stage_of_the_lectures():
    assert LECTURE_CHAPTERS == ["00_nn_from_scratch", "01_micrograd", "02_bigrams", "03_mlp",
                                "04_batchnorm", "05_backprop_ninja", "06_wavenet", "07_gpt",
                                "08_tokenizer", "09_gpt2"]
    for chapter in chapters():
        assert (BOOK / f"{chapter}.md").exists(), f"_toc.yml names a missing {chapter}.md"


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS)
def test_chapter_is_a_myst_notebook_with_a_timeout(chapter):
    # Without the jupytext header myst-nb treats the page as plain text and runs no cell.
    fm = front_matter(chapter)
    assert fm["jupytext"]["text_representation"]["format_name"] == "myst"
    assert fm["jupytext"]["text_representation"]["extension"] == ".md"
    assert fm["kernelspec"]["name"] == "python3"
    assert 0 < fm["mystnb"]["execution_timeout"] <= 1800


@pytest.mark.parametrize("chapter", LECTURE_CHAPTERS)
def test_chapter_names_its_video_and_ends_with_summary_and_exercises(chapter):
    text = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    intro = text.split("\n## ")[0]
    assert "youtube.com/watch" in intro, "the opening must link the lecture's video"
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert "Summary" in headings and "Exercises" in headings
    assert headings.index("Summary") < headings.index("Exercises")
    # Solutions are in the book, folded away (executed hidden cells or dropdowns).
    exercises = text.split("## Exercises")[1]
    assert "hide-input" in exercises or "dropdown" in exercises


@pytest.mark.parametrize("chapter", LECTURE_CHAPTERS)
def test_chapter_imports_the_package_instead_of_redefining_it(chapter):
    text = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    assert "from zerohero" in text or "import zerohero" in text
    assert "literalinclude" in text, "library code is shown from the package"


def test_inputs_hash_follows_code_and_data(tmp_path):
    (tmp_path / "code" / "pkg").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    module = tmp_path / "code" / "pkg" / "m.py"
    module.write_text("X = 1\n")
    h1 = book.inputs_hash(tmp_path)
    module.write_text("X = 2\n")
    h2 = book.inputs_hash(tmp_path)
    (tmp_path / "data" / "names.txt").write_text("emma\n")
    h3 = book.inputs_hash(tmp_path)
    assert len({h1, h2, h3}) == 3


def test_stale_execution_cache_is_cleared(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "m.py").write_text("X = 1\n")
    cache = tmp_path / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    assert book.invalidate_stale_cache(tmp_path / "_build", tmp_path)  # no stamp yet
    cache.mkdir()
    book.write_stamp(tmp_path / "_build", tmp_path)
    assert not book.invalidate_stale_cache(tmp_path / "_build", tmp_path) and cache.exists()
    (tmp_path / "code" / "m.py").write_text("X = 2\n")
    assert book.invalidate_stale_cache(tmp_path / "_build", tmp_path) and not cache.exists()


PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# Page

```{code-cell} ipython3
CODE
```
"""


def test_a_change_in_code_reaches_the_html(tmp_path):
    """A tiny book whose chapter prints a constant of its package: edit it, rebuild, see it."""
    (tmp_path / "code" / "tinypkg").mkdir(parents=True)
    (tmp_path / "book").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "_config.yml").write_text(textwrap.dedent("""\
        title: tiny
        only_build_toc_files: true
        exclude_patterns: [_build, code, data]
        execute:
          execute_notebooks: cache
          raise_on_error: true
        """))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/page\n")
    (tmp_path / "book" / "page.md").write_text(PAGE.replace("CODE", textwrap.dedent("""\
        import sys; sys.path.insert(0, "../code")
        from tinypkg.value import VALUE
        print(f"value is {VALUE}")""")))
    module = tmp_path / "code" / "tinypkg" / "value.py"
    html = tmp_path / "_build" / "html" / "book" / "page.html"

    module.write_text("VALUE = 'first-version'\n")
    assert book.build(pretrain=False, root=tmp_path) == 0
    assert "value is first-version" in html.read_text()

    module.write_text("VALUE = 'second-version'\n")  # the notebook's cells are unchanged
    assert book.build(pretrain=False, root=tmp_path) == 0
    assert "value is second-version" in html.read_text()


def test_pages_are_executed_into_the_cache_and_failures_left_to_jupyter_book(tmp_path, capsys):
    from jupyter_cache import get_cache
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        parts:
          - chapters:
              - file: book/good
              - file: book/bad
              - file: book/prose
        """))
    (tmp_path / "book" / "intro.md").write_text(PAGE.replace("CODE", "print('intro')"))
    (tmp_path / "book" / "good.md").write_text(PAGE.replace("CODE", "print(6 * 7)"))
    (tmp_path / "book" / "bad.md").write_text(PAGE.replace("CODE", "print(1 / 0)"))
    (tmp_path / "book" / "prose.md").write_text("# Only prose\n")
    pages = book.notebook_pages(tmp_path / "_toc.yml")
    assert [p.name for p in pages] == ["intro.md", "good.md", "bad.md"]

    book.pre_execute(pages, tmp_path / "_build", jobs=2)
    cache = get_cache(str(tmp_path / "_build" / ".jupyter_cache"))
    _, good = cache.merge_match_into_notebook(book.read_chapter(tmp_path / "book" / "good.md"))
    assert good.cells[-1].outputs[0]["text"] == "42\n"
    with pytest.raises(KeyError):
        cache.match_cache_notebook(book.read_chapter(tmp_path / "book" / "bad.md"))
    assert "book/bad.md failed; jupyter-book will run it again" in capsys.readouterr().out
    # a second call finds the good pages cached and runs only the failing one again
    book.pre_execute(pages, tmp_path / "_build", jobs=1)
    out = capsys.readouterr().out
    assert "executed 1 page in" in out and "good.md" not in out


# --- the real book, built once per session (warm when `make book` ran before) -------------

def test_book_builds_with_no_warnings(built_book):
    assert (built_book / "html" / "index.html").exists()


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS)
def test_chapter_executed_without_errors_or_stderr(chapter, executed):
    nb = executed(chapter)
    assert sum(c.cell_type == "code" for c in nb.cells) > 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{chapter}: a cell failed"
    assert book.stderr_outputs(nb) == [], f"{chapter}: stderr output"


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS)
def test_html_page_has_glued_numbers_math_and_download(chapter, built_book):
    page = (built_book / "html" / "book" / f"{chapter}.html").read_text(encoding="utf-8")
    source = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    # Every glue role was resolved: no raw role text is left in the page.
    assert "{glue" not in page
    if "$" in source:
        # MathJax is served from the build (offline), never from a CDN.
        assert "_static/mathjax/tex-chtml.js" in page
    assert "cdn.jsdelivr.net" not in page and "mathjax@3" not in page
    # The executed notebook can be downloaded from the page.
    assert f"_sources/book/{chapter}.ipynb" in page
    download = nbformat.read(built_book / "html" / "_sources" / "book" / f"{chapter}.ipynb",
                             as_version=4)
    code = [c for c in download.cells if c.cell_type == "code"]
    assert code and any(c.get("outputs") for c in code), "the download has no outputs"


@pytest.mark.parametrize("chapter", LECTURE_CHAPTERS)
def test_chapter_has_figures(chapter, built_book):
    page = (built_book / "html" / "book" / f"{chapter}.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert images, f"{chapter} shows no figure"
    for src in images:
        assert (built_book / "html" / "book" / src).resolve().exists(), src


@pytest.mark.parametrize("chapter", LECTURE_CHAPTERS)
def test_video_links_open_at_their_moment(chapter, built_book):
    """Every ``watch?v=...&t=...`` link of the page reaches the browser with its
    time: the HTML holds ``&amp;t=`` (one escape), never ``&amp;amp;t=``, which
    a browser reads as a parameter named ``amp;t`` and plays from 0:00."""
    page = (built_book / "html" / "book" / f"{chapter}.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="(https://www\.youtube\.com/watch\?[^"]*)"', page)
    source = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    timed = re.findall(r"youtube\.com/watch\?v=[\w-]+&t=\d+s", source)
    assert len([h for h in hrefs if "t=" in h]) >= len(timed)
    for href in hrefs:
        assert "&amp;amp;" not in href, f"{chapter}: {href} is escaped twice"
        if "t=" in href:
            assert re.search(r"\?v=[\w-]+&amp;t=\d+s$", href), href


VIDEO_LINK = re.compile(r"\[(\d+(?::\d\d){1,2})\]"
                        r"\(https://www\.youtube\.com/watch\?v=([\w-]+)&t=(\d+)s\)")
# Each chapter's video links, at least as many as the video chapter marks it
# follows, and its own sections, which follow no part of the video.
VIDEO_SECTIONS = {
    "01_micrograd": (19, ("Comparison with the lecture", "Summary", "Exercises",
                          "References")),
    "02_bigrams": (15, ("Comparison with the lecture", "Summary", "Exercises",
                        "References")),
    "03_mlp": (15, ("Comparison with the lecture", "Summary", "Exercises",
                    "References")),
    "04_batchnorm": (15, ("Exercises", "References")),
    "05_backprop_ninja": (8, ("Exercises", "References")),
    "06_wavenet": (16, ("Samples", "Comparison with the lecture", "Summary",
                        "Exercises", "References")),
    "07_gpt": (25, ("The final model at CPU size", "Summary", "Exercises",
                    "References")),
    "08_tokenizer": (20, None),  # its links open the subsections
    "09_gpt2": (30, None),
}


def seconds(label: str) -> int:
    value = 0
    for part in label.split(":"):
        value = value * 60 + int(part)
    return value


@pytest.mark.parametrize("chapter", sorted(VIDEO_SECTIONS))
def test_video_links_point_at_the_second_their_label_says(chapter):
    from zerohero.build.chapters import BY_NAME
    video = BY_NAME[chapter].video.split("v=")[1]
    links = VIDEO_LINK.findall((BOOK / f"{chapter}.md").read_text(encoding="utf-8"))
    assert len(links) >= VIDEO_SECTIONS[chapter][0], chapter
    for label, vid, t in links:
        assert vid == video, f"{chapter}: {label} links another video ({vid})"
        assert int(t) == seconds(label), f"{chapter}: {label} links t={t}s"


@pytest.mark.parametrize("chapter", [c for c, (_, own) in VIDEO_SECTIONS.items()
                                     if own is not None])
def test_every_section_that_follows_the_video_opens_with_its_link(chapter):
    own = VIDEO_SECTIONS[chapter][1]
    text = (BOOK / f"{chapter}.md").read_text(encoding="utf-8")
    for section in re.split(r"\n## ", text)[1:]:
        title, _, body = section.partition("\n")
        if title.startswith(own):
            continue
        first = body.strip().split("\n")[0]
        assert first.startswith("([") and VIDEO_LINK.search(first), \
            f"{chapter}: section {title!r} opens without its video link"
