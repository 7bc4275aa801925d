"""Training runs as named, cached experiments.

Every model the book shows is trained by an *experiment*: a function of a config (keyword
arguments: hyperparameters, seed) that returns a dict of results (final metrics, loss history,
and the trained weights when a later cell needs them). ``run(name)`` returns those results,
from disk when an identical run was done before. The cache key hashes the experiment's name and
config, the source of the whole ``zerohero`` package and the sha256 of the datasets it reads,
so any change in ``code/`` retrains, and the book and the tests share one run instead of
training twice.

``python -m zerohero.runs`` trains every registered experiment ahead of the build, in separate
processes (one torch thread each: for these small models that is faster than two threads).
See the README ("How the build works").
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import json
import os
import pkgutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import zerohero

PACKAGE_DIR = Path(zerohero.__file__).resolve().parent
RUNS_DIR_ENV = "ZEROHERO_RUNS_DIR"


def runs_dir() -> Path:
    """``$ZEROHERO_RUNS_DIR``, else ``.runs/`` at the repository root."""
    return Path(os.environ.get(RUNS_DIR_ENV) or PACKAGE_DIR.parents[1] / ".runs")


@dataclass
class Experiment:
    name: str
    fn: Callable[..., dict]
    config: dict[str, Any]
    data: tuple[str, ...] = ()
    cost: float = 1.0  # rough seconds, so the longest runs start first
    after: tuple[str, ...] = ()  # experiments whose results it reads: trained before it
    defaults: dict[str, Any] = field(init=False)

    def __post_init__(self):
        params = inspect.signature(self.fn).parameters
        self.defaults = {k: p.default for k, p in params.items()
                         if p.default is not inspect.Parameter.empty}
        unknown = set(self.config) - set(params)
        if unknown:
            raise TypeError(f"experiment {self.name!r}: {self.fn.__qualname__} has no "
                            f"parameter(s) {sorted(unknown)}")

    def full_config(self, overrides: dict[str, Any]) -> dict[str, Any]:
        unknown = set(overrides) - set(inspect.signature(self.fn).parameters)
        if unknown:
            raise TypeError(f"experiment {self.name!r} has no option(s) {sorted(unknown)}; "
                            f"its options are {sorted(self.defaults)}")
        return {**self.defaults, **self.config, **overrides}


REGISTRY: dict[str, Experiment] = {}

# Seconds each experiment took, one torch thread, two at a time on the 2-core machine the book
# is built on (`python -m zerohero.runs --costs` prints this table from the cache). Only the
# order of the queue depends on it: the longest runs start first so that both cores finish
# together. An experiment missing here is placed by its decorator's rough ``cost``.
MEASURED_SECONDS: dict[str, float] = {
    "wavenet_scaled": 164,
    "gpt-small": 130,
    "wavenet_hierarchical": 88,
    "wavenet_hierarchical_bnbug": 87,
    "makemore_transformer": 86,
    "ch05-manual-backprop": 55,
    "wavenet_context8": 44,
    "ch04-batchnorm": 39,
    "wavenet_original": 34,
    "ch04-original": 31,
    "mlp": 30,
    "ch04-kaiming": 26,
    "makemore_wavenet": 26,
    "gpt-layernorm-tied": 26,
    "gpt-layernorm-video-scale": 26,
    "gpt-layernorm": 26,
    "gpt-residual-video-scale": 25,
    "makemore_gru": 24,
    "ch04-fix-softmax": 24,
    "gpt-residual": 24,
    "ch04-fix-tanh": 24,
    "mlp_tuned": 22,
    "mlp_tuned_direct": 20,
    "gpt-blocks-video-scale": 19,
    "gpt-blocks": 18,
    "gpt-finetune-names": 14,
    "makemore_rnn": 12,
    "bigram_nn": 10,
    "gpt-feed-forward": 9,
    "gpt-feed-forward-video-scale": 9,
    "bigram_nn_index": 9,
    "gpt-multi-head": 8,
    "gpt-multi-head-video-scale": 8,
    "gpt-addition": 8,
    "mlp_emb2": 7,
    "micrograd-moons": 6,
    "gpt-single-head-video-scale": 6,
    "gpt-single-head": 6,
    "makemore_mlp": 5,
    "bigram_nn_cross_entropy": 4,
    "ch04-deep": 4,
    "ch04-zero-init": 3,
    "makemore_cli_demo": 3,
    "makemore_bigram": 2,
    "gpt-bigram": 1,
    "mlp_lr_finder": 1,
    "micrograd-tiny": 1,
    "scratch-two-neurons": 1,
}


def expected_seconds(name: str) -> float:
    return MEASURED_SECONDS.get(name, REGISTRY[name].cost)


def experiment(name: str, *, data=(), cost: float = 1.0, after=(), **config):
    """Register the decorated function as experiment ``name`` with a preset ``config``.

    Stack the decorator to register one function under several names (the rows of a
    chapter's table), each with its own preset. ``data`` names the datasets it reads,
    ``after`` the experiments whose results it reads (``train_all`` starts it once they are
    done, instead of training them a second time beside it).
    """
    def register(fn):
        if name in REGISTRY and REGISTRY[name].fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"two experiments are named {name!r}")
        REGISTRY[name] = Experiment(name, fn, dict(config), tuple(data), cost, tuple(after))
        return fn
    return register


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
    import ast
    found = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    return {m for m in found if m.split(".")[0] == "zerohero" and _module_file(m)}


# Modules that decide when and where experiments run, not what they compute: editing them
# retrains nothing.
ORCHESTRATION = {"zerohero.runs"}


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
            todo.append(name.rsplit(".", 1)[0])  # importing a.b runs a/__init__.py first
    return sorted({_module_file(n) for n in seen})


_source_hashes: dict[str, str] = {}


def source_hash(module: str = "zerohero") -> str:
    """Hash of the code an experiment runs: its module and every package module it imports.

    Any change in that code gives a new key (the experiment retrains); a change elsewhere in
    the package leaves its cached result valid.
    """
    if module not in _source_hashes:
        digest = hashlib.sha256()
        for path in dependencies(module):
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
            digest.update(path.read_bytes())
        _source_hashes[module] = digest.hexdigest()
    return _source_hashes[module]


def cache_key(name: str, config: dict[str, Any]) -> str:
    from zerohero.data import sha256s
    exp = REGISTRY[name]
    payload = json.dumps({"name": name, "config": config,
                          "source": source_hash(exp.fn.__module__),
                          "data": sha256s(exp.data) if exp.data else {}},
                         sort_keys=True, default=repr)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def discover() -> None:
    """Import every module of the package so that all experiments register themselves."""
    for info in pkgutil.walk_packages(zerohero.__path__, prefix="zerohero."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)


def _lookup(name: str) -> Experiment:
    if name not in REGISTRY:
        discover()
    if name not in REGISTRY:
        raise KeyError(f"no experiment named {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


@contextmanager
def single_threaded():
    """One torch thread while training: faster for these small models, and the same numbers."""
    try:
        import torch
    except ImportError:  # chapters 0 and 1 need no torch
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _save_atomic(obj, path: Path) -> None:
    import torch
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def result_path(name: str, **overrides) -> Path:
    exp = _lookup(name)
    return runs_dir() / f"{name}-{cache_key(name, exp.full_config(overrides))}.pt"


def is_cached(name: str, **overrides) -> bool:
    return result_path(name, **overrides).exists()


def run(name: str, **overrides) -> dict:
    """The results of experiment ``name`` (with ``overrides`` on its preset config).

    Loaded from the cache when this exact run was done before; otherwise trained now (single
    threaded), stored atomically, and returned. The dict also holds ``_meta`` (config, key,
    seconds of training).
    """
    import torch
    exp = _lookup(name)
    config = exp.full_config(overrides)
    path = runs_dir() / f"{name}-{cache_key(name, config)}.pt"
    if path.exists():
        try:
            return torch.load(path, weights_only=False)
        except Exception:  # a foreign or damaged file: train again and overwrite it
            pass
    with single_threaded():
        start = time.perf_counter()
        results = exp.fn(**config)
        seconds = time.perf_counter() - start
    if not isinstance(results, dict):
        raise TypeError(f"experiment {name!r} returned {type(results).__name__}, not a dict")
    results["_meta"] = {"name": name, "config": config, "key": path.stem,
                        "seconds": seconds, "torch": torch.__version__}
    _save_atomic(results, path)
    return results


def _worker(name: str) -> tuple[str, float, bool]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cached = is_cached(name)
    start = time.perf_counter()
    run(name)
    return name, time.perf_counter() - start, cached


def train_all(names=None, jobs: int | None = None, out=None) -> dict[str, float]:
    """Train every experiment (or ``names``) not yet cached, ``jobs`` at a time."""
    out = out or sys.stdout
    discover()
    names = list(names) if names else list(REGISTRY)
    for n in names:
        for d in (n, *_lookup(n).after):
            _lookup(d)
    todo = sorted((n for n in names if not is_cached(n)), key=lambda n: -expected_seconds(n))
    print(f"runs: {len(names) - len(todo)} of {len(names)} experiments cached in {runs_dir()}; "
          f"training {len(todo)}", file=out, flush=True)
    jobs = jobs or min(len(todo), os.cpu_count() or 1) or 1
    # what each experiment still waits for (its `after` experiments that are being trained)
    waiting = {n: {d for d in REGISTRY[n].after if d in todo} for n in todo}
    timings = {}
    start = time.perf_counter()

    def finished(name: str, seconds: float) -> list[str]:
        """Record a finished experiment; the experiments it lets start, longest first."""
        timings[name] = seconds
        print(f"  {name}: {seconds:.1f} s", file=out, flush=True)
        freed = []
        for n in todo:
            if name in waiting[n]:
                waiting[n].discard(name)
                if not waiting[n]:
                    freed.append(n)
        return freed

    ready = [n for n in todo if not waiting[n]]
    if jobs == 1 or len(todo) <= 1:
        while ready:
            n = ready.pop(0)
            ready += finished(n, _worker(n)[1])
    elif todo:
        import multiprocessing as mp
        # spawn: a forked child of a process that used torch threads can deadlock.
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(_worker, n) for n in ready}
            while futures:
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    n, seconds, _ = fut.result()
                    futures |= {pool.submit(_worker, m) for m in finished(n, seconds)}
    stuck = [n for n in todo if n not in timings]
    if stuck:
        raise RuntimeError(f"experiments {stuck} wait for each other (their `after` lists "
                           f"form a cycle); nothing trained them")
    if todo:
        print(f"runs: trained {len(todo)} in {time.perf_counter() - start:.1f} s wall",
              file=out, flush=True)
    return timings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zerohero.runs",
        description="Train the book's experiments ahead of the build (cached results).")
    parser.add_argument("names", nargs="*", help="experiments to train (default: all)")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="parallel processes (default: one per core)")
    parser.add_argument("--list", action="store_true", help="list experiments and cache state")
    parser.add_argument("--costs", action="store_true",
                        help="print MEASURED_SECONDS from the cached runs' training times")
    args = parser.parse_args(argv)
    discover()
    if args.costs:
        print("MEASURED_SECONDS = {")
        for row in sorted(summary(), key=lambda r: -r["seconds"]):
            print(f'    "{row["name"]}": {max(1, round(row["seconds"]))},')
        print("}")
        return 0
    if args.list:
        for n, e in sorted(REGISTRY.items()):
            state = "cached" if is_cached(n) else "not cached"
            print(f"{n:40s} ~{expected_seconds(n):6.0f} s  {state}")
        return 0
    unknown = [n for n in args.names if n not in REGISTRY]
    if unknown:
        print(f"error: unknown experiment(s) {', '.join(unknown)}; "
              f"`python -m zerohero.runs --list` shows them")
        return 2
    train_all(args.names, args.jobs)
    return 0


if __name__ == "__main__":
    # Run as `python -m zerohero.runs` this file is `__main__`, a second copy of the module:
    # experiments register in `zerohero.runs`, so delegate to that one.
    from zerohero.runs import main as _main
    raise SystemExit(_main())


def summary() -> list[dict]:
    """Name, training seconds and torch version of every cached experiment."""
    import torch
    discover()
    rows = []
    for name in sorted(REGISTRY):
        if is_cached(name):
            meta = torch.load(result_path(name), weights_only=False)["_meta"]
            rows.append({"name": name, "seconds": float(meta["seconds"]), "torch": meta["torch"]})
    return rows


def summary_markdown(rows=None) -> str:
    """``summary()`` as a Markdown table, longest first (for the build page)."""
    rows = sorted(rows if rows is not None else summary(), key=lambda r: -r["seconds"])
    lines = ["| experiment | training time (s, one thread) |", "|---|---:|"]
    lines += [f"| `{r['name']}` | {r['seconds']:.1f} |" for r in rows]
    return "\n".join(lines)
