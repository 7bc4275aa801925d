"""The datasets: a manifest, and a loader that verifies every byte it hands out.

Used by every chapter from makemore on (chapter 2). A file is taken from ``data/`` if it is
there and verified; else copied from a local mirror folder (``$ZEROHERO_DATA_MIRROR``); else
downloaded from its public URL. Whatever the source, the sha256 is checked before the file is
moved into place, and the move is an atomic rename: ``data/`` never holds a partial file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MIRROR_ENV = "ZEROHERO_DATA_MIRROR"
DATA_DIR_ENV = "ZEROHERO_DATA_DIR"
MANIFEST = Path(__file__).resolve().parents[2] / "data" / "manifest.json"


class DataError(RuntimeError):
    """A dataset could not be provided; the message names the file and what to do."""


@dataclass(frozen=True)
class Dataset:
    name: str
    url: str
    sha256: str
    size: int
    description: str
    provenance: str
    licence: str


FIELDS = ("url", "sha256", "size", "description", "provenance", "licence")


def manifest(path: Path | None = None) -> dict[str, Dataset]:
    """The datasets of ``data/manifest.json`` by file name."""
    path = Path(path or MANIFEST)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DataError(f"the data manifest {path} cannot be read ({err}); restore it "
                        f"from the repository (git checkout -- data/manifest.json)") from None
    found = {}
    for name, e in entries.items() if isinstance(entries, dict) else ():
        missing = [f for f in FIELDS if not isinstance(e, dict) or f not in e]
        if missing:
            raise DataError(f"the data manifest {path}: {name!r} lacks "
                            f"{', '.join(missing)}; every dataset needs {', '.join(FIELDS)}")
        found[name] = Dataset(name, *(e[f] for f in FIELDS))
    if not isinstance(entries, dict) or not found:
        raise DataError(f"the data manifest {path} lists no datasets: it must map file "
                        f"names to {{{', '.join(FIELDS)}}}")
    return found


def data_dir() -> Path:
    """Where verified files live: ``$ZEROHERO_DATA_DIR``, else the repository's ``data/``."""
    return Path(os.environ.get(DATA_DIR_ENV) or MANIFEST.parent)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _install(ds: Dataset, fill, dest_dir: Path, source: str) -> Path:
    """Write via ``fill(file)`` into a temp file beside the target, verify, then rename.

    On any failure the temp file is removed, so nothing half-written is left behind.
    """
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".tmp-{ds.name}-", dir=dest_dir)
    except OSError as err:
        raise DataError(f"{ds.name}: cannot write to {dest_dir} ({err.strerror}). Make it "
                        f"writable, or set {DATA_DIR_ENV} to a folder that is") from None
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
        size = os.path.getsize(tmp)
        if size == 0:
            raise DataError(
                f"{ds.name}: the copy from {source} is empty (0 bytes, expected {ds.size:,}). "
                f"Replace it with a complete copy of {ds.url}"
            )
        actual = sha256_of(Path(tmp))
        if actual != ds.sha256:
            kind = ("truncated" if size < ds.size else
                    "corrupt" if size == ds.size else "a different version")
            raise DataError(
                f"{ds.name}: checksum mismatch for the copy from {source}: expected "
                f"sha256 {ds.sha256}, got {actual} ({size:,} bytes, expected "
                f"{ds.size:,}). The file is {kind}; replace it with a fresh copy of "
                f"{ds.url}"
            )
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the data from other users
        target = dest_dir / ds.name
        os.replace(tmp, target)
        return target
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def fetch(name: str, *, mirror: str | os.PathLike | None = None,
          dest_dir: Path | None = None, timeout: float = 30.0) -> Path:
    """Return the path of a verified copy of dataset ``name``, fetching it if needed."""
    datasets = manifest()
    if name not in datasets:
        raise DataError(f"unknown dataset {name!r}; the manifest ({MANIFEST}) lists "
                        f"{', '.join(sorted(datasets))}")
    ds = datasets[name]
    dest_dir = Path(dest_dir) if dest_dir is not None else data_dir()
    local = dest_dir / name
    if local.exists():
        if local.stat().st_size == ds.size and sha256_of(local) == ds.sha256:
            return local
        # A stale or damaged copy is never used; a verified copy replaces it below.

    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV)
    if mirror:
        src = Path(mirror).expanduser() / name
        if not src.is_file():
            raise DataError(
                f"{name}: not found in the mirror folder {Path(mirror).expanduser()} "
                f"(set by ${MIRROR_ENV}). Put a copy there, or unset {MIRROR_ENV} to "
                f"download it from {ds.url}"
            )
        with open(src, "rb") as f_src:
            return _install(ds, lambda f: shutil.copyfileobj(f_src, f), dest_dir,
                            f"the mirror {src}")

    def download(f):
        try:
            with urllib.request.urlopen(ds.url, timeout=timeout) as response:
                shutil.copyfileobj(response, f)
        except (urllib.error.URLError, OSError) as err:
            raise DataError(
                f"{name}: could not download {ds.url} ({err}). If this machine is offline, "
                f"put the file in a folder and set {MIRROR_ENV} to that folder, or copy it "
                f"to {dest_dir / name}"
            ) from None

    return _install(ds, download, dest_dir, ds.url)


def read_text(name: str) -> str:
    """The verified contents of dataset ``name`` as text (UTF-8)."""
    return fetch(name).read_text(encoding="utf-8")


def sha256s(names=None) -> dict[str, str]:
    """The manifest's checksums: what a cached result depends on."""
    return {n: d.sha256 for n, d in manifest().items() if names is None or n in names}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Fetch and verify the book's datasets.")
    parser.add_argument("names", nargs="*", help="datasets to fetch (default: all)")
    args = parser.parse_args(argv)
    try:
        for name in args.names or sorted(manifest()):
            print(f"{name}: {fetch(name)} (sha256 verified)")
    except DataError as err:
        print(f"error: {err}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
