"""The build's gates, seen to fail: each on a tiny book built in a temporary folder.

A failing cell, a Sphinx warning, unexpected stderr, a ledger row out of tolerance and a
ledger row whose value was never glued must each make ``book.build`` return non-zero,
with a message that names the cause. The same tiny book with nothing wrong builds: so a
failure below is the gate's, not the tiny book's.
"""

from __future__ import annotations

import io
import textwrap
from contextlib import redirect_stdout

import pytest

from conftest import ROOT
from zerohero.build import book, ledger

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
# {title}

```{{code-cell}} ipython3
{code}
```

{prose}
"""

GOOD_CODE = 'from myst_nb import glue\nglue("answer", 42.0, display=False)'

LEDGER_PAGE = """\
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
# Ledger

```{reproduction-ledger}
```
"""


def tiny_book(root, code=GOOD_CODE, prose="The answer is {glue:text}`answer:.1f`.",
              rows=None):
    """A two-page book (a chapter and a ledger page) with this project's execution
    settings and its Sphinx extension, built by ``book.build`` as the real one is."""
    (root / "book").mkdir(parents=True)
    rows = rows if rows is not None else [
        dict(chapter="chapter", quantity="the answer", key="answer", lecture=42.0,
             digits=1)]
    import yaml
    project = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config = {
        "title": "tiny", "only_build_toc_files": True,
        "exclude_patterns": ["_build"],
        "execute": project["execute"],  # the book's own settings: these are the gates
        "sphinx": {"extra_extensions": ["zerohero.build.sphinxext"],
                   "config": {"zerohero_ledger": rows}},
    }
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    (root / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/chapter
        chapters:
          - file: book/ledger
        """))
    (root / "book" / "chapter.md").write_text(
        PAGE.format(title="Chapter", code=code, prose=prose))
    (root / "book" / "ledger.md").write_text(LEDGER_PAGE)
    return root


def build(root) -> tuple[int, str]:
    log = io.StringIO()
    with redirect_stdout(log):
        rc = book.build(pretrain=False, root=root)
    # jupyter-book's own messages go to the terminal, not to this process's stdout
    return rc, log.getvalue()


def build_output(root, capfd) -> tuple[int, str]:
    rc, ours = build(root)
    captured = capfd.readouterr()
    return rc, ours + captured.out + captured.err


def test_the_tiny_book_builds_when_nothing_is_wrong(tmp_path, capfd):
    rc, out = build_output(tiny_book(tmp_path), capfd)
    assert rc == 0, out[-3000:]
    html = (tmp_path / "_build" / "html" / "book" / "chapter.html").read_text()
    assert 'The answer is <span class="pasted-text">42.0' in html


def test_a_failing_cell_fails_the_build(tmp_path, capfd):
    rc, out = build_output(tiny_book(tmp_path, code=GOOD_CODE + "\n1 / 0"), capfd)
    assert rc != 0
    assert "ZeroDivisionError" in out


def test_a_sphinx_warning_fails_the_build(tmp_path, capfd):
    prose = "The answer is {glue:text}`answer:.1f`; see {ref}`no-such-label`."
    rc, out = build_output(tiny_book(tmp_path, prose=prose), capfd)
    assert rc != 0
    assert "no-such-label" in out


def test_unexpected_stderr_fails_the_build(tmp_path, capfd):
    code = GOOD_CODE + '\nimport sys\nprint("something went wrong", file=sys.stderr)'
    rc, out = build_output(tiny_book(tmp_path, code=code), capfd)
    assert rc != 0
    assert "stderr" in out


def test_a_ledger_row_out_of_tolerance_fails_the_build(tmp_path, capfd):
    rows = [dict(chapter="chapter", quantity="the answer", key="answer", lecture=41.0,
                 expect="tolerance", tol=0.5, why="a test")]
    rc, out = build_output(tiny_book(tmp_path, rows=rows), capfd)
    assert rc != 0
    assert "chapter::answer" in out and "OUT OF TOLERANCE" in out


def test_a_missing_glued_value_fails_the_build(tmp_path, capfd):
    rows = [dict(chapter="chapter", quantity="the question", key="question",
                 lecture=6.0, digits=1)]
    rc, out = build_output(tiny_book(tmp_path, rows=rows), capfd)
    assert rc != 0
    assert "chapter::question" in out and "missing" in out


def test_a_ledger_row_that_fails_fails_the_tests_naming_it():
    with pytest.raises(AssertionError, match=r"06_wavenet::val_5.*NOT EXACT"):
        ledger.check("06_wavenet", "val_5", 1.9945)
    with pytest.raises(AssertionError, match=r"03_mlp::dev_loss.*missing"):
        ledger.check("03_mlp", "dev_loss", None)


def test_a_missing_glue_file_is_an_error_not_an_empty_chapter(tmp_path):
    with pytest.raises(FileNotFoundError, match="glued nothing"):
        ledger.read_glue(tmp_path, "03_mlp")
