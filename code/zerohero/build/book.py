"""Build the book, or execute one chapter while editing it.

``python -m zerohero.build.book build``: fetch the data, train every cached experiment (both cores),
drop the execution cache when ``code/`` or ``data/`` changed since the last build (the cache
hashes only a notebook's code cells, so it would otherwise serve stale outputs), then run
``jupyter-book build . --all -W --keep-going``.

``python -m zerohero.build.book execute book/03_mlp.md``: run one chapter's cells in a fresh kernel
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

import yaml

ROOT = Path(__file__).resolve().parents[3]
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
# Written by zerohero.build.book: chapters' kernels log errors only. ipykernel otherwise warns on
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


def notebook_pages(toc: Path) -> list[Path]:
    """The pages of a table of contents that are notebooks: MyST Markdown whose front matter
    has a jupytext header (myst-nb's mark of a text notebook) and a kernel."""
    root = toc.parent
    entries, found = [yaml.safe_load(toc.read_text(encoding="utf-8"))], []
    while entries:
        entry = entries.pop(0)
        if isinstance(entry, dict):
            for key in ("root", "file"):
                if isinstance(entry.get(key), str):
                    found.append(root / (entry[key] + ".md"))
            for key in ("parts", "chapters", "sections"):
                entries.extend(entry.get(key) or [])
    marks = ("\njupytext:", "\nkernelspec:")
    return [p for p in found
            if p.is_file() and all(mark in p.read_text(encoding="utf-8") for mark in marks)]


def _execute_page(path: str, timeout: int) -> tuple[str, object, float, str | None]:
    from jupyter_cache.executors.utils import single_nb_execution
    nb = read_chapter(Path(path))
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout,
                                 allow_errors=False, meta_override=True)
    return path, nb, result.time, result.exc_string


def pre_execute(pages: list[Path], build_dir: Path = BUILD, jobs: int | None = None,
                timeout: int = 600) -> None:
    """Execute the pages the execution cache lacks, ``jobs`` at a time, and cache them.

    jupyter-book executes notebooks one after the other; done here on every core first, its
    build finds them all in the cache and only renders. A page that fails is left out of the
    cache: jupyter-book then executes it itself and reports the error as usual.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    cache = get_cache(str(build_dir / ".jupyter_cache"))
    todo = []
    for page in pages:
        try:
            cache.match_cache_notebook(read_chapter(page))
        except KeyError:
            todo.append(page)
    if not todo:
        return
    todo.sort(key=lambda page: -page.stat().st_size)  # roughly the longest first
    start = time.perf_counter()
    jobs = jobs or min(len(todo), os.cpu_count() or 1)
    with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(_execute_page, str(page), timeout) for page in todo]
        for fut in as_completed(futures):
            path, nb, seconds, error = fut.result()
            name = os.path.relpath(path, build_dir.parent)
            if error is not None:
                print(f"book: {name} failed; jupyter-book will run it again and report the error")
                continue
            bundle = CacheBundleIn(nb, path, data={"execution_seconds": seconds})
            cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
            print(f"  {name}: executed in {seconds:.1f} s", flush=True)
    print(f"book: executed {len(todo)} page{'s' * (len(todo) != 1)} in "
          f"{time.perf_counter() - start:.1f} s wall", flush=True)


def build(pretrain: bool = True, jobs: int | None = None, toc: Path | None = None,
          root: Path = ROOT) -> int:
    """Fetch data, pretrain the experiments, drop a stale execution cache, run jupyter-book."""
    from zerohero import data
    from zerohero.build import runs
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
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    timeout = (config.get("execute") or {}).get("timeout", 600)
    pre_execute(notebook_pages(toc or root / "_toc.yml"), build_dir, jobs, timeout)
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


def glue_values(nb) -> dict:
    """``{name: value}`` of every ``myst_nb.glue`` output of an executed notebook."""
    import ast
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None:
                continue
            data = out.get("data", {})
            markdown = next((v for k, v in data.items()
                             if k.endswith("text/markdown")), None)
            if markdown is not None:
                values[name] = markdown
                continue
            text = next((v for k, v in data.items() if k.endswith("text/plain")), "")
            try:
                values[name] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                values[name] = text
    return values


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
    parser = argparse.ArgumentParser(prog="python -m zerohero.build.book", description=__doc__.split("\n\n")[0])
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


def executed_notebook(chapter: Path, build: Path = BUILD):
    """A chapter as an executed notebook: its cells with the outputs of the execution cache.

    myst-nb's own copy in ``_build/jupyter_execute`` lacks the outputs whenever the chapter was
    served from the cache (it writes the notebook it read, not the one merged with the cached
    outputs), so downloads and tests take the notebook from the cache itself.
    """
    from jupyter_cache import get_cache
    nb = read_chapter(chapter)
    _, merged = get_cache(str(build / ".jupyter_cache")).merge_match_into_notebook(nb)
    return merged
