"""One way to save: a crash while writing leaves the old file, never half of one."""

from __future__ import annotations

import pytest
import torch

from zerohero import atomic


def test_save_writes_and_replaces(tmp_path):
    path = tmp_path / "sub" / "x.pt"
    atomic.save({"a": 1}, path)
    atomic.save({"a": 2}, path)
    assert torch.load(path) == {"a": 2}
    assert [p.name for p in path.parent.iterdir()] == ["x.pt"]


def test_a_crash_while_writing_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.pt"
    atomic.save({"a": 1}, path)

    def crash(obj, f):
        f.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic.save({"a": 2}, path)
    monkeypatch.undo()
    assert torch.load(path) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.pt"]
