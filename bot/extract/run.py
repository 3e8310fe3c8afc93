"""Running an extraction over many files: chunks to worker processes, parts joined in input order.

Plain files are split into chunks so every core works even on one file; gzip files are one task each.
Each input's SHA-256 is taken by a task of its own, alongside the scans. Workers report bytes read over
a queue so the caller can show progress. Memory stays flat: a worker holds a few blocks and writes its
kept entries to a part file; the parent holds counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing as mp
import os
import queue
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any, Protocol

from bot.extract.reader import Chunk, plan_chunks
from bot.extract.scan import ChunkResult, ExtractSpec, Scanner, sha256_of
from bot.extract.sources import Source
from workflows.log_summary import LogSummary, SummaryBuilder

# Below this much input, starting processes costs more than it saves.
MIN_PARALLEL_BYTES = 16 << 20
_PROGRESS_BATCH = 8 << 20


class ProgressSink(Protocol):
    def start(self, total_bytes: int) -> None: ...
    def advance(self, amount: int) -> None: ...
    def finish(self) -> None: ...


@dataclass
class InputReport:
    index: int
    source: Source
    size: int
    compressed: bool
    sha256: str = ""
    lines: int = 0
    candidates: int = 0
    malformed: int = 0
    kept: int = 0
    truncated: bool = False
    errors: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return self.source.name


@dataclass
class ExtractionResult:
    inputs: list[InputReport]
    rejected: Counter[str]
    redactions: Counter[str]
    summary: LogSummary
    kept: int
    entries_path: Path | None
    entries_sha256: str | None
    elapsed_s: float
    workers: int


def run_extraction(
    inputs: Sequence[Path | Source],
    spec: ExtractSpec,
    *,
    entries_out: Path | None = None,
    workers: int | None = None,
    progress: ProgressSink | None = None,
    chunk_bytes: int = 32 << 20,
    min_parallel_bytes: int = MIN_PARALLEL_BYTES,
    dask: Any = None,
) -> ExtractionResult:
    """Scan `inputs` for the case in `spec`; Security's redacted entries go to `entries_out` (atomically).

    `dask`: a distributed.Client to run the chunks on (bot/extract/on_dask.py); the output is the same.
    """
    began = time.perf_counter()
    paths = [i if isinstance(i, Source) else Source.of_path(i) for i in inputs]
    total = sum(p.size for p in paths)
    if dask is not None:
        from bot.extract.on_dask import scan_on_dask

        if progress is not None:
            progress.start(total)
        target = entries_out if spec.write_entries else None
        results, hashes, entries_sha, used = scan_on_dask(dask, spec, paths, target, chunk_bytes)
        if progress is not None:
            progress.finish()
        return _report(paths, results, hashes, target, entries_sha, began, used)
    workers = max(1, workers or os.cpu_count() or 1)
    if total < min_parallel_bytes:
        workers = 1
    chunks = plan_chunks(paths, workers, chunk_bytes)
    workers = min(workers, len(chunks) + len(paths))
    write = spec.write_entries and entries_out is not None
    parts_dir = Path(
        tempfile.mkdtemp(prefix=".logdive-parts-", dir=entries_out.parent if write and entries_out else None)
    )
    try:
        parts = [parts_dir / f"{n:06d}.jsonl" if write else None for n in range(len(chunks))]
        if workers == 1:
            results, hashes = _run_here(spec, chunks, parts, paths, progress, total)
        else:
            results, hashes = _run_pool(spec, chunks, parts, paths, progress, total, workers)
        entries_sha = _join_parts(parts, entries_out) if write and entries_out is not None else None
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    return _report(paths, results, hashes, entries_out if write else None, entries_sha, began, workers)


# -- in this process -----------------------------------------------------------------------------------
def _run_here(
    spec: ExtractSpec,
    chunks: list[Chunk],
    parts: list[Path | None],
    paths: list[Source],
    progress: ProgressSink | None,
    total: int,
) -> tuple[list[ChunkResult], dict[int, str]]:
    scanner = Scanner(spec)
    if progress is not None:
        progress.start(total)
    advance = progress.advance if progress is not None else None
    results = [scanner.scan(chunk, part, advance) for chunk, part in zip(chunks, parts, strict=True)]
    hashes = {r.chunk.input_index: r.read.sha256 for r in results if r.read.sha256}
    hashes.update({i: sha256_of(p) for i, p in enumerate(paths, start=1) if i not in hashes})
    if progress is not None:
        progress.finish()
    return results, hashes


# -- in worker processes -------------------------------------------------------------------------------
_scanner: Scanner | None = None
_progress_queue: Any = None


def _init_worker(spec: ExtractSpec, progress_queue: Any) -> None:
    global _scanner, _progress_queue
    _scanner = Scanner(spec)
    _progress_queue = progress_queue


def _scan_task(chunk: Chunk, part: Path | None) -> ChunkResult:
    assert _scanner is not None
    reported = [0]

    def advance(amount: int) -> None:
        reported[0] += amount
        if reported[0] >= _PROGRESS_BATCH:
            _progress_queue.put(reported[0])
            reported[0] = 0

    try:
        return _scanner.scan(chunk, part, advance)
    finally:
        if reported[0]:
            _progress_queue.put(reported[0])


def _hash_task(index: int, path: Source) -> tuple[int, str]:
    return index, sha256_of(path)


def _run_pool(
    spec: ExtractSpec,
    chunks: list[Chunk],
    parts: list[Path | None],
    paths: list[Source],
    progress: ProgressSink | None,
    total: int,
    workers: int,
) -> tuple[list[ChunkResult], dict[int, str]]:
    # fork: workers start at once with everything imported; the pool exists before any progress thread.
    context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    progress_queue = context.Queue()
    with context.Pool(workers, initializer=_init_worker, initargs=(spec, progress_queue)) as pool:
        if progress is not None:
            progress.start(total)
        # Hashes first: one worker hashes while the others scan, instead of hashing alone at the end.
        # A file read whole by one scan is hashed on the way; split and gzip files by a task of their own.
        whole = {
            c.input_index for c in chunks if not c.compressed and c.start == 0 and c.end == c.source.size
        }
        hashes = [
            pool.apply_async(_hash_task, (i, p)) for i, p in enumerate(paths, start=1) if i not in whole
        ]
        # Then big chunks before small ones, so the last task to finish is a short one.
        order = sorted(range(len(chunks)), key=lambda n: chunks[n].start - chunks[n].end)
        scans = {n: pool.apply_async(_scan_task, (chunks[n], parts[n])) for n in order}
        pending: list[AsyncResult[Any]] = [*scans.values(), *hashes]
        while pending:
            with contextlib.suppress(queue.Empty):
                amount = progress_queue.get(timeout=0.1)
                if progress is not None:
                    progress.advance(amount)
            pending = [r for r in pending if not r.ready()]
        results = [scans[n].get() for n in range(len(chunks))]
        digests = dict(h.get() for h in hashes)
        digests.update({r.chunk.input_index: r.read.sha256 for r in results if r.read.sha256})
        while not progress_queue.empty():
            amount = progress_queue.get()
            if progress is not None:
                progress.advance(amount)
    if progress is not None:
        progress.finish()
    progress_queue.close()
    return results, digests


# -- merging -------------------------------------------------------------------------------------------
def _join_parts(parts: list[Path | None], target: Path) -> str:
    """Concatenate the parts in order into `target` (created 0600, renamed into place); its SHA-256."""
    digest = hashlib.sha256()
    temporary = target.with_name(f".{target.name}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for part in parts:
                if part is None or not part.exists():
                    continue
                with part.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _report(
    paths: list[Source],
    results: list[ChunkResult],
    hashes: dict[int, str],
    entries_path: Path | None,
    entries_sha: str | None,
    began: float,
    workers: int,
) -> ExtractionResult:
    inputs = [
        InputReport(index=i, source=p, size=p.size, compressed=False, sha256=hashes[i])
        for i, p in enumerate(paths, start=1)
    ]
    rejected: Counter[str] = Counter()
    redactions: Counter[str] = Counter()
    summary = SummaryBuilder()
    for result in results:
        report = inputs[result.chunk.input_index - 1]
        report.compressed = result.chunk.compressed
        report.lines += result.read.lines
        report.candidates += result.read.candidates
        report.malformed += result.malformed
        report.kept += result.kept
        report.truncated |= result.read.truncated
        if result.read.error:
            report.errors.append(result.read.error)
        report.kinds.update(result.kinds)
        rejected.update(result.rejected)
        redactions.update(result.redactions)
        summary.merge(result.summary)
    return ExtractionResult(
        inputs=inputs,
        rejected=rejected,
        redactions=redactions,
        summary=summary.result(),
        kept=sum(r.kept for r in inputs),
        entries_path=entries_path,
        entries_sha256=entries_sha,
        elapsed_s=time.perf_counter() - began,
        workers=workers,
    )
