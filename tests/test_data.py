"""The dataset loader: verified copies from data/, a mirror or a URL, atomic writes, clear errors."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from zerohero import data

NAMES = data.manifest()["names.txt"]


def fake_manifest(tmp_path, monkeypatch, content: bytes, name="names.txt"):
    """Point the loader at a manifest describing ``content`` (so tests need no real data)."""
    import json
    m = tmp_path / "manifest.json"
    m.write_text(json.dumps({name: {
        "url": "http://127.0.0.1:9/nothing-listens-here.txt",
        "sha256": hashlib.sha256(content).hexdigest(), "size": len(content),
        "description": "d", "provenance": "p", "licence": "l"}}))
    monkeypatch.setattr(data, "MANIFEST", m)


@pytest.fixture(autouse=True)
def _no_mirror_from_the_environment(monkeypatch):
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)


def tmp_files(folder: Path):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".tmp"))


def test_manifest_lists_both_datasets_with_provenance():
    m = data.manifest()
    assert set(m) == {"names.txt", "tinyshakespeare.txt"}
    for ds in m.values():
        assert ds.url.startswith("https://") and len(ds.sha256) == 64 and ds.size > 0
        assert ds.provenance and ds.licence


def test_good_mirror_is_copied_and_verified(tmp_path, monkeypatch):
    content = b"emma\nolivia\nava\n"
    fake_manifest(tmp_path, monkeypatch, content)
    mirror, dest = tmp_path / "mirror", tmp_path / "dest"
    mirror.mkdir()
    (mirror / "names.txt").write_bytes(content)
    path = data.fetch("names.txt", mirror=mirror, dest_dir=dest)
    assert path == dest / "names.txt" and path.read_bytes() == content
    assert tmp_files(dest) == []


def test_mirror_from_environment_variable(tmp_path, monkeypatch):
    content = b"a\nb\n"
    fake_manifest(tmp_path, monkeypatch, content)
    mirror = tmp_path / "m"
    mirror.mkdir()
    (mirror / "names.txt").write_bytes(content)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    assert data.fetch("names.txt", dest_dir=tmp_path / "d").read_bytes() == content


def test_verified_local_copy_is_used_without_a_mirror(tmp_path, monkeypatch):
    content = b"x\n"
    fake_manifest(tmp_path, monkeypatch, content)
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / "names.txt").write_bytes(content)
    # No mirror and an unreachable URL: only the local copy can satisfy this.
    assert data.fetch("names.txt", dest_dir=dest).read_bytes() == content


def test_corrupt_mirror_file_raises_mismatch_and_leaves_nothing(tmp_path, monkeypatch):
    fake_manifest(tmp_path, monkeypatch, b"the real content\n")
    mirror, dest = tmp_path / "mirror", tmp_path / "dest"
    mirror.mkdir()
    (mirror / "names.txt").write_bytes(b"the real content, but damaged\n")
    with pytest.raises(data.DataError) as err:
        data.fetch("names.txt", mirror=mirror, dest_dir=dest)
    msg = str(err.value)
    assert "names.txt" in msg and "checksum mismatch" in msg
    assert hashlib.sha256(b"the real content\n").hexdigest() in msg  # expected
    assert hashlib.sha256(b"the real content, but damaged\n").hexdigest() in msg  # actual
    assert not (dest / "names.txt").exists() and tmp_files(dest) == []


def test_corrupt_local_copy_is_replaced_from_the_mirror(tmp_path, monkeypatch):
    content = b"good\n"
    fake_manifest(tmp_path, monkeypatch, content)
    mirror, dest = tmp_path / "mirror", tmp_path / "dest"
    mirror.mkdir()
    dest.mkdir()
    (mirror / "names.txt").write_bytes(content)
    (dest / "names.txt").write_bytes(b"half a fi")
    assert data.fetch("names.txt", mirror=mirror, dest_dir=dest).read_bytes() == content


def test_empty_mirror_file_is_a_clear_error(tmp_path, monkeypatch):
    fake_manifest(tmp_path, monkeypatch, b"content\n")
    mirror, dest = tmp_path / "mirror", tmp_path / "dest"
    mirror.mkdir()
    (mirror / "names.txt").write_bytes(b"")
    with pytest.raises(data.DataError, match=r"names.txt.*empty"):
        data.fetch("names.txt", mirror=mirror, dest_dir=dest)
    assert not (dest / "names.txt").exists() and tmp_files(dest) == []


def test_missing_file_in_mirror_names_folder_and_variable(tmp_path, monkeypatch):
    fake_manifest(tmp_path, monkeypatch, b"content\n")
    with pytest.raises(data.DataError) as err:
        data.fetch("names.txt", mirror=tmp_path / "no-such-mirror", dest_dir=tmp_path / "d")
    assert "no-such-mirror" in str(err.value) and data.MIRROR_ENV in str(err.value)


def test_offline_without_mirror_names_url_and_variable(tmp_path, monkeypatch):
    fake_manifest(tmp_path, monkeypatch, b"content\n")
    dest = tmp_path / "d"
    with pytest.raises(data.DataError) as err:
        data.fetch("names.txt", dest_dir=dest, timeout=2)
    msg = str(err.value)
    assert "could not download" in msg and "127.0.0.1:9" in msg and data.MIRROR_ENV in msg
    assert not (dest / "names.txt").exists() and tmp_files(dest) == []


def test_interrupted_copy_leaves_no_partial_file(tmp_path, monkeypatch):
    fake_manifest(tmp_path, monkeypatch, b"content\n")
    dest = tmp_path / "d"
    ds = data.manifest()["names.txt"]

    def crash(f):
        f.write(b"conte")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        data._install(ds, crash, dest, "a test")
    assert list(dest.iterdir()) == []


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(data.DataError, match="tinyshakespeare.txt"):
        data.fetch("mnist.txt")


def test_real_datasets_verify():
    # The build's own data: present (make data) and matching the manifest.
    for name, ds in data.manifest().items():
        path = data.fetch(name)
        assert path.stat().st_size == ds.size and data.sha256_of(path) == ds.sha256


def test_data_files_are_git_ignored():
    root = Path(__file__).resolve().parents[1]
    ignore = (root / ".gitignore").read_text()
    assert "data/*.txt" in ignore


def test_cli_reports_errors_without_traceback(tmp_path, monkeypatch, capsys):
    fake_manifest(tmp_path, monkeypatch, b"content\n")
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "d"))
    monkeypatch.setenv(data.MIRROR_ENV, str(tmp_path / "nowhere"))
    assert data.main([]) == 1
    out = capsys.readouterr().out
    assert out.startswith("error: names.txt") and "Traceback" not in out
