"""Saving a file so that a crash leaves the old file or none, never half of one.

``torch.save`` to a temporary file in the same folder, flushed to disk, then
renamed over the target (a rename within a folder is atomic). The run cache,
the command lines' checkpoints and chapter 9's training loop all save this
way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch


def save(obj, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
