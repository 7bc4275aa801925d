"""Which accelerator to train on: CUDA, then Apple's MPS, then the CPU (the
makemore command line, appendix "makemore models"; the GPT chapter uses it
too).

The book's own numbers are computed on the CPU: the exact reproductions depend
on it.
"""

from __future__ import annotations

import torch

CHOICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(ValueError):
    """A device that cannot be used here; the message says why and what to pass
    instead (appendix "makemore models")."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available() -> list[str]:
    """The device kinds usable on this machine, best first; ``'cpu'`` is always
    last (appendix "makemore models")."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    return found + ["cpu"]


def pick_device(name: str = "auto") -> torch.device:
    """``'auto'``: the first of cuda, mps, cpu that works here; else the named
    device (appendix "makemore models").

    A named accelerator that is missing gives a ``DeviceError`` naming what is
    available, rather than an error deep inside the first tensor operation.
    """
    kind = name.split(":")[0]
    if kind not in CHOICES:
        raise DeviceError(
            f"unknown device {name!r}; use one of {', '.join(CHOICES)}"
        )
    if kind == "auto":
        return torch.device(available()[0])
    if kind not in available():
        raise DeviceError(
            f"device {name!r} is not available on this machine; "
            f"available: {', '.join(available())} (or 'auto')"
        )
    if kind == "cuda" and ":" in name:
        index = int(name.split(":")[1]) if name.split(":")[1].isdigit() else -1
        if not 0 <= index < torch.cuda.device_count():
            raise DeviceError(
                f"device {name!r} does not exist: this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)"
            )
    return torch.device(name)
