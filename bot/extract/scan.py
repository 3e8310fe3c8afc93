"""One unit of work: scan a chunk of a log file, keep what the case concerns, redact it, count the rest.

Runs in a worker process (or in-process for small inputs). Kept entries go to a part file of their own;
the parent joins the parts in input order. Support cases write no entries at all, only counts.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson

from bot.extract.reader import BLOCK_BYTES, Chunk, Progress, ReadCounts, candidate_lines
from bot.extract.sources import Source
from workflows.log_kinds import detect_kind, flatten
from workflows.log_selection import ExtractScope, Selection, entry_time
from workflows.log_summary import SummaryBuilder
from workflows.redaction import RedactionRules, Redactor

_WRITE_BATCH = 1 << 20


@dataclass(frozen=True)
class ExtractSpec:
    """Everything a worker needs, picklable."""

    scope: ExtractScope
    rules: RedactionRules
    write_entries: bool  # Security: redacted entries; Support: the summary only


@dataclass
class ChunkResult:
    chunk: Chunk
    read: ReadCounts
    malformed: int = 0
    kept: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    redactions: Counter[str] = field(default_factory=Counter)
    summary: SummaryBuilder = field(default_factory=SummaryBuilder)
    part: Path | None = None
    data: bytes | None = None  # the kept entries themselves, when scanned elsewhere (a Dask worker)


class Scanner:
    """The compiled selection and redaction of one case, reused for every chunk a process scans."""

    def __init__(self, spec: ExtractSpec) -> None:
        self.spec = spec
        self.selection = Selection(spec.scope)
        self.redactor = Redactor(spec.rules)

    def scan(
        self, chunk: Chunk, part: Path | None, progress: Progress | None = None, *, collect: bool = False
    ) -> ChunkResult:
        """Scan one chunk; kept entries go to `part`, or (`collect`) back in `result.data`."""
        result = ChunkResult(chunk=chunk, read=ReadCounts(), part=part if self.spec.write_entries else None)
        selection, redactor = self.selection, self.redactor
        verdict, labels_of, redact_fields, scrub = (
            selection.verdict,
            selection.event_labels,
            redactor.redact_fields,
            redactor.scrub,
        )
        redactor.counts.clear()
        loads, dumps, JSONDecodeError = orjson.loads, orjson.dumps, orjson.JSONDecodeError
        pending: list[bytes] = []
        pending_bytes = 0
        out: BinaryIO | None = None
        if result.part is not None:
            out = result.part.open("wb")
        elif collect and self.spec.write_entries:
            out = io.BytesIO()
        try:
            lines = candidate_lines(chunk, selection.searches, result.read, progress)
            for offset, line in lines:
                try:
                    entry = loads(line)
                except JSONDecodeError:
                    result.malformed += 1
                    continue
                if type(entry) is not dict:
                    result.malformed += 1
                    continue
                entry = flatten(entry)
                kind = detect_kind(entry)
                reason = verdict(entry, kind)
                if reason is not None:
                    result.rejected[reason.value] += 1
                    continue
                fields, keep = redact_fields(entry, kind)
                result.summary.add(fields, kind, labels_of(entry, kind), entry_time(entry))  # type: ignore[arg-type]
                result.kinds[kind.value] += 1
                result.kept += 1
                if out is not None:
                    fields["_logdive"] = {"kind": kind.value, "input": chunk.input_index, "offset": offset}
                    data = scrub(dumps(fields, option=orjson.OPT_APPEND_NEWLINE), keep)
                    pending.append(data)
                    pending_bytes += len(data)
                    if pending_bytes >= _WRITE_BATCH:
                        out.write(b"".join(pending))
                        pending.clear()
                        pending_bytes = 0
        except OSError as exc:  # an unreadable file stops that file, never the run
            result.read.error = f"read error: {exc.strerror or exc}"
        finally:
            if out is not None:
                out.write(b"".join(pending))
                if isinstance(out, io.BytesIO):
                    result.data = out.getvalue()
                out.close()
        result.redactions.update(redactor.counts)
        return result


def sha256_of(source: Source) -> str:
    digest = hashlib.sha256()
    with source.open() as handle:
        while block := handle.read(BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()
