"""Build the book, or execute one chapter while editing it.

``python -m zerohero.book build``: fetch the data, train every cached experiment (both cores),
drop the execution cache when ``code/`` or ``data/`` changed since the last build (the cache
hashes only a notebook's code cells, so it would otherwise serve stale outputs), then run
``jupyter-book build . --all -W --keep-going``.

``python -m zerohero.book execute book/03_mlp.md``: run one chapter's cells in a fresh kernel
(as the build does) and report errors and stderr output, without building HTML.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "_build"
STAMP = ".zerohero-inputs"  # in the build folder: hash of code/ and data/ at the last build


def inputs_hash(root: Path = ROOT) -> str:
    """Hash of what chapters depend on besides their own cells: the package and the data."""
    digest = hashlib.sha256()
    files = sorted((root / "code").rglob("*.py")) + sorted((root / "data").glob("*"))
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".tmp"):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def invalidate_stale_cache(build: Path = BUILD, root: Path = ROOT) -> bool:
    """Clear the execution cache if code/ or data/ changed since it was filled. True if cleared."""
    current = inputs_hash(root)
    stamp = build / STAMP
    stale = not stamp.exists() or stamp.read_text() != current
    if stale:
        shutil.rmtree(build / ".jupyter_cache", ignore_errors=True)
        shutil.rmtree(build / "jupyter_execute", ignore_errors=True)
    return stale


def write_stamp(build: Path = BUILD, root: Path = ROOT) -> None:
    build.mkdir(parents=True, exist_ok=True)
    (build / STAMP).write_text(inputs_hash(root))


KERNEL_CONFIG = """\
# Written by zerohero.book: chapters' kernels log errors only. ipykernel otherwise warns on
# every start that its local TCP sockets are unencrypted, which would be a warning in the build.
c.IPKernelApp.log_level = "ERROR"
"""


def prepare_kernel_env() -> None:
    """Set up this process's environment, which the chapters' kernels inherit.

    MPLBACKEND is removed (with it set, ipykernel keeps that backend and every figure silently
    vanishes from the book) and IPYTHONDIR points at a profile whose kernels only log errors.
    """
    os.environ.pop("MPLBACKEND", None)
    ipython_dir = BUILD / ".ipython"
    config = ipython_dir / "profile_default" / "ipython_kernel_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    if not config.exists() or config.read_text() != KERNEL_CONFIG:
        config.write_text(KERNEL_CONFIG)
    os.environ["IPYTHONDIR"] = str(ipython_dir)


def build(pretrain: bool = True, jobs: int | None = None, toc: Path | None = None,
          root: Path = ROOT) -> int:
    """Fetch data, pretrain the experiments, drop a stale execution cache, run jupyter-book."""
    from zerohero import data, runs
    start = time.perf_counter()
    for name in sorted(data.manifest()):
        data.fetch(name)
    if pretrain:
        runs.train_all(jobs=jobs)
    build_dir = root / "_build"
    if invalidate_stale_cache(build_dir, root):
        print("book: code/ or data/ changed since the last build (or no build yet): "
              "every chapter will be executed")
    prepare_kernel_env()
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "--all", "-W",
           "--keep-going"] + (["--toc", str(toc)] if toc else [])
    print("book: jupyter-book " + " ".join(cmd[1:]), flush=True)
    rc = subprocess.call(cmd, cwd=root)
    if rc == 0:
        write_stamp(build_dir, root)
        print(f"book: built in {time.perf_counter() - start:.0f} s; open "
              f"{build_dir / 'html' / 'index.html'}")
    else:
        print(f"book: the build failed (exit {rc}); see the messages above")
    return rc


def read_chapter(path: Path):
    from myst_nb.core.read import read_myst_markdown_notebook
    return read_myst_markdown_notebook(Path(path).read_text(encoding="utf-8"))


def execute(path: Path, timeout: int = 1200):
    """Execute one chapter in a fresh kernel with the chapter's folder as working directory."""
    from nbclient import NotebookClient
    nb = read_chapter(path)
    prepare_kernel_env()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).resolve().parent)}})
    client.execute()
    return nb


def stderr_outputs(nb) -> list[str]:
    """Text written to stderr by cells not tagged ``remove-stderr`` (the build warns on these)."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "remove-stderr" in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(out["text"])
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zerohero.book", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the whole book into _build/html")
    b.add_argument("--no-pretrain", action="store_true",
                   help="skip the parallel training step (chapters then train what they need)")
    b.add_argument("--jobs", "-j", type=int, default=None)
    e = sub.add_parser("execute", help="execute one chapter and report errors and stderr")
    e.add_argument("chapter", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        return build(pretrain=not args.no_pretrain, jobs=args.jobs)
    from nbclient.exceptions import CellExecutionError
    start = time.perf_counter()
    try:
        nb = execute(args.chapter)
    except CellExecutionError as err:
        print(f"{args.chapter}: a cell failed:\n{err}")
        return 1
    warnings = stderr_outputs(nb)
    for text in warnings:
        print(f"{args.chapter}: stderr output (a warning in the build):\n{text}")
    print(f"{args.chapter}: executed in {time.perf_counter() - start:.1f} s"
          + (f", {len(warnings)} stderr output(s)" if warnings else ", clean"))
    return 1 if warnings else 0


if __name__ == "__main__":
    raise SystemExit(main())


# --- Sphinx extension (listed in _config.yml) ---------------------------------------------

def _offer_executed_notebook(app, pagename, templatename, context, doctree):
    """Put the executed .ipynb of a MyST notebook page beside its source, for download.

    sphinx-book-theme adds a ".ipynb" entry to the page's download menu when
    ``context["ipynb_source"]`` is set, but sets it itself only when a launch service (Binder,
    Colab) is configured; this book has none, so it is set here, before the theme's handler.
    """
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.exists() or not context.get("sourcename", "").endswith((".md", ".md.txt")):
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Keep one copy of each script: sphinx-thebe adds its inline config once per read pass,
    and the second copy is a console error ("Identifier 'THEBE_JS_URL' has already been
    declared") on every page."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # The copies differ only in filename None vs '' (no file: an inline body).
        key = (getattr(script, "filename", script) or "",
               repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # In place: Sphinx adds MathJax later (priority 500) to this same list object.
    context["script_files"][:] = unique


def _execution_total_transform():
    """A post-transform that writes, after myst-nb's execution table, the total time."""
    from docutils import nodes
    from myst_nb.ext.execution_tables import ExecutionStatsNode
    from myst_nb.sphinx_ import NbMetadataCollector
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class ExecutionTotal(SphinxPostTransform):
        default_priority = 7  # before myst-nb replaces its placeholder with the table (8)

        def run(self, **kwargs):
            for node in list(self.document.findall(ExecutionStatsNode)):
                data = NbMetadataCollector.get_doc_data(self.env)
                times = [d["exec_data"]["runtime"] for d in data.values()
                         if d.get("exec_data") and d["exec_data"].get("runtime") is not None]
                text = (f"Total: {len(times)} notebooks, {sum(times):.1f} s of execution (each "
                        f"as last executed: a chapter served from the cache keeps its last time).")
                node.parent.insert(node.parent.index(node) + 1, nodes.paragraph(text=text))

    return ExecutionTotal


def _chapter_banner(app, doctree):
    """Under a chapter's title: its video, the lecture's original notebook, the reading time."""
    from docutils import nodes
    from zerohero.chapters import BY_NAME, WORDS_PER_MINUTE

    name = app.env.docname.rsplit("/", 1)[-1]
    chapter = BY_NAME.get(name)
    sections = list(doctree.findall(nodes.section))
    if chapter is None or not sections:
        return
    prose = [t for p in doctree.findall(nodes.paragraph) for t in p.findall(nodes.Text)]
    words = sum(len(t.astext().split()) for t in prose)
    minutes = max(1, round(words / WORDS_PER_MINUTE))
    banner = nodes.paragraph(classes=["chapter-banner"])
    banner += nodes.Text("Video: ")
    banner += nodes.reference("", chapter.lecture, refuri=chapter.video)
    banner += nodes.Text(" · ")
    banner += nodes.reference("", "the lecture's notebook", refuri=chapter.original)
    banner += nodes.Text(f" · about {minutes} min to read ({words:,} words of prose)"
                         " · download the executed notebook from the ⤓ menu above")
    title = sections[0].next_node(nodes.title)
    title.parent.insert(title.parent.index(title) + 1, banner)


def _ledger_extension(app):
    """The ``{reproduction-ledger}`` directive: the ledger table from every chapter's glue.

    It is filled in a post-transform, after every chapter was executed, so the ledger page does
    not depend on the order in which chapters are executed. A row outside its tolerance is a
    build warning, which fails the ``-W`` build.
    """
    from docutils import nodes
    from sphinx.addnodes import pending_xref
    from sphinx.transforms.post_transforms import SphinxPostTransform
    from sphinx.util import logging
    from sphinx.util.docutils import SphinxDirective

    from zerohero import ledger

    logger = logging.getLogger(__name__)

    class LedgerNode(nodes.General, nodes.Element):
        pass

    class LedgerDirective(SphinxDirective):
        def run(self):
            for chapter in sorted({e.chapter for e in ledger.ENTRIES}):
                self.env.note_dependency(str(Path(self.env.srcdir) / "book" / f"{chapter}.md"))
            return [LedgerNode()]

    def cell(content):
        entry = nodes.entry()
        entry += content if isinstance(content, nodes.Node) else nodes.paragraph(text=content)
        return entry

    class FillLedger(SphinxPostTransform):
        default_priority = 6

        def run(self, **kwargs):
            folder = Path(self.env.mystnb_config.output_folder) / "book"
            for node in list(self.document.findall(LedgerNode)):
                table = nodes.table(classes=["colwidths-auto", "ledger"])
                headers = ["chapter", "quantity", "lecture", "ours", "difference", "mark", "why"]
                group = nodes.tgroup(cols=len(headers))
                table += group
                group += [nodes.colspec(colwidth=1) for _ in headers]
                head = nodes.thead()
                row = nodes.row()
                row += [cell(h) for h in headers]
                head += row
                group += head
                body = nodes.tbody()
                group += body
                glued = {}
                for e in ledger.ENTRIES:
                    values = glued.setdefault(e.chapter, ledger.read_glue(folder, e.chapter))
                    ours = values.get(e.key)
                    mark, ok = ledger.mark(e, ours)
                    if not ok:
                        logger.warning(f"ledger: {e.chapter} {e.quantity}: ours "
                                       f"{ours!r} vs the lecture's {e.lecture!r} ({mark})",
                                       location=node)
                    diff = ledger.difference(e, ours)
                    link = pending_xref("", refdomain="std", reftype="doc",
                                        reftarget=e.chapter, refexplicit=True,
                                        refdoc=self.env.docname)
                    link += nodes.inline(text=e.chapter)
                    para = nodes.paragraph()
                    para += link
                    row = nodes.row()
                    row += [cell(para), cell(e.quantity),
                            cell(ledger.format_value(e.lecture, e.digits)),
                            cell(ledger.format_value(ours, e.digits)),
                            cell("" if diff is None else f"{diff:+.2g}" if diff else "0"),
                            cell(mark), cell(e.why)]
                    body += row
                node.replace_self(table)

    app.add_node(LedgerNode)
    app.add_directive("reproduction-ledger", LedgerDirective)
    app.add_post_transform(FillLedger)


def setup(app):
    _ledger_extension(app)
    app.connect("doctree-read", _chapter_banner)
    app.add_post_transform(_execution_total_transform())
    app.connect("html-page-context", _offer_executed_notebook, priority=400)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
