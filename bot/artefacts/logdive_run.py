"""The log-dive run for a recorded case from the case thread: check, extract, seal the outputs.

Three steps, each its own unit of work: `begin` (the case owner, on an investigated case: recorded as
`log_dive_started`), `extract` (no database: the sources for the case's window, the same scanner and
redactor as `logdive extract`, outputs in a private temporary directory), `finish` (the outputs sealed
as artefacts of the case, unreviewed, and `log_dive_run` recorded with the inputs' SHA-256s and
counts) or `fail` (`log_dive_failed` says what failed; nothing else changes).

Sources come from LOGDIVE_LOG_SOURCES: comma-separated paths or globs, `{date}` standing for each day
of the case's window (YYYY-MM-DD); every pattern must match at least one file, or the run stops
naming the missing source. It runs in one process (the bot's server must not fork); `logdive extract`
takes `--workers` for larger jobs.
"""

from __future__ import annotations

import glob
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bot.artefacts.events import Actor, case_for, record_event
from bot.artefacts.service import store_artefact
from bot.artefacts.vault import Vault
from bot.cases import SYSTEM, case_label
from bot.catalog import load_catalog
from bot.extract.outputs import build_manifest, build_support_summary, write_json
from bot.extract.run import ExtractionResult, ProgressSink, run_extraction
from bot.extract.scan import ExtractSpec
from workflows.assessment import Route
from workflows.log_selection import ExtractScope
from workflows.policy import RetentionPolicy
from workflows.pseudonyms import case_key
from workflows.redaction import RedactionRules
from workflows.request import LogDiveRequest
from workflows.retention import ArtefactKind
from workflows.review import CustodyAction
from workflows.states import Role

MAX_DAYS = 400  # a {date} pattern expands to at most this many days


class LogDiveFailed(Exception):
    """What failed, for the thread and the case log: a missing source, an unreadable file, …"""


@dataclass(frozen=True)
class Job:
    case_id: int
    label: str
    request: LogDiveRequest
    route: Route


def begin(session: Session, case_id: int, *, actor: Actor, roles: Collection[Role], now: datetime) -> Job:
    """The case owner starts a run on a case being investigated (refused and recorded otherwise)."""
    case = case_for(session, case_id, CustodyAction.RUN_EXTRACT, actor=actor, roles=roles, now=now)
    if case.route is None:
        raise LogDiveFailed(f"{case_label(case_id)} has no route: there is no scope to extract")
    record_event(session, case_id, kind="log_dive_started", actor=actor, roles=roles, now=now, data={})
    return Job(case_id, case_label(case_id), LogDiveRequest.model_validate(case.request), Route(case.route))


def resolve_sources(patterns: str | None, request: LogDiveRequest) -> list[Path]:
    """The files for the case's window; LogDiveFailed names a source that has none."""
    if not patterns or not patterns.strip():
        raise LogDiveFailed("no log sources are configured (LOGDIVE_LOG_SOURCES)")
    start, end = request.window.start.date(), request.window.end.date()
    days = [start + timedelta(days=n) for n in range(min((end - start).days + 1, MAX_DAYS))]
    found: list[Path] = []
    for pattern in (p.strip() for p in patterns.split(",")):
        if not pattern:
            continue
        expanded = (
            [pattern.replace("{date}", d.isoformat()) for d in days] if "{date}" in pattern else [pattern]
        )
        matched = sorted({Path(m) for e in expanded for m in glob.glob(e) if Path(m).is_file()})  # noqa: PTH207 -- absolute patterns
        if not matched:
            raise LogDiveFailed(f"log source {pattern!r}: no file for the case's window {start} → {end}")
        found.extend(m for m in matched if m not in found)
    return found


@dataclass(frozen=True)
class Outputs:
    files: list[tuple[str, ArtefactKind, bytes]]  # (name, kind, content)
    result: ExtractionResult


def extract(
    job: Job, sources: list[Path], *, secret: bytes, now: datetime, progress: ProgressSink | None
) -> Outputs:
    """Run the scanner and redactor over `sources` for the case; no database, no Slack."""
    key = case_key(job.label, secret)
    security = job.route is Route.SECURITY
    spec = ExtractSpec(
        scope=ExtractScope.from_request(job.request, load_catalog(), []),
        rules=RedactionRules.for_case(job.request, job.route, key, own_user_ids=[]),
        write_entries=security,
    )
    with tempfile.TemporaryDirectory(prefix="logdive-run-") as workdir:
        entries = Path(workdir) / f"{job.label}-extract.jsonl"
        try:
            result = run_extraction(
                sources, spec, entries_out=entries if security else None, workers=1, progress=progress
            )
        except OSError as exc:
            raise LogDiveFailed(f"reading {Path(exc.filename or '?').name}: {exc.strerror or exc}") from None
        if security:
            manifest = Path(workdir) / f"{job.label}-extract.manifest.json"
            write_json(manifest, build_manifest(job.label, job.request, job.route, result, now,
                                                personal_data_kept=job.request.personal_data))  # fmt: skip
            files = [
                (entries.name, ArtefactKind.RAW, entries.read_bytes()),
                (manifest.name, ArtefactKind.AUTOMATED_ANALYSIS, manifest.read_bytes()),
            ]
        else:
            summary = Path(workdir) / f"{job.label}-summary.json"
            write_json(summary, build_support_summary(job.label, job.request, job.route, result, now))
            files = [(summary.name, ArtefactKind.AUTOMATED_ANALYSIS, summary.read_bytes())]
    return Outputs(files, result)


def finish(
    session: Session, vault: Vault, job: Job, outputs: Outputs, *, started_by: Actor, now: datetime,
    policy: RetentionPolicy,
) -> list[int]:  # fmt: skip
    """Seal the outputs on the case (Logdive stores them; they start unreviewed) and record the run."""
    result = outputs.result
    details = {"entries_kept": result.kept, "redactions": dict(sorted(result.redactions.items()))}
    stored = []
    for name, kind, data in outputs.files:
        artefact = store_artefact(
            session, vault, job.case_id, name=name, kind=kind, data=data, actor=SYSTEM, roles={Role.SYSTEM},
            now=now, policy=policy, source="log_dive",
        )  # fmt: skip
        artefact.details = details
        session.add(artefact)
        stored.append(artefact.id or 0)
    record_event(
        session, job.case_id, kind="log_dive_run", actor=started_by, now=now,
        data={
            "inputs": [
                {"sha256": i.sha256, "size": i.size, "lines": i.lines, "kept": i.kept} for i in result.inputs
            ],
            "entries_kept": result.kept,
            "artefacts": [{"id": i} for i in stored],
        },
    )  # fmt: skip
    return stored


def fail(session: Session, job: Job, why: str, *, started_by: Actor, now: datetime) -> None:
    record_event(
        session, job.case_id, kind="log_dive_failed", actor=started_by, now=now, data={"why": why[:500]}
    )
