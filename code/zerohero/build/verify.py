"""Do the ledger's exact rows hold on other CPU kernels and thread counts?

``python -m zerohero.build.verify --kernels avx2 --threads 1`` retrains the experiments
behind the exact rows (``EXACT_RUNS``) under ``ATEN_CPU_CAPABILITY=avx2`` (or ``default``)
and the given number of torch threads, into a separate run folder; the other experiments'
results are copied from ``.runs/`` (their keys do not depend on the kernels). It then
executes the chapters with exact rows under the same settings and prints, per row, the
value of this build (``_build``), the value under the new settings and whether the row
holds at the lecture's printed digits. Exit status 1 if a row does not hold.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from zerohero.build import book, ledger, runs

# The experiments whose results the exact rows read (the others only feed tolerance
# rows or figures).
EXACT_RUNS = [
    "wavenet_scaled", "ch04-batchnorm", "ch04-fix-tanh", "ch04-kaiming", "mlp",
    "ch04-deep", "bigram_nn", "bigram_nn_index", "bigram_nn_cross_entropy",
    "gpt-bigram", "gpt-single-head", "gpt-multi-head-video-scale",
    "micrograd-moons",
]


def exact_rows() -> list[ledger.Entry]:
    return [e for e in ledger.ENTRIES if e.expect == "exact"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zerohero.build.verify",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", default="", help="ATEN_CPU_CAPABILITY "
                        "(avx2, default; empty: this CPU's best)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", type=Path, required=True, help="run folder to use")
    parser.add_argument("--jobs", "-j", type=int, default=None)
    parser.add_argument("--runs", nargs="*", default=EXACT_RUNS,
                        help="experiments to retrain (default: EXACT_RUNS)")
    args = parser.parse_args(argv)
    if args.kernels:
        os.environ["ATEN_CPU_CAPABILITY"] = args.kernels
    os.environ[runs.THREADS_ENV] = str(args.threads)
    home = runs.runs_dir()
    args.out.mkdir(parents=True, exist_ok=True)
    runs.discover()
    for name in runs.REGISTRY:
        src = runs.result_path(name)
        if name not in args.runs and src.exists():
            shutil.copy2(src, args.out / src.name)
    os.environ[runs.RUNS_DIR_ENV] = str(args.out.resolve())
    start = time.perf_counter()
    jobs = args.jobs or max(1, (os.cpu_count() or 1) // args.threads)
    runs.train_all(args.runs, jobs=jobs)
    trained = time.perf_counter() - start
    rows = exact_rows()
    chapters = sorted({e.chapter for e in rows})
    ours: dict[str, dict] = {}
    for chapter in chapters:
        nb = book.execute(book.ROOT / "book" / f"{chapter}.md")
        ours[chapter] = book.glue_values(nb)
    native = {c: ledger.read_glue(book.BUILD / "jupyter_execute" / "book", c)
              for c in chapters}
    label = f"kernels={args.kernels or 'native'} threads={args.threads}"
    print(f"\n{label}: retrained {len(args.runs)} experiments in {trained:.0f} s "
          f"(from {home} for the rest)\n")
    print(f"{'row':44s} {'this build':>22s} {label:>22s}  holds")
    failed = 0
    for e in rows:
        a = native[e.chapter].get(e.key)
        b = ours[e.chapter].get(e.key)
        _, ok = ledger.mark(e, b)
        failed += not ok
        spread = ""
        if isinstance(a, float) and isinstance(b, float):
            spread = f"  Δ={b - a:+.2e}"
        print(f"{e.chapter + '::' + e.key:44s} {a!r:>22} {b!r:>22}  "
              f"{'yes' if ok else 'NO'}{spread}")
    print(f"\n{len(rows) - failed} of {len(rows)} exact rows hold ({label})")
    return 1 if failed else 0


if __name__ == "__main__":
    from zerohero.build.verify import main as _main
    sys.exit(_main())
