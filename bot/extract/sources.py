"""Where the logs are read from: local paths, globs and directories, or object-storage URLs via fsspec.

`s3://bucket/key`, `gs://bucket/key` (and any other fsspec protocol whose package is installed; s3fs and
gcsfs come with the optional extra `logdive[cloud]`) use the usual credential chains (environment,
profile files, instance or workload identity). A URL may hold a glob or name a "directory" (a prefix).
`LOGDIVE_LOG_SOURCES` maps each log kind to a pattern with `{date}` (the window's UTC days), so
`logdive extract CASE` finds a case's files by itself.

A `Source` is plain data (picklable, sent to worker processes and Dask workers); it opens a binary,
seekable file wherever it runs.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

READ_BLOCK_BYTES = 8 << 20  # fsspec's read-ahead for remote files
_GLOB_CHARS = frozenset("*?[")


class SourceError(ValueError):
    """A source that names nothing readable; the message names it and what is allowed."""


@dataclass(frozen=True)
class Source:
    url: str  # a local absolute path, or an fsspec URL (s3://bucket/key)
    size: int

    @property
    def local(self) -> bool:
        return "://" not in self.url

    @property
    def name(self) -> str:
        """The file's name only: directories and buckets can name internal hosts."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    def open(self) -> BinaryIO:
        if self.local:
            return Path(self.url).open("rb", buffering=0)
        fs, path = _filesystem(self.url)
        return fs.open(path, "rb", block_size=READ_BLOCK_BYTES)

    @classmethod
    def of_path(cls, path: Path) -> Source:
        if not os.access(path, os.R_OK):
            raise SourceError(f"{path}: cannot be read (permission denied)")
        return cls(str(path.resolve()), path.stat().st_size)


def expand(specs: Iterable[str | Path]) -> list[Source]:
    """Every file the specs name, in order (each glob and directory sorted), each once.

    Raises SourceError naming the first spec that names nothing readable.
    """
    found: dict[str, Source] = {}
    for spec in specs:
        text = str(spec)
        sources = _remote(text) if "://" in text else _local(text)
        if not sources:
            raise SourceError(f"{text}: names no file (a path, a glob, a directory or an s3:// or gs:// URL)")
        for source in sources:
            found.setdefault(source.url, source)
    return list(found.values())


def for_window(patterns: Mapping[str, str], start: datetime, end: datetime) -> list[str]:
    """The sources `LOGDIVE_LOG_SOURCES` names for a window: each kind's pattern for each UTC day."""
    days = window_days(start, end)
    specs: list[str] = []
    for kind, pattern in sorted(patterns.items()):
        try:
            specs.extend(dict.fromkeys(pattern.format(date=day) for day in days))
        except (KeyError, IndexError, ValueError) as exc:
            raise SourceError(
                f"LOGDIVE_LOG_SOURCES: the pattern for {kind} is not valid ({exc}); "
                "use {date} or {date:%Y/%m/%d} for the day"
            ) from None
    return specs


def window_days(start: datetime, end: datetime) -> list[date]:
    """The UTC days a half-open window [start, end) touches."""
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def expand_existing(specs: Iterable[str]) -> tuple[list[Source], list[str]]:
    """Like `expand`, but a spec that names nothing is returned as missing instead of an error
    (a day of a window may have no file of some log kind)."""
    sources: dict[str, Source] = {}
    missing: list[str] = []
    for spec in specs:
        try:
            for source in expand([spec]):
                sources.setdefault(source.url, source)
        except SourceError:
            missing.append(spec)
    return list(sources.values()), missing


# -- local ---------------------------------------------------------------------------------------------
def _local(spec: str) -> list[Source]:
    path = Path(spec).expanduser()
    if _GLOB_CHARS & set(spec):
        matches = [Path(p) for p in sorted(glob.glob(str(path), recursive=True))]  # noqa: PTH207 -- absolute globs
        return [Source.of_path(p) for p in matches if p.is_file()]
    if path.is_dir():
        return [
            Source.of_path(p)
            for p in sorted(path.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        ]
    if path.is_file():
        return [Source.of_path(path)]
    return []


# -- fsspec --------------------------------------------------------------------------------------------
def _filesystem(url: str) -> tuple[Any, str]:
    try:
        from fsspec.core import url_to_fs
    except ImportError:  # pragma: no cover -- fsspec comes with the cloud extra
        raise SourceError(f"{url}: object storage needs: pip install 'logdive[cloud]'") from None
    try:
        return url_to_fs(url)
    except (ImportError, ValueError) as exc:
        protocol = url.split("://", 1)[0]
        raise SourceError(
            f"{url}: no reader for {protocol}:// here ({exc}); pip install 'logdive[cloud]' for s3:// and gs://"
        ) from None


def _remote(spec: str) -> list[Source]:
    fs, path = _filesystem(spec)
    protocol = spec.split("://", 1)[0]
    try:
        if _GLOB_CHARS & set(path):
            infos = fs.glob(path, detail=True)
        elif fs.isdir(path):
            infos = fs.find(path, detail=True)
        elif fs.exists(path):
            infos = {path: fs.info(path)}
        else:
            return []
    except (OSError, PermissionError) as exc:
        raise SourceError(f"{spec}: cannot be listed ({type(exc).__name__}: {exc})") from None
    return [
        Source(f"{protocol}://{name}", int(info.get("size") or 0))
        for name, info in sorted(infos.items())
        if info.get("type", "file") == "file" and not name.rstrip("/").rsplit("/", 1)[-1].startswith(".")
    ]
