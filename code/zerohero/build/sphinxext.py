"""The book's Sphinx extension (listed in ``_config.yml``): small additions to Jupyter Book.

- Each chapter's page offers its executed ``.ipynb`` for download.
- Under each chapter's title: its video, the lecture's own notebook, and the reading time.
- ``{reproduction-ledger}``: the ledger table, filled from every chapter's glued values after all
  chapters were executed, each row's source linked; a row outside its tolerance is a build
  warning (the -W build fails).
- After myst-nb's ``{nb-exec-table}``: the total execution time.
- Inline scripts that sphinx-thebe/togglebutton add twice are kept once (the second copy is a
  console error on every page).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from zerohero.build import ledger
from zerohero.build.chapters import BY_NAME, WORDS_PER_MINUTE

logger = logging.getLogger(__name__)


def offer_executed_notebook(app, pagename, templatename, context, doctree):
    """Put the executed .ipynb of a MyST notebook page beside its source, for download.

    sphinx-book-theme adds a ".ipynb" entry to the page's download menu when
    ``context["ipynb_source"]`` is set, but sets it itself only when a launch service (Binder,
    Colab) is configured; this book has none, so it is set here, before the theme's handler.
    """
    source = Path(app.srcdir) / f"{pagename}.md"
    build = Path(app.outdir).parent
    if not (build / "jupyter_execute" / f"{pagename}.ipynb").exists() or not source.exists():
        return  # not an executed notebook page
    import nbformat
    from zerohero.build.book import executed_notebook
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed_notebook(source, build), str(target))
    context["ipynb_source"] = f"{pagename}.ipynb"


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
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


def chapter_banner(app, doctree):
    """Under a chapter's title: its video, the lecture's original notebook, the reading time."""
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
                         " · the executed notebook: ⤓ menu above")
    title = sections[0].next_node(nodes.title)
    title.parent.insert(title.parent.index(title) + 1, banner)


class ExecutionTotal(SphinxPostTransform):
    """After myst-nb's execution table, the total execution time of all notebooks."""

    default_priority = 7  # before myst-nb replaces its placeholder with the table (8)

    def run(self, **kwargs):
        from myst_nb.ext.execution_tables import ExecutionStatsNode
        from myst_nb.sphinx_ import NbMetadataCollector

        for node in list(self.document.findall(ExecutionStatsNode)):
            data = NbMetadataCollector.get_doc_data(self.env)
            times = [d["exec_data"]["runtime"] for d in data.values()
                     if d.get("exec_data") and d["exec_data"].get("runtime") is not None]
            text = (f"Total: {len(times)} notebooks, {sum(times):.1f} s of execution (each as "
                    f"last executed: a chapter served from the cache keeps its last time).")
            node.parent.insert(node.parent.index(node) + 1, nodes.paragraph(text=text))


class LedgerNode(nodes.General, nodes.Element):
    """Placeholder for the ledger table, filled by ``FillLedger``."""


class LedgerDirective(SphinxDirective):
    def run(self):
        return [LedgerNode()]


def _cell(content) -> nodes.entry:
    entry = nodes.entry()
    entry += content if isinstance(content, nodes.Node) else nodes.paragraph(text=content)
    return entry


def _source_cell(e: ledger.Entry) -> nodes.entry:
    """Where the lecture printed the row's value: a link (none for run: and derived:), and
    the row's note beneath it."""
    entry = nodes.entry()
    para = nodes.paragraph()
    url, label = ledger.source_url(e.source), ledger.source_label(e.source)
    para += nodes.reference("", label, refuri=url) if url else nodes.Text(label)
    entry += para
    if e.note:
        note = nodes.paragraph(classes=["ledger-why"])
        note += nodes.emphasis(text=e.note)
        entry += note
    return entry


# A row given in the book's configuration (a test's tiny book) may leave out its source.
UNSOURCED = "run:a row of this book's configuration, with no source given"


class FillLedger(SphinxPostTransform):
    """Fill the ledger from the chapters' ``.glue.json``: runs once every chapter was read.

    One table per chapter (under a link to it): quantity (with the reason for any expected
    difference beneath it), the lecture's value, where the lecture printed it (a link, with the
    row's note beneath), ours, the difference and the mark.
    """

    default_priority = 6  # before references are resolved (10)

    def _table(self, entries, folder: Path, node) -> nodes.table:
        headers = ["quantity", "lecture", "source", "ours", "difference", "mark"]
        table = nodes.table(classes=["colwidths-auto", "ledger"])
        group = nodes.tgroup(cols=len(headers))
        table += group
        group += [nodes.colspec(colwidth=1) for _ in headers]
        head, row = nodes.thead(), nodes.row()
        row += [_cell(h) for h in headers]
        head += row
        group += head
        body = nodes.tbody()
        group += body
        try:
            values = ledger.read_glue(folder, entries[0].chapter)
        except FileNotFoundError as err:
            logger.warning(f"ledger: {err}", location=node)
            values = {}
        for e in entries:
            ours = values.get(e.key)
            mark, ok = ledger.mark(e, ours)
            if not ok:
                logger.warning(f"ledger: {e.chapter}::{e.key} ({e.quantity}): ours "
                               f"{ours!r} vs the lecture's {e.lecture!r} ({mark})",
                               location=node)
            diff = ledger.difference(e, ours)
            quantity = nodes.entry()
            quantity += nodes.paragraph(text=e.quantity)
            if e.why:
                why = nodes.paragraph(classes=["ledger-why"])
                why += nodes.emphasis(text=e.why)
                quantity += why
            row = nodes.row()
            row += [quantity, _cell(ledger.format_value(e.lecture, e.digits)),
                    _source_cell(e),
                    _cell(ledger.format_value(ours, e.digits)),
                    _cell("" if diff is None else (f"{diff:+.1e}" if diff else "0")),
                    _cell(mark)]
            body += row
        return table

    def run(self, **kwargs):
        folder = Path(self.env.mystnb_config.output_folder) / "book"
        rows = self.config.zerohero_ledger
        all_entries = ([ledger.Entry(**{"source": UNSOURCED, **row}) for row in rows]
                       if rows is not None else ledger.ENTRIES)
        for node in list(self.document.findall(LedgerNode)):
            chapters = list(dict.fromkeys(e.chapter for e in all_entries))
            replacement = []
            for chapter in chapters:
                entries = [e for e in all_entries if e.chapter == chapter]
                title = nodes.rubric()
                link = pending_xref("", refdomain="std", reftype="doc", reftarget=chapter,
                                    refexplicit=False, refdoc=self.env.docname)
                link += nodes.inline(text=chapter)
                title += link
                replacement += [title, self._table(entries, folder, node)]
            node.replace_self(replacement)


def unescape_link_ampersands(app, doctree):
    """Repair external links whose URL has more than one query parameter.

    MyST-Parser 3 stores the ``&`` of a link's URL as ``&amp;`` and the HTML
    writer escapes it once more, so ``watch?v=ID&t=488s`` would reach the
    browser as ``watch?v=ID&amp;t=488s`` and open the video at 0:00
    (executablebooks/MyST-Parser#760).
    """
    for ref in doctree.findall(nodes.reference):
        uri = ref.get("refuri", "")
        if "&amp;" in uri:
            ref["refuri"] = uri.replace("&amp;", "&")


def setup(app):
    app.connect("doctree-read", unescape_link_ampersands)
    app.connect("html-page-context", offer_executed_notebook, priority=400)
    app.connect("html-page-context", drop_duplicate_scripts, priority=400)
    app.connect("doctree-read", chapter_banner)
    app.add_post_transform(ExecutionTotal)
    app.add_node(LedgerNode)
    app.add_directive("reproduction-ledger", LedgerDirective)
    app.add_post_transform(FillLedger)
    # The ledger's rows as a list of Entry fields (a test's tiny book); by default the
    # rows of zerohero.build.ledger.
    app.add_config_value("zerohero_ledger", None, "env")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
