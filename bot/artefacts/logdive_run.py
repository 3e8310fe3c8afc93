"""The log-dive run for a recorded case from the case thread: check, then h13's extraction, sealed.

`begin` (the case owner, on an investigated case: recorded as `log_dive_started`); `sources_for` (the
files LOGDIVE_LOG_SOURCES names for the case's window, bot.extract.sources); `extract_and_seal` (GitLab's
ids for the scope, then bot.extract.job.run_case_extract: the same scanner and redactor as
`logdive extract CASE`, the outputs sealed on the case, unreviewed, with an `extract_run` event holding
each input's SHA-256 and counts) or `fail` (`log_dive_failed` says what failed: a missing source, a
GitLab look-up; nothing else changes). It runs in one process (the bot's server must not fork).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from sqlmodel import Session

from bot import outbox
from bot.artefacts.events import ARTEFACT_CARD, Actor, actor_key, case_for, record_event
from bot.artefacts.vault import Vault
from bot.cases import case_label
from bot.db.engine import session_scope
from bot.db.models import Artefact
from bot.extract.identities import ResolutionFailed, resolve_known_ids
from bot.extract.job import ExtractJob, run_case_extract
from bot.extract.run import ExtractionResult, ProgressSink
from bot.extract.sources import Source, SourceError, expand_existing, for_window
from bot.gitlab.client import make_gitlab
from bot.settings import Settings
from workflows.assessment import Route
from workflows.policy import RetentionPolicy
from workflows.request import LogDiveRequest
from workflows.review import CustodyAction
from workflows.states import Role


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


def sources_for(patterns: Mapping[str, str], request: LogDiveRequest) -> tuple[list[Source], list[str]]:
    """The files LOGDIVE_LOG_SOURCES names for the case's window (bot.extract.sources), and the names of
    those it names that are not there; LogDiveFailed when there is nothing to read at all."""
    if not patterns:
        raise LogDiveFailed("no log sources are configured (LOGDIVE_LOG_SOURCES)")
    try:
        specs = for_window(patterns, request.window.start, request.window.end)
    except SourceError as exc:
        raise LogDiveFailed(str(exc)) from None
    sources, missing = expand_existing(specs)
    names = [PurePosixPath(spec).name for spec in missing]  # directories and buckets can name internal hosts
    if not sources:
        raise LogDiveFailed(f"no log file exists for the case's window (missing: {', '.join(names[:5])})")
    return sources, names


def extract_and_seal(
    job: Job, sources: Sequence[Source], *, settings: Settings, vault: Vault, policy: RetentionPolicy,
    now: datetime, started_by: Actor, progress: ProgressSink | None,
) -> tuple[ExtractionResult, list[int]]:  # fmt: skip
    """h13's extraction for the case (bot.extract.job): GitLab's ids, then the run, sealed on the case."""
    try:
        known = resolve_known_ids(make_gitlab(settings), job.request)
    except ResolutionFailed as exc:
        raise LogDiveFailed(str(exc)) from None
    secret = settings.pseudonym_secret.get_secret_value().encode() if settings.pseudonym_secret else b""
    try:
        result, ids = run_case_extract(
            ExtractJob(job.label, job.request, job.route, job.case_id), sources, known, secret=secret,
            vault=vault, database_url=settings.database_url, policy=policy, now=now,
            operator=actor_key(started_by), workers=1, progress=progress,
        )  # fmt: skip
    except OSError as exc:
        raise LogDiveFailed(
            f"reading {PurePosixPath(exc.filename or '?').name}: {exc.strerror or exc}"
        ) from None
    with session_scope(settings.database_url) as session:  # what the cards show: entries kept, redactions
        details = {"entries_kept": result.kept, "redactions": dict(sorted(result.redactions.items()))}
        for artefact_id in ids:
            artefact = session.get(Artefact, artefact_id)
            if artefact is not None:
                artefact.details = details
                session.add(artefact)
                outbox.enqueue(
                    session, case_id=job.case_id, kind=ARTEFACT_CARD, payload={"artefact_id": artefact_id},
                    key=f"artefact:{artefact_id}:details", now=now,
                )  # fmt: skip
    return result, ids


def fail(session: Session, job: Job, why: str, *, started_by: Actor, now: datetime) -> None:
    record_event(
        session, job.case_id, kind="log_dive_failed", actor=started_by, now=now, data={"why": why[:500]}
    )
