"""Compile a few lines of C on first use and load them with ctypes (issue 8).

``welford`` and ``fused_batchnorm`` run torch's own CPU arithmetic, in torch's order, in C: the
same bits with less overhead per call. This compiles such a source once per process into a
temporary folder with the system's C compiler. Without a compiler (or if the compile fails)
``load`` returns None and the callers use torch instead: slower, never different.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import shutil
import subprocess
import tempfile

log = logging.getLogger(__name__)


def load(name: str, source: str, functions: dict[str, tuple[list, object]]) -> ctypes.CDLL | None:
    """Compile ``source`` into a shared library and declare ``functions``
    (``{name: (argtypes, restype)}``); None if no C compiler could build it.

    No fused multiply-add (``-ffp-contract=off``): torch's kernels round every operation on its
    own, and a fused ``a * b + c`` rounds once, which would change the bits.
    """
    folder = tempfile.mkdtemp(prefix=f"zerohero-{name}-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    src, library = os.path.join(folder, f"{name}.c"), os.path.join(folder, f"{name}.so")
    with open(src, "w") as f:
        f.write(source)
    cc = os.environ.get("CC", "cc")
    for flags in (["-march=native"], []):
        cmd = [cc, "-O3", *flags, "-ffp-contract=off", "-fPIC", "-shared", src, "-o", library,
               "-lm"]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
            lib = ctypes.CDLL(library)
        except (OSError, subprocess.SubprocessError) as err:
            log.debug("%s: %s failed (%s)", name, " ".join(cmd), err)
            continue
        for fn, (argtypes, restype) in functions.items():
            getattr(lib, fn).argtypes = argtypes
            getattr(lib, fn).restype = restype
        return lib
    log.debug("%s: no working C compiler; using torch", name)
    return None
