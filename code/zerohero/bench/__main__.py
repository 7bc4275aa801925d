"""``python -m zerohero.bench``: run every benchmark and print the ratios."""

from __future__ import annotations

import sys
import time


def main() -> int:
    from zerohero.bench import gpt, gpt2, makemore, micrograd, tokenizer

    start = time.perf_counter()
    results = []
    for bench in (micrograd, makemore, gpt, tokenizer, gpt2):
        print(f"--- {bench.__name__.rsplit('.', 1)[-1]}", flush=True)
        results += bench.main()
    missed = [r.name for r in results if not r.met]
    print(f"--- {len(results)} comparisons in {time.perf_counter() - start:.0f} s; "
          + ("every goal met" if not missed else f"goals not met: {', '.join(missed)}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
