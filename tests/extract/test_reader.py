"""The streaming reader: chunks cut anywhere still yield every line exactly once, with its offset."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.extract import reader
from bot.extract.reader import Chunk, ReadCounts, candidate_lines, plan_chunks
from bot.extract.sources import Source

_EVERY_LINE = re2.compile(rb"L").search  # every generated line starts with L


def _read(chunks: list[Chunk]) -> tuple[list[tuple[int, bytes]], int]:
    lines: list[tuple[int, bytes]] = []
    total = 0
    for chunk in chunks:
        counts = ReadCounts()
        lines.extend(candidate_lines(chunk, [_EVERY_LINE], counts))
        total += counts.lines
    return lines, total


_lines = st.lists(st.from_regex(rb"L[a-z{}:,\"]{0,120}", fullmatch=True), min_size=1, max_size=40)


@settings(max_examples=80, deadline=None)
@given(
    _lines, st.booleans(), st.lists(st.integers(min_value=1, max_value=4000), max_size=6), st.integers(8, 300)
)
def test_chunks_cut_anywhere_give_every_line_once(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    trailing_newline: bool,
    cuts: list[int],
    block: int,
) -> None:
    data = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    path = tmp_path_factory.mktemp("cuts") / "log"
    path.write_bytes(data)
    points = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    source = Source.of_path(path)
    chunks = [Chunk(1, source, start, end, False) for start, end in itertools.pairwise(points)]
    original = reader.BLOCK_BYTES
    reader.BLOCK_BYTES = block  # small blocks: lines straddle them, some lines are longer than one
    try:
        found, total = _read(chunks)
    finally:
        reader.BLOCK_BYTES = original
    assert [line for _, line in found] == lines
    assert total == len(lines)
    assert all(data[offset : offset + len(line)] == line for offset, line in found)


def test_gzip_reads_like_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "BLOCK_BYTES", 50)
    lines = [b"L" + bytes([97 + n % 26]) * (n % 90) for n in range(300)]
    data = b"\n".join(lines)
    plain, packed = tmp_path / "a.log", tmp_path / "a.log.1"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data[:4000]) + gzip.compress(data[4000:]))  # two members, as logrotate
    plain_source, packed_source = Source.of_path(plain), Source.of_path(packed)
    assert reader.is_gzip(packed_source) and not reader.is_gzip(plain_source)
    (chunk,) = plan_chunks([packed_source], workers=2)
    assert chunk.compressed
    assert _read([chunk]) == _read(plan_chunks([plain_source], workers=1))


def test_plan_splits_plain_files_only(tmp_path: Path) -> None:
    plain, packed, empty = tmp_path / "p.log", tmp_path / "g.gz", tmp_path / "e.log"
    plain.write_bytes(b"L\n" * 50_000)
    packed.write_bytes(gzip.compress(b"L\n" * 50_000))
    empty.write_bytes(b"")
    sources = [Source.of_path(p) for p in (plain, packed, empty)]
    chunks = plan_chunks(sources, workers=2, min_chunk_bytes=10_000)
    by_file = {i: [c for c in chunks if c.input_index == i] for i in (1, 2, 3)}
    assert len(by_file[1]) > 1 and by_file[1][0].start == 0 and by_file[1][-1].end == 100_000
    assert all(a.end == b.start for a, b in zip(by_file[1], by_file[1][1:], strict=False))
    assert len(by_file[2]) == 1 and by_file[2][0].compressed
    assert len(by_file[3]) == 1 and not by_file[3][0].compressed


def test_whole_file_chunks_carry_their_sha256(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "a.log"
    path.write_bytes(b"L1\nL2\nL3")
    counts = ReadCounts()
    source = Source.of_path(path)
    list(candidate_lines(Chunk(1, source, 0, source.size, False), [_EVERY_LINE], counts))
    assert counts.sha256 == hashlib.sha256(b"L1\nL2\nL3").hexdigest()
    part = ReadCounts()
    list(candidate_lines(Chunk(1, source, 0, 3, False), [_EVERY_LINE], part))
    assert part.sha256 is None  # a part of a file cannot vouch for the whole
