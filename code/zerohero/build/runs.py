"""Training runs as named, cached experiments.

Every model the book shows is trained by an *experiment* (``zerohero.experiments``): a
lesson's training function with a preset config, returning a dict of results. ``run(name)``
returns those results, from disk when an identical run was done before. The cache key
hashes the experiment's name and config, the source of its chapter module and of every
package module that imports (so the lesson code it runs), the sha256 of the datasets it
reads and the keys of the experiments it reads. The book and the tests share one run
instead of training twice.

``python -m zerohero.build.runs`` trains every experiment ahead of the build, in separate
processes (one torch thread each: for these small models that is faster than two), with
one progress bar whose ETA comes from the measured costs below.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import inspect
import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import zerohero
from zerohero.experiments import Experiment

PACKAGE_DIR = Path(zerohero.__file__).resolve().parent
RUNS_DIR_ENV = "ZEROHERO_RUNS_DIR"
# Torch threads per training (1 by default; set it to check that numbers do not depend
# on it). Not part of the cache key: point ZEROHERO_RUNS_DIR elsewhere when changing it.
THREADS_ENV = "ZEROHERO_TORCH_THREADS"


def runs_dir() -> Path:
    """``$ZEROHERO_RUNS_DIR``, else ``.runs/`` at the repository root."""
    return Path(os.environ.get(RUNS_DIR_ENV) or PACKAGE_DIR.parents[1] / ".runs")


# Seconds each experiment took in a cold build, one torch thread, two at a time on the
# 2-core machine the book is built on (`python -m zerohero.build.runs --costs` prints this
# table from the cache). Only the queue's order and the progress bar's ETA depend on it.
MEASURED_SECONDS: dict[str, float] = {
    "wavenet_scaled": 312,
    "wavenet_hierarchical_bnbug": 219,
    "wavenet_hierarchical": 217,
    "gpt-small": 176,
    "gpt2-shakespeare": 123,
    "wavenet_context8": 118,
    "ch04-batchnorm": 108,
    "makemore_transformer": 108,
    "wavenet_original": 104,
    "ch05-manual-backprop": 91,
    "mlp": 64,
    "ch04-fix-softmax": 63,
    "ch04-kaiming": 61,
    "ch04-fix-tanh": 57,
    "mlp_tuned_direct": 44,
    "mlp_tuned": 41,
    "gpt-layernorm-gpt-init": 40,
    "makemore_wavenet": 40,
    "gpt-layernorm": 36,
    "gpt-layernorm-tied": 35,
    "gpt-layernorm-video-scale": 34,
    "gpt-finetune-names": 33,
    "gpt-residual-video-scale": 30,
    "gpt-residual": 30,
    "makemore_gru": 28,
    "gpt2-ddp": 23,
    "micrograd-moons": 21,
    "gpt-blocks-video-scale": 21,
    "gpt-blocks": 19,
    "mlp_emb10": 18,
    "mlp_emb2": 17,
    "mlp_h100": 14,
    "makemore_rnn": 12,
    "gpt-addition": 12,
    "bigram_nn": 10,
    "gpt-feed-forward": 9,
    "gpt-feed-forward-video-scale": 9,
    "gpt-multi-head": 8,
    "gpt-multi-head-video-scale": 8,
    "ch04-zero-init": 6,
    "makemore_mlp": 6,
    "gpt-single-head": 6,
    "bigram_nn_index": 6,
    "ch04-deep-gain-3": 4,
    "ch04-deep": 4,
    "ch04-deep-gain-0.2": 4,
    "ch04-deep-gain-5over3": 4,
    "makemore_cli_demo": 4,
    "bigram_nn_cross_entropy": 4,
    "tokenizer-shakespeare-4096": 3,
    "ch04-deep-plain-lr-0.1": 3,
    "ch04-deep-plain-lr-0.001": 3,
    "makemore_bigram": 2,
    "gpt2-shakespeare-tokens": 2,
    "gpt-bigram": 2,
    "tokenizer-shakespeare": 1,
    "mlp_lr_finder": 1,
    "micrograd-tiny": 1,
    "scratch-two-neurons": 1,
}
DEFAULT_SECONDS = 30.0  # an experiment not yet in the table


def expected_seconds(name: str) -> float:
    return MEASURED_SECONDS.get(name, DEFAULT_SECONDS)


REGISTRY: dict[str, Experiment] = {}


def register(exp: Experiment, module: str | None = None) -> Experiment:
    """Add one experiment (the chapters' are loaded by ``discover``; tests add toys)."""
    params = inspect.signature(exp.fn).parameters
    unknown = (set(exp.config) | set(exp.reads)) - set(params)
    if unknown:
        raise TypeError(f"experiment {exp.name!r}: {exp.fn.__qualname__} has no "
                        f"parameter(s) {sorted(unknown)}")
    old = REGISTRY.get(exp.name)
    if old is not None and old.fn is not exp.fn:
        raise ValueError(f"two experiments are named {exp.name!r}; rename one")
    exp.module = module or exp.module or exp.fn.__module__
    REGISTRY[exp.name] = exp
    return exp


def discover() -> None:
    """Load the experiments that ``zerohero.experiments`` lists."""
    from zerohero.experiments import all_experiments
    for exp in all_experiments().values():
        register(exp)


def lookup(name: str) -> Experiment:
    if name not in REGISTRY:
        discover()
    if name not in REGISTRY:
        raise KeyError(f"no experiment named {name!r}; `python -m zerohero.build.runs "
                       f"--list` shows them")
    return REGISTRY[name]


def defaults(exp: Experiment) -> dict[str, Any]:
    params = inspect.signature(exp.fn).parameters
    return {k: p.default for k, p in params.items()
            if p.default is not inspect.Parameter.empty and k not in exp.reads}


def full_config(exp: Experiment, overrides: dict[str, Any]) -> dict[str, Any]:
    known = set(inspect.signature(exp.fn).parameters) - set(exp.reads)
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"experiment {exp.name!r} has no option(s) {sorted(unknown)}; "
                        f"its options are {sorted(defaults(exp))}")
    return {**defaults(exp), **exp.config, **overrides}


def _module_file(name: str) -> Path | None:
    """The source file of package module ``name`` (``zerohero.a.b``), if it is one."""
    parts = name.split(".")[1:]
    for candidate in (PACKAGE_DIR.joinpath(*parts, "__init__.py"),
                      PACKAGE_DIR.joinpath(*parts).with_suffix(".py") if parts else None):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _imports(path: Path, name: str) -> set[str]:
    """Names of the package's modules that the module at ``path`` imports."""
    found = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = (package.rsplit(".", node.level - 1)[0]
                          if node.level > 1 else package)
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] == "zerohero" and _module_file(m)}


# Modules that decide when and where experiments run, not what they compute: editing
# them retrains nothing.
ORCHESTRATION = {"zerohero.build.runs", "zerohero.experiments"}


def dependencies(module: str) -> list[Path]:
    """Source files of ``module`` and of every package module it imports, transitively
    (except ``ORCHESTRATION``)."""
    todo, seen = [module, "zerohero"], set()
    while todo:
        name = todo.pop()
        if name in seen or name in ORCHESTRATION or _module_file(name) is None:
            continue
        seen.add(name)
        todo.extend(_imports(_module_file(name), name))
        if "." in name:
            todo.append(name.rsplit(".", 1)[0])  # importing a.b runs a/__init__.py
    return sorted({_module_file(n) for n in seen})


_source_hashes: dict[str, str] = {}


def source_hash(module: str = "zerohero") -> str:
    """Hash of the code an experiment runs: its module and every package module it
    imports. A change elsewhere in the package leaves its cached result valid."""
    if module not in _source_hashes:
        digest = hashlib.sha256()
        for path in dependencies(module):
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
        _source_hashes[module] = digest.hexdigest()
    return _source_hashes[module]


def check_reads(name: str, path: tuple[str, ...] = ()) -> None:
    """Every experiment that ``name`` reads exists, and none reads itself round a loop."""
    if name in path:
        raise RuntimeError(f"experiments {list(path)} read each other in a cycle; "
                           f"nothing can train them")
    for other in lookup(name).reads.values():
        check_reads(other, path + (name,))


def cache_key(name: str, config: dict[str, Any]) -> str:
    from zerohero.data import sha256s
    exp = lookup(name)
    check_reads(name)
    payload = json.dumps({"name": name, "config": config,
                          "source": source_hash(exp.module),
                          "data": sha256s(exp.data) if exp.data else {},
                          "reads": {arg: result_path(other).stem
                                    for arg, other in sorted(exp.reads.items())}},
                         sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@contextmanager
def torch_threads(n: int | None = None):
    """Train with ``n`` torch threads (``$ZEROHERO_TORCH_THREADS``, else 1)."""
    try:
        import torch
    except ImportError:  # chapters 0 and 1 need no torch
        yield
        return
    n = n or int(os.environ.get(THREADS_ENV) or 1)
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


single_threaded = torch_threads  # the default is one thread


def result_path(name: str, **overrides) -> Path:
    exp = lookup(name)
    key = cache_key(name, full_config(exp, overrides))
    return runs_dir() / f"{name}-{key}.pt"


def is_cached(name: str, **overrides) -> bool:
    return result_path(name, **overrides).exists()


def run(name: str, **overrides) -> dict:
    """The results of experiment ``name`` (with ``overrides`` on its preset config).

    Loaded from the cache when this exact run was done before; otherwise trained now,
    stored atomically, and returned. The dict also holds ``_meta`` (config, key, seconds
    of training).
    """
    import torch
    exp = lookup(name)
    config = full_config(exp, overrides)
    path = runs_dir() / f"{name}-{cache_key(name, config)}.pt"
    if path.exists():
        try:
            return torch.load(path, weights_only=False)
        except Exception:  # a foreign or damaged file: train again, overwrite it
            pass
    inputs = {arg: run(other) for arg, other in exp.reads.items()}
    with torch_threads():
        start = time.perf_counter()
        results = exp.fn(**inputs, **config)
        seconds = time.perf_counter() - start
    if not isinstance(results, dict):
        raise TypeError(f"experiment {name!r} returned {type(results).__name__}, "
                        f"not a dict")
    results["_meta"] = {"name": name, "config": config, "key": path.stem,
                        "seconds": seconds, "torch": torch.__version__,
                        "threads": int(os.environ.get(THREADS_ENV) or 1)}
    from zerohero import atomic
    atomic.save(results, path)
    return results


def _worker(name: str) -> tuple[str, float]:
    os.environ.setdefault("OMP_NUM_THREADS", os.environ.get(THREADS_ENV) or "1")
    start = time.perf_counter()
    run(name)
    return name, time.perf_counter() - start


def _progress(total: float, out):
    from tqdm import tqdm
    return tqdm(total=round(total), unit="s", desc="runs", file=out, leave=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar:30}| "
                           "[{elapsed}<{remaining}]{postfix}", mininterval=1.0)


def train_all(names=None, jobs: int | None = None, out=None) -> dict[str, float]:
    """Train every experiment (or ``names``) not yet cached, ``jobs`` at a time.

    One progress bar advances by each finished experiment's measured cost, so its ETA is
    that of the whole queue.
    """
    out = out or sys.stderr
    discover()
    names = list(names) if names else list(REGISTRY)
    for n in names:
        for d in (n, *lookup(n).reads.values()):
            lookup(d)
    todo = sorted((n for n in names if not is_cached(n)),
                  key=lambda n: -expected_seconds(n))
    print(f"runs: {len(names) - len(todo)} of {len(names)} experiments cached in "
          f"{runs_dir()}; training {len(todo)}", file=out, flush=True)
    jobs = jobs or min(len(todo), os.cpu_count() or 1) or 1
    waiting = {n: {d for d in REGISTRY[n].reads.values() if d in todo} for n in todo}
    timings: dict[str, float] = {}
    start = time.perf_counter()
    bar = _progress(sum(expected_seconds(n) for n in todo), out) if todo else None

    def finished(name: str, seconds: float) -> list[str]:
        """Record a finished experiment; the experiments it lets start."""
        timings[name] = seconds
        bar.set_postfix_str(f"{len(timings)}/{len(todo)} done, last {name} "
                            f"{seconds:.0f} s")
        bar.update(round(expected_seconds(name)))
        freed = []
        for n in todo:
            if name in waiting[n]:
                waiting[n].discard(name)
                if not waiting[n]:
                    freed.append(n)
        return freed

    ready = [n for n in todo if not waiting[n]]

    def failed(name: str, err: BaseException) -> RuntimeError:
        return RuntimeError(f"experiment {name!r} failed while training: "
                            f"{type(err).__name__}: {err}. Nothing of it was cached; "
                            f"`python -m zerohero.build.runs {name} -j 1` reruns it alone")

    try:
        if jobs == 1 or len(todo) <= 1:
            while ready:
                name = ready.pop(0)
                try:
                    result = _worker(name)
                except Exception as err:
                    raise failed(name, err) from err
                ready += finished(*result)
        elif todo:
            import multiprocessing as mp
            # spawn: a forked child of a process that used torch threads can deadlock.
            with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
                futures = {pool.submit(_worker, n): n for n in ready}
                while futures:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for fut in done:
                        name = futures.pop(fut)
                        if fut.exception() is not None:
                            for other in futures:
                                other.cancel()
                            raise failed(name, fut.exception()) from fut.exception()
                        for m in finished(*fut.result()):
                            futures[pool.submit(_worker, m)] = m
    finally:
        if bar is not None:
            bar.close()
    if todo:
        print(f"runs: trained {len(todo)} in {time.perf_counter() - start:.1f} s wall",
              file=out, flush=True)
        for name in sorted(timings, key=lambda n: -timings[n]):
            print(f"  {name}: {timings[name]:.1f} s", file=out)
    return timings


def summary() -> list[dict]:
    """Name, training seconds and torch version of every cached experiment."""
    import torch
    discover()
    rows = []
    for name in sorted(REGISTRY):
        if is_cached(name):
            meta = torch.load(result_path(name), weights_only=False)["_meta"]
            rows.append({"name": name, "seconds": float(meta["seconds"]),
                         "torch": meta["torch"]})
    return rows


def summary_markdown(rows=None) -> str:
    """``summary()`` as a Markdown table, longest first (for the build page)."""
    rows = sorted(rows if rows is not None else summary(), key=lambda r: -r["seconds"])
    lines = ["| experiment | training time (s, one thread) |", "|---|---:|"]
    lines += [f"| `{r['name']}` | {r['seconds']:.1f} |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zerohero.build.runs",
        description="Train the book's experiments ahead of the build (cached results).")
    parser.add_argument("names", nargs="*", help="experiments to train (default: all)")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="parallel processes (default: one per core)")
    parser.add_argument("--list", action="store_true",
                        help="list experiments and cache state")
    parser.add_argument("--costs", action="store_true",
                        help="print MEASURED_SECONDS from the cached runs' times")
    args = parser.parse_args(argv)
    discover()
    if args.costs:
        print("MEASURED_SECONDS = {")
        for row in sorted(summary(), key=lambda r: -r["seconds"]):
            print(f'    "{row["name"]}": {max(1, round(row["seconds"]))},')
        print("}")
        return 0
    if args.list:
        for n in sorted(REGISTRY):
            state = "cached" if is_cached(n) else "not cached"
            print(f"{n:40s} ~{expected_seconds(n):6.0f} s  {state}")
        return 0
    unknown = [n for n in args.names if n not in REGISTRY]
    if unknown:
        print(f"error: unknown experiment(s) {', '.join(unknown)}; "
              f"`python -m zerohero.build.runs --list` shows them", file=sys.stderr)
        return 2
    train_all(args.names, args.jobs)
    return 0


if __name__ == "__main__":
    # Run as a script this file is `__main__`, a second copy of the module: use the one
    # the experiments are registered in.
    from zerohero.build.runs import main as _main
    raise SystemExit(_main())
