"""Running an extraction on a Dask cluster (`--dask tcp://scheduler:8786`, or LOGDIVE_DASK_SCHEDULER).

The same chunks as a local run (plain files cut into byte ranges on line boundaries, a gzip file one
partition), the same Scanner (selection and redaction) on the workers, and the kept entries joined in
input order here: identical lines, order and manifest counts as on one core. The spec, with the case's
pseudonym key, is scattered to the workers once; the key has no repr, so it never reaches a log. The
inputs must be readable where the workers run: object-storage URLs, or paths on a shared file system.

`dask[distributed]` is the optional extra `logdive[dask]`.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.extract.reader import Chunk, plan_chunks
from bot.extract.scan import ChunkResult, ExtractSpec, Scanner, sha256_of
from bot.extract.sources import Source


class DaskUnavailable(RuntimeError):
    """No Dask here, or the scheduler could not be reached; the message says which and what to do."""


def connect(address: str, timeout: float = 10.0) -> Any:
    """A distributed.Client for `address` (DaskUnavailable when Dask is missing or out of reach)."""
    try:
        from distributed import Client
    except ImportError:
        raise DaskUnavailable("Dask is not installed here: pip install 'logdive[dask]'") from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailable(f"the Dask scheduler at {address} could not be reached ({exc})") from None


def workers_of(client: Any) -> int:
    """The cluster's worker threads (each scans one chunk at a time)."""
    return max(1, sum(client.nthreads().values()))


def scan_on_dask(
    client: Any,
    spec: ExtractSpec,
    sources: Sequence[Source],
    entries_out: Path | None,
    chunk_bytes: int,
) -> tuple[list[ChunkResult], dict[int, str], str | None, int]:
    """(chunk results in input order, SHA-256 per input, the entries file's SHA-256, workers)."""
    workers = workers_of(client)
    chunks = plan_chunks(list(sources), workers, chunk_bytes)
    shared = client.scatter(spec, broadcast=True)
    scans = [client.submit(_scan, shared, chunk, pure=False) for chunk in chunks]
    whole = {c.input_index for c in chunks if not c.compressed and c.start == 0 and c.end == c.source.size}
    hashes = {
        index: client.submit(sha256_of, source, pure=False)
        for index, source in enumerate(sources, start=1)
        if index not in whole
    }
    results: list[ChunkResult] = []
    digest = hashlib.sha256() if entries_out is not None else None
    temporary = entries_out.with_name(f".{entries_out.name}.partial") if entries_out is not None else None
    out = None
    if temporary is not None:
        out = os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
    try:
        for future in scans:  # in input order: a part is written once it and those before it are in
            result: ChunkResult = future.result()
            if out is not None and digest is not None and result.data:
                digest.update(result.data)
                out.write(result.data)
            result.data = None
            results.append(result)
        if out is not None and temporary is not None and entries_out is not None:
            out.close()
            temporary.replace(entries_out)
    except BaseException:
        if out is not None and temporary is not None:
            out.close()
            temporary.unlink(missing_ok=True)
        raise
    digests = {index: future.result() for index, future in hashes.items()}
    digests.update({r.chunk.input_index: r.read.sha256 for r in results if r.read.sha256})
    return results, digests, digest.hexdigest() if digest is not None else None, workers


_local = threading.local()  # a worker's threads each keep their own compiled scanner (it counts as it goes)


def _scan(spec: ExtractSpec, chunk: Chunk) -> ChunkResult:
    """On a worker: the compiled scanner of this spec (kept per thread while the worker lives), one chunk."""
    scanner: Scanner | None = getattr(_local, "scanner", None)
    if scanner is None or scanner.spec is not spec:
        scanner = _local.scanner = Scanner(spec)
    return scanner.scan(chunk, None, collect=True)
