"""Streaming a log file in blocks and finding the lines that could concern a case, without parsing the rest.

A plain file is split into byte ranges (chunks) so several processes can share it; a line belongs to the
chunk its first byte lies in. A gzip file (recognised by its magic bytes, not its name) is one chunk.
Within a block, the scope's pre-filter pattern is searched over the whole block at once; only the lines
around a hit are cut out and handed on. Memory stays at a few blocks, whatever the file size.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from bot.extract.sources import Source

BLOCK_BYTES = 4 << 20
GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int], None]
Search = Callable[[bytes, int, int], Any]


@dataclass(frozen=True)
class Chunk:
    input_index: int  # 1-based position of the file on the command line (the manifest's numbering)
    source: Source
    start: int
    end: int  # exclusive; a gzip chunk covers the whole compressed file
    compressed: bool


@dataclass
class ReadCounts:
    lines: int = 0
    candidates: int = 0
    sha256: str | None = None  # of the whole file, when this chunk was the whole (plain) file
    truncated: bool = False  # a gzip stream that ended early
    error: str | None = None  # why reading stopped before the end (corrupt gzip, unreadable file)
    extra: dict[str, Any] = field(default_factory=dict)


def is_gzip(source: Source) -> bool:
    with source.open() as handle:
        return handle.read(2) == GZIP_MAGIC


def plan_chunks(sources: list[Source], workers: int, min_chunk_bytes: int = 32 << 20) -> list[Chunk]:
    """Byte ranges for the workers.

    A plain file larger than its fair share (total / workers) is cut into several chunks per worker, for
    an even load and steady progress; other files stay whole, so one pass both scans and hashes them.
    """
    sizes = [source.size for source in sources]
    total = sum(sizes)
    fair = total / max(1, workers)
    target = max(min_chunk_bytes, total // max(1, workers * 4))
    chunks: list[Chunk] = []
    for index, (source, size) in enumerate(zip(sources, sizes, strict=True), start=1):
        compressed = size > 0 and is_gzip(source)
        if size == 0 or workers <= 1 or compressed or size <= fair * 1.1 or size < 2 * min_chunk_bytes:
            chunks.append(Chunk(index, source, 0, size, compressed))
            continue
        start = 0
        while start < size:
            end = size if size - start < target * 1.5 else start + target
            chunks.append(Chunk(index, source, start, end, False))
            start = end
    return chunks


def candidate_lines(
    chunk: Chunk, searches: Sequence[Search], counts: ReadCounts, progress: Progress | None = None
) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for every line of the chunk a pre-filter search matches, in order; counts every line.

    Each of `searches` is `search(block, pos, endpos) -> match | None` (a compiled pre-filter's search).
    Offsets are in the decompressed stream.
    """
    blocks = (
        _gzip_blocks(chunk, counts, progress) if chunk.compressed else _plain_blocks(chunk, counts, progress)
    )
    for base, block, end in blocks:
        counts.lines += block.count(b"\n", 0, end) + (0 if block.endswith(b"\n", 0, end) else 1)
        if len(searches) == 1:
            spans: Iterable[tuple[int, int]] = _line_spans(block, end, searches[0])
        else:  # several patterns: each line once, in file order
            spans = sorted(
                dict(span for search in searches for span in _line_spans(block, end, search)).items()
            )
        for start, stop in spans:
            counts.candidates += 1
            yield base + start, block[start:stop]


def _line_spans(block: bytes, size: int, search: Search) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of block[:size] the search matches somewhere."""
    pos = 0
    while pos < size:
        match = search(block, pos, size)
        if match is None:
            return
        start = block.rfind(b"\n", 0, match.start()) + 1
        end = block.find(b"\n", match.end(), size)
        if end < 0:
            end = size
        yield start, end
        pos = end + 1


def _plain_blocks(
    chunk: Chunk, counts: ReadCounts, progress: Progress | None
) -> Iterator[tuple[int, bytes, int]]:
    """(offset, block, end): block[:end] holds whole lines, those starting in [start, end) of the chunk.

    Each block is a fresh read that starts at a line; the partial line at its tail is read again with the
    next block (a seek back), so no block is ever copied to join it with a leftover. A chunk that is the
    whole file also takes the file's SHA-256 on the way, sparing a second pass.
    """
    whole = chunk.start == 0 and chunk.end == chunk.source.size
    digest = hashlib.sha256() if whole else None
    for base, block, end in _plain_reads(chunk, progress):
        if digest is not None:
            digest.update(memoryview(block)[:end])
        yield base, block, end
    if digest is not None:
        counts.sha256 = digest.hexdigest()


def _plain_reads(chunk: Chunk, progress: Progress | None) -> Iterator[tuple[int, bytes, int]]:
    with chunk.source.open() as handle:
        pos = chunk.start
        if pos > 0:
            handle.seek(pos - 1)
            if handle.read(1) != b"\n":  # mid-line: that line belongs to the previous chunk
                pos += len(_rest_of_line(handle))
        _report(progress, min(pos, chunk.end) - chunk.start)
        while pos < chunk.end:
            handle.seek(pos)
            data = handle.read(min(BLOCK_BYTES, chunk.end - pos))
            if not data:
                return
            if pos + len(data) >= chunk.end:  # the last block: its last line is ours to finish
                _report(progress, chunk.end - pos)
                if not data.endswith(b"\n"):
                    data += _rest_of_line(handle)
                yield pos, data, len(data)
                return
            end = data.rfind(b"\n") + 1
            if end == 0:  # one line longer than a block
                data += _rest_of_line(handle)
                end = len(data)
            _report(progress, end)
            yield pos, data, end
            pos += end


def _gzip_blocks(
    chunk: Chunk, counts: ReadCounts, progress: Progress | None
) -> Iterator[tuple[int, bytes, int]]:
    with chunk.source.open() as raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        offset = 0  # in the decompressed stream
        carry = b""
        consumed = 0
        ended = False
        while not ended:
            # read1 returns what one step decompressed: a truncated or corrupt stream loses nothing before it
            pieces = [carry] if carry else []
            size = len(carry)
            wanted = size + BLOCK_BYTES  # at least a block more, even after a line longer than a block
            while size < wanted:
                try:
                    piece = stream.read1(wanted - size)
                except EOFError:
                    counts.truncated = True
                    piece = b""
                except (OSError, zlib.error) as exc:
                    counts.error = f"gzip data unreadable after {offset + size} bytes: {exc}"
                    piece = b""
                if not piece:
                    ended = True
                    break
                pieces.append(piece)
                size += len(piece)
            position = raw.tell()
            _report(progress, position - consumed)
            consumed = position
            buffer = b"".join(pieces)
            cut = len(buffer) if ended else buffer.rfind(b"\n") + 1
            if cut:
                yield offset, buffer, cut
                offset += cut
            carry = buffer[cut:]


def _rest_of_line(handle: BinaryIO) -> bytes:
    """Bytes up to and including the next newline (or to the end of the file)."""
    pieces: list[bytes] = []
    while True:
        piece = handle.read(64 << 10)
        if not piece:
            return b"".join(pieces)
        newline = piece.find(b"\n")
        if newline >= 0:
            pieces.append(piece[: newline + 1])
            return b"".join(pieces)
        pieces.append(piece)


def _report(progress: Progress | None, amount: int) -> None:
    if progress is not None and amount > 0:
        progress(amount)
