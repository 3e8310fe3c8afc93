"""Where sealed artefact blobs live: a small interface, and the local-directory implementation.

The store only ever sees ciphertext. An object store (S3, GCS) can implement `BlobStore` later:
put must replace atomically, get must return exactly what was put, delete must be idempotent.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

_REF = re.compile(r"[0-9a-f]{32}")


class BlobMissing(Exception):
    """No blob under this reference (deleted, or never written)."""


def new_ref() -> str:
    """A fresh, unguessable storage reference that says nothing about the case or its content."""
    return secrets.token_hex(16)


def check_ref(ref: str) -> str:
    if not _REF.fullmatch(ref):
        raise ValueError(f"storage reference {ref!r}: expected 32 lower-case hex digits")
    return ref


class BlobStore(Protocol):
    def put(self, ref: str, blob: bytes) -> None: ...
    def get(self, ref: str) -> bytes: ...
    def delete(self, ref: str) -> bool: ...
    def refs(self) -> Iterator[str]: ...


class LocalDirectoryStore:
    """Blobs as files under `root/<first two hex digits>/<ref>`, owner-only permissions."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, ref: str) -> Path:
        check_ref(ref)
        return self.root / ref[:2] / ref

    def put(self, ref: str, blob: bytes) -> None:
        path = self._path(ref)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Write aside, flush to disk, then rename over: a reader sees the old blob or the new, never half.
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            Path(temporary).chmod(0o600)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def get(self, ref: str) -> bytes:
        try:
            return self._path(ref).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(ref) from None

    def delete(self, ref: str) -> bool:
        path = self._path(ref)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def refs(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/*")):
            if _REF.fullmatch(path.name):
                yield path.name


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
