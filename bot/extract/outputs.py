"""What an extraction leaves on disk, by route.

Security: the redacted entries (JSON lines, written by run.py) and a manifest — the case, window, scope,
each input's SHA-256 and line counts, entries kept, what was dropped and redacted, the tool version.
Support: one summary file with aggregates only (no raw entries), as GitLab's Support policy allows.
Files are written 0600 and renamed into place, so a failed run never leaves half a file.
"""

from __future__ import annotations

import os
from datetime import datetime
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.extract.run import ExtractionResult
from workflows.assessment import Route
from workflows.log_summary import LogSummary
from workflows.request import LogDiveRequest, Window

TOOL = "logdive extract"
PSEUDONYMS_NOTE = (
    "Identifiers of accounts outside the request are stable pseudonyms for this case only: "
    "user- (username), uid- (user id), name- (display name), email-, ip-, ns- (a group or project path "
    "outside the customer's namespace). [REDACTED] replaces secrets, [internal] internal addresses. "
    "Each entry's _logdive names its log kind, its input (the inputs' index) and its byte offset there."
)


def tool_version() -> str:
    try:
        return metadata.version("logdive")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class InputRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    name: str  # the file's name only: directories can name internal hosts
    bytes: int
    sha256: str
    compressed: bool
    lines: int
    candidate_lines: int  # lines the byte pre-filter let through to parsing
    malformed_lines: int  # candidate lines that were not a JSON object (skipped)
    entries_kept: int
    log_kinds: dict[str, int]  # of the kept entries
    truncated: bool
    errors: tuple[str, ...]


class ScopeRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_namespace: str
    projects: tuple[str, ...]
    groups: tuple[str, ...]
    users: tuple[str, ...]


class EntriesRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    sha256: str
    count: int


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)

    tool: str = TOOL
    tool_version: str
    case: str
    route: Route
    generated_at: datetime
    window: Window
    scope: ScopeRecord
    event_types: tuple[str, ...]
    inputs: tuple[InputRecord, ...]
    dropped: dict[str, int]
    summary: LogSummary


class Manifest(_Record):
    """Security's manifest, next to the entries file."""

    personal_data_kept: bool
    entries: EntriesRecord
    redactions: dict[str, int]
    pseudonyms: str = PSEUDONYMS_NOTE
    elapsed_seconds: float
    workers: int


class SupportSummary(_Record):
    """Support's only output: aggregates, no raw entries, no identifiers."""

    note: str = "Aggregates only; no raw log entries are included (GitLab Support policy)."


def inputs_of(result: ExtractionResult) -> tuple[InputRecord, ...]:
    return tuple(
        InputRecord(
            index=r.index,
            name=r.name,
            bytes=r.size,
            sha256=r.sha256,
            compressed=r.compressed,
            lines=r.lines,
            candidate_lines=r.candidates,
            malformed_lines=r.malformed,
            entries_kept=r.kept,
            log_kinds=dict(sorted(r.kinds.items())),
            truncated=r.truncated,
            errors=tuple(r.errors),
        )
        for r in result.inputs
    )


def dropped_of(result: ExtractionResult) -> dict[str, int]:
    """Why lines were not kept: never parsed (no scope string), malformed, or each rejection reason."""
    lines = sum(r.lines for r in result.inputs)
    candidates = sum(r.candidates for r in result.inputs)
    return {
        "no_scope_string": lines - candidates,
        "malformed": sum(r.malformed for r in result.inputs),
        **dict(sorted(result.rejected.items())),
    }


def _common(
    case: str, request: LogDiveRequest, route: Route, result: ExtractionResult, now: datetime
) -> dict[str, object]:
    resources = request.resources
    return {
        "tool_version": tool_version(),
        "case": case,
        "route": route,
        "generated_at": now,
        "window": request.window,
        "scope": ScopeRecord(
            customer_namespace=request.customer_namespace,
            projects=resources.projects,
            groups=resources.groups,
            users=resources.users,
        ),
        "event_types": request.event_types,
        "inputs": inputs_of(result),
        "dropped": dropped_of(result),
        "summary": result.summary,
    }


def build_manifest(
    case: str,
    request: LogDiveRequest,
    route: Route,
    result: ExtractionResult,
    now: datetime,
    *,
    personal_data_kept: bool,
) -> Manifest:
    assert result.entries_path is not None and result.entries_sha256 is not None
    return Manifest(
        **_common(case, request, route, result, now),
        personal_data_kept=personal_data_kept,
        entries=EntriesRecord(file=result.entries_path.name, sha256=result.entries_sha256, count=result.kept),
        redactions=dict(sorted(result.redactions.items())),
        elapsed_seconds=round(result.elapsed_s, 3),
        workers=result.workers,
    )


def build_support_summary(
    case: str, request: LogDiveRequest, route: Route, result: ExtractionResult, now: datetime
) -> SupportSummary:
    return SupportSummary(**_common(case, request, route, result, now))


def write_json(path: Path, record: BaseModel) -> None:
    """Write `record` as indented JSON, 0600, renamed into place."""
    temporary = path.with_name(f".{path.name}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(record.model_dump_json(indent=2) + "\n")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
