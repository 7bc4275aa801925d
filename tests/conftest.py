"""Shared fixtures: the built book, the values its chapters glue, the trained runs; and
the test tiers.

Every test is marked with one tier, from the fixtures it uses:

- ``book``: needs the built book or the browser (``built_book``, ``executed``, ``glue``,
  ``site``, ``browser``);
- ``runs``: needs trained experiments (``trained``); a missing one is trained first by the
  parallel pretraining step (``runs.train_all``), never serially inside a test;
- ``unit``: everything else. ``pytest -m unit`` is the contributor's quick check.

Tests of a chapter's numbers read them from the executed notebook (the glue outputs), so the
book and the tests share one set of training runs (``zerohero.build.runs`` caches them).

``ZEROHERO_TEST_EXECUTE=1`` makes ``glue(chapter)`` execute just that chapter with nbclient
instead of building the whole book: handy while editing one chapter.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from hypothesis import settings

from zerohero.build.book import glue_values

# Property tests draw the same examples on every run (CI included): a failure found once is
# found again, and a green run means the same thing everywhere.
settings.register_profile("zerohero", derandomize=True)
settings.load_profile("zerohero")

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def chapters() -> list[str]:
    """The notebook chapters listed in _toc.yml, e.g. '01_micrograd'."""
    import yaml
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [Path(f).name for f in files]


def glued_markdown(nb, name):
    """The Markdown a cell glued under ``name`` (a table built in code)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == name:
                # glue(..., display=False) stores it as
                # application/papermill.record/text/markdown
                return next(v for k, v in out["data"].items()
                            if k.endswith("text/markdown"))
    raise KeyError(name)


def images(nb):
    """How many figures an executed notebook holds."""
    return sum("image/png" in out.get("data", {}) for cell in nb.cells
               for out in cell.get("outputs", []))


BOOK_FIXTURES = {"built_book", "executed", "glue", "site", "browser"}
RUNS_FIXTURES = {"trained", "pretrained"}


def pytest_configure(config):
    config.addinivalue_line("markers", "unit: no trained run, no book (the quick check)")
    config.addinivalue_line("markers", "runs: reads trained experiments")
    config.addinivalue_line("markers", "book: needs the built book or the browser")


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        tier = "book" if used & BOOK_FIXTURES else "runs" if used & RUNS_FIXTURES \
            else "unit"
        item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def pretrained():
    """Every experiment trained and cached: the parallel pretraining step, once per
    session (nothing to do after ``make train``)."""
    from zerohero.build import runs
    runs.train_all()


@pytest.fixture(scope="session")
def trained(pretrained):
    """``trained(name)``: the cached results of an experiment (``runs.run``)."""
    from zerohero.build import runs
    return runs.run


@pytest.fixture(scope="module")
def one_torch_thread():
    """Train with one torch thread, as the book does (use with ``pytest.mark.usefixtures``)."""
    from zerohero.build.runs import single_threaded
    with single_threaded():
        yield


@pytest.fixture(scope="session")
def names():
    """The 32,033 names of names.txt, in file order."""
    from zerohero.makemore.words import load_names
    return load_names()


@pytest.fixture(scope="session")
def built_book(pretrained):
    """Build the book once per session (warm and quick when `make book` ran before)."""
    from zerohero.build import book
    log = io.StringIO()
    with redirect_stdout(log):
        rc = book.build(pretrain=False)  # `pretrained` trained everything
    assert rc == 0, f"the book build failed:\n{log.getvalue()[-5000:]}"
    return ROOT / "_build"


@pytest.fixture(scope="session")
def executed(request):
    """``executed(chapter)``: the executed notebook of a chapter (nbformat object)."""
    cache = {}
    direct = os.environ.get("ZEROHERO_TEST_EXECUTE") == "1"

    def get(chapter: str):
        if chapter not in cache:
            if direct:
                from zerohero.build import book
                cache[chapter] = book.execute(BOOK / f"{chapter}.md")
            else:
                from zerohero.build import book
                build = request.getfixturevalue("built_book")
                cache[chapter] = book.executed_notebook(BOOK / f"{chapter}.md", build)
        return cache[chapter]
    return get


@pytest.fixture(scope="session")
def glue(request, executed):
    """``glue(chapter)``: the values a chapter glued, e.g. ``glue('01_micrograd')['L']``.

    From the build, myst-nb's ``<chapter>.glue.json`` (the stored notebook keeps no glue
    outputs); with ``ZEROHERO_TEST_EXECUTE=1``, the outputs of the chapter executed here.
    """
    if os.environ.get("ZEROHERO_TEST_EXECUTE") == "1":
        return lambda chapter: glue_values(executed(chapter))
    from zerohero.build.ledger import read_glue
    build = request.getfixturevalue("built_book")
    return lambda chapter: read_glue(build / "jupyter_execute" / "book", chapter)
