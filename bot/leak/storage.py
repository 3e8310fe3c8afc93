"""Object storage a leak reached: delete a prefix when a person confirms it, and check it is gone.

Logdive reaches storage through fsspec with the credentials the process has (for S3: the usual AWS
environment, AWS_ENDPOINT_URL included). "Deleted" is what a listing of the prefix shows, never what
anyone says: `verify` lists it and answers `verified_empty` or `still_present` with the objects found.
Where Logdive cannot list (no credentials, no package for the protocol, access denied) it raises
`Unreachable`, and the step can only be a person's report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.logs import get_logger
from workflows.leak import StorageEvidence

log = get_logger(__name__)

SAMPLE = 20  # objects named in the evidence when a prefix is not empty


class Unreachable(RuntimeError):
    """Logdive cannot look at this location: a person has to report its deletion."""


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        from fsspec.core import url_to_fs
    except ImportError as exc:  # pragma: no cover -- fsspec comes with the cloud extra
        raise Unreachable("fsspec is not installed (pip install 'logdive[cloud]')") from exc
    try:
        fs, path = url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise Unreachable(f"no filesystem for {url.partition('://')[0]}:// is installed") from exc
    return fs, path


def _list(fs: Any, path: str) -> list[str]:
    try:
        fs.invalidate_cache()
        return sorted(fs.find(path))
    except FileNotFoundError:  # the bucket itself is gone: nothing is left under the prefix
        return []
    except (PermissionError, OSError) as exc:
        raise Unreachable(f"Logdive cannot list this location ({type(exc).__name__})") from exc
    except Exception as exc:  # botocore's NoCredentialsError and kin are not OSErrors
        raise Unreachable(f"Logdive cannot list this location ({type(exc).__name__})") from exc


def verify(url: str, *, at: datetime) -> StorageEvidence:
    """List the prefix now: empty, or the objects (a sample) still there."""
    fs, path = _filesystem(url)
    found = _list(fs, path)
    if not found:
        return StorageEvidence(kind="verified_empty", at=at)
    scheme = url.partition("://")[0]
    sample = tuple(f"{scheme}://{name}" for name in found[:SAMPLE])
    return StorageEvidence(kind="still_present", at=at, objects=sample)


def delete_prefix(url: str) -> int:
    """Delete every object under the prefix; how many there were. Only after a person confirmed it."""
    fs, path = _filesystem(url)
    found = _list(fs, path)
    if found:
        try:
            fs.rm(found)
        except Exception as exc:
            raise Unreachable(f"Logdive could not delete at this location ({type(exc).__name__})") from exc
    log.info("leak.prefix_deleted", objects=len(found))
    return len(found)
