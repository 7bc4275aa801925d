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


class _Server:
    """A local HTTP server with one file (the download path, without the internet)."""

    def __init__(self, folder: Path):
        import functools
        import http.server
        import threading

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        handler = functools.partial(Quiet, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()


def served_manifest(tmp_path, monkeypatch, served: bytes, expected: bytes):
    """A manifest whose URL serves ``served`` while its checksum describes ``expected``."""
    import json
    site = tmp_path / "site"
    site.mkdir()
    (site / "names.txt").write_bytes(served)
    server = _Server(site)
    m = tmp_path / "manifest.json"
    m.write_text(json.dumps({"names.txt": {
        "url": f"{server.url}/names.txt",
        "sha256": hashlib.sha256(expected).hexdigest(), "size": len(expected),
        "description": "d", "provenance": "p", "licence": "l"}}))
    monkeypatch.setattr(data, "MANIFEST", m)
    return server


def test_download_from_the_url_is_verified_and_atomic(tmp_path, monkeypatch):
    content = b"emma\nolivia\n"
    server = served_manifest(tmp_path, monkeypatch, content, content)
    try:
        path = data.fetch("names.txt", dest_dir=tmp_path / "d")
    finally:
        server.close()
    assert path.read_bytes() == content and tmp_files(tmp_path / "d") == []


@pytest.mark.parametrize("served, what", [
    (b"emma\nolivix\n", "checksum mismatch"),     # same size, other bytes
    (b"emma\n", "truncated"),                   # a partial download
])
def test_a_bad_download_is_refused_and_leaves_nothing(tmp_path, monkeypatch, served, what):
    server = served_manifest(tmp_path, monkeypatch, served, b"emma\nolivia\n")
    dest = tmp_path / "d"
    try:
        with pytest.raises(data.DataError, match=what) as err:
            data.fetch("names.txt", dest_dir=dest)
    finally:
        server.close()
    assert "127.0.0.1" in str(err.value)  # names where it came from
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("text, what", [
    ("{not json", "cannot be read"),
    ('{"names.txt": {"url": "https://x"}}', "lacks sha256"),
    ("[]", "lists no datasets"),
])
def test_a_malformed_manifest_is_one_clear_error(tmp_path, monkeypatch, text, what):
    m = tmp_path / "manifest.json"
    m.write_text(text)
    monkeypatch.setattr(data, "MANIFEST", m)
    with pytest.raises(data.DataError, match=what):
        data.fetch("names.txt", dest_dir=tmp_path / "d")


def test_an_unwritable_destination_is_a_clear_error(tmp_path, monkeypatch):
    content = b"a\n"
    fake_manifest(tmp_path, monkeypatch, content)
    mirror = tmp_path / "m"
    mirror.mkdir()
    (mirror / "names.txt").write_bytes(content)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # even root cannot make a folder inside a file
    with pytest.raises(data.DataError, match="cannot write to") as err:
        data.fetch("names.txt", mirror=mirror, dest_dir=blocker / "data")
    assert data.DATA_DIR_ENV in str(err.value)
