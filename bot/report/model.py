"""What a findings report says, computed from the sealed extract alone (plus SIRT's chosen findings).

Everything here is a value the extract already holds or a count of them: nothing is looked up elsewhere,
so the report can reveal nothing the extract may not contain. A Support report is built from the summary
(aggregates) and never sees an entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.report.extract_record import Aggregate, ExtractRecord
from workflows.assessment import Route
from workflows.catalog import Catalog
from workflows.log_kinds import LogKind
from workflows.log_selection import entry_time, event_key
from workflows.log_summary import actor_of
from workflows.pseudonyms import is_pseudonym

APPENDIX_LIMIT = 200  # rows of entries in the appendix; the full extract is referenced by its SHA-256
TOP_LIMIT = 10
TIME_ZONE = "UTC"

# Why each kind of value was redacted, in the customer's words (keys: workflows.redaction.Redaction).
REDACTION_REASONS: dict[str, str] = {
    "username": "Usernames of accounts outside your request became pseudonyms (user-…).",
    "user_id": "User ids of accounts outside your request became pseudonyms (uid-…).",
    "name": "Display names of people outside your request became pseudonyms (name-…).",
    "email": "E-mail addresses of people outside your request became pseudonyms (email-…).",
    "ip_address": "IP addresses of people outside your request became pseudonyms (ip-…).",
    "namespace": "Group and project paths outside your namespace belong to other GitLab customers: "
    "they became pseudonyms (ns-…).",
    "internal_ip": "GitLab's internal network addresses were removed: they describe GitLab's systems, "
    "not your activity.",
    "internal_field": "Fields about GitLab's own servers (host names, processes, timings, stack traces) "
    "were removed.",
    "secret": "Tokens, passwords and other credentials were replaced by [REDACTED].",
}
PSEUDONYM_PREFIXES: tuple[tuple[str, str], ...] = (
    ("user-", "a username"),
    ("uid-", "a user id"),
    ("name-", "a display name"),
    ("email-", "an e-mail address"),
    ("ip-", "an IP address"),
    ("ns-", "a group or project path outside your namespace"),
)
_LOG_TITLES = {
    LogKind.PRODUCTION.value: "web requests",
    LogKind.API.value: "API requests",
    LogKind.AUDIT.value: "audit events",
    LogKind.SIDEKIQ.value: "background jobs",
    LogKind.APPLICATION.value: "application events",
    LogKind.UNKNOWN.value: "other",
}


@dataclass(frozen=True)
class Asked:
    name: str
    title: str  # in plain words


@dataclass(frozen=True)
class Row:
    """One line of a counts table: a label and GitLab Support's figures for it."""

    label: str
    entries: int
    distinct_users: int
    unique_ips: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class Ranked:
    value: str
    entries: int
    pseudonym: bool


@dataclass(frozen=True)
class AppendixRow:
    time: datetime | None
    log: str
    what: str
    actor: str
    ip: str
    status: str


@dataclass(frozen=True)
class Finding:
    """A note SIRT chose for the report, already neutralised (bot.report.findings)."""

    at: datetime | None
    text: str


@dataclass(frozen=True)
class AuditNote:
    missing: tuple[str, ...]
    used_logs: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    case: str
    namespace: str
    route: Route
    window_start: datetime
    window_end: datetime
    generated_at: datetime
    asked: tuple[Asked, ...]
    projects: tuple[str, ...]
    groups: tuple[str, ...]
    users: tuple[str, ...]
    personal_data: bool
    policy: tuple[str, ...]
    inputs: tuple[Any, ...]
    lines_read: int
    entries_kept: int
    redactions: tuple[tuple[str, int, str], ...]
    pseudonyms: tuple[tuple[str, str], ...]
    extract_sha256: str  # of the manifest or summary the report was built from
    entries_sha256: str | None
    totals: Row
    timeline: tuple[tuple[datetime, int], ...]
    by_event_type: tuple[Row, ...]
    by_project: tuple[Row, ...]
    by_log: tuple[tuple[str, int], ...]
    top_ips: tuple[Ranked, ...] = ()
    top_actors: tuple[Ranked, ...] = ()
    appendix: tuple[AppendixRow, ...] = ()
    appendix_total: int = 0
    findings: tuple[Finding, ...] = ()
    audit_note: AuditNote | None = None
    time_zone: str = TIME_ZONE
    tool_version: str = ""
    charts: dict[str, str] = field(default_factory=dict)  # filled by bot.report.charts

    @property
    def is_security(self) -> bool:
        return self.route is Route.SECURITY


def build(
    record: ExtractRecord,
    extract_sha256: str,
    catalog: Catalog,
    *,
    entries: Iterable[Mapping[str, Any]] = (),
    findings: Iterable[Finding] = (),
    audit_note: AuditNote | None = None,
) -> Report:
    """The report's content. `entries` are read only for a Security extract (a Support one has none)."""
    summary = record.summary
    security = record.route is Route.SECURITY and record.entries is not None
    ips: Counter[str] = Counter()
    actors: Counter[str] = Counter()
    appendix: list[AppendixRow] = []
    total = 0
    if security:
        for entry in entries:
            total += 1
            actor, ip = actor_of(entry)
            actor = _account(actor)
            if actor:
                actors[actor] += 1
            if ip:
                ips[ip] += 1
            if len(appendix) < APPENDIX_LIMIT:
                appendix.append(_appendix_row(entry, actor, ip))
    scope = record.scope
    return Report(
        case=record.case,
        namespace=scope.customer_namespace,
        route=record.route,
        window_start=record.window.start,
        window_end=record.window.end,
        generated_at=record.generated_at,
        asked=tuple(Asked(name, plain_title(name, catalog)) for name in record.event_types),
        projects=scope.projects,
        groups=scope.groups,
        users=scope.users,
        personal_data=record.personal_data_kept,
        policy=_policy(record),
        inputs=record.inputs,
        lines_read=sum(i.lines for i in record.inputs),
        entries_kept=summary.entries,
        redactions=tuple(
            (kind, count, REDACTION_REASONS.get(kind, f"Values of the kind {kind!r} were redacted."))
            for kind, count in sorted(record.redactions.items())
            if count
        ),
        pseudonyms=PSEUDONYM_PREFIXES,
        extract_sha256=extract_sha256,
        entries_sha256=record.entries.sha256 if security and record.entries else None,
        totals=_row("All entries", summary),
        timeline=_timeline(summary.per_hour),
        by_event_type=tuple(
            sorted(
                (_row(plain_title(name, catalog), agg) for name, agg in summary.by_event_type.items()),
                key=lambda r: (-r.entries, r.label),
            )
        ),
        by_project=_by_project(record),
        by_log=tuple(
            (_LOG_TITLES.get(kind, kind), count)
            for kind, count in sorted(summary.by_log_kind.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        top_ips=_ranked(ips),
        top_actors=_ranked(actors),
        appendix=tuple(appendix),
        appendix_total=total,
        findings=tuple(findings),
        audit_note=audit_note,
        tool_version=record.tool_version,
    )


def plain_title(name: str, catalog: Catalog) -> str:
    """A category's title from the catalog; an audit event type in words (`user_password_updated` ->
    "User password updated (audit event)"); anything else (a controller, an API route) as it is."""
    if name in catalog.categories:
        return catalog.categories[name].title
    if name in catalog.audit_event_types:
        return f"{name.replace('_', ' ').capitalize()} (audit event)"
    if name in _LOG_TITLES:
        return _LOG_TITLES[name].capitalize()
    return name


def _policy(record: ExtractRecord) -> tuple[str, ...]:
    if record.route is Route.SUPPORT:
        return (
            "Answered by GitLab Support: aggregates only (counts of users, accesses and IP addresses, first "
            "and last time). No raw log entry and no identifier is included, as GitLab Support's policy "
            "requires.",
        )
    personal = (
        "Personal data was requested: the requester and the users named in the request appear by name; "
        "everyone else appears as a pseudonym."
        if record.personal_data_kept
        else "Personal data was not requested: every person appears as a pseudonym."
    )
    return (
        "Answered by GitLab's Security Incident Response Team (SIRT) from GitLab's application logs.",
        "Only entries concerning the resources in your request, inside the window, are kept.",
        personal,
        "This document is released only after a Security reviewer and a Legal reviewer, two different "
        "people, approved its exact content.",
    )


def _row(label: str, agg: Aggregate) -> Row:
    return Row(label, agg.entries, agg.distinct_users, agg.unique_ips, agg.first, agg.last)


def _by_project(record: ExtractRecord) -> tuple[Row, ...]:
    per_project = record.summary.per_project()
    rows = [_row(path, agg) for path, agg in per_project.items()]
    return tuple(sorted(rows, key=lambda r: (-r.entries, r.label)))


def _timeline(per_hour: Mapping[str, int]) -> tuple[tuple[datetime, int], ...]:
    points = []
    for hour, count in per_hour.items():
        try:
            points.append((datetime.fromisoformat(hour), int(count)))
        except (TypeError, ValueError):
            continue  # a bucket the report cannot place is left out of the chart, not guessed
    return tuple(sorted(points))


def _ranked(counter: Counter[str]) -> tuple[Ranked, ...]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_LIMIT]
    return tuple(Ranked(value, count, is_pseudonym(value)) for value, count in ranked)


def _account(actor: str | None) -> str | None:
    """`id:4101` (an actor known by user id only) as a reader says it; a pseudonymised id as it is."""
    if actor is None or not actor.startswith("id:"):
        return actor
    value = actor.removeprefix("id:")
    return value if is_pseudonym(value) else f"user id {value}"


def _appendix_row(entry: Mapping[str, Any], actor: str | None, ip: str | None) -> AppendixRow:
    marker = entry.get("_logdive")
    kind_name = marker.get("kind") if isinstance(marker, Mapping) else None
    try:
        kind = LogKind(str(kind_name))
    except ValueError:
        kind = LogKind.UNKNOWN
    status = entry.get("status") or entry.get("job_status") or ""
    return AppendixRow(
        time=entry_time(entry),
        log=_LOG_TITLES[kind.value],
        what=_what(entry, kind),
        actor=actor or "",
        ip=ip or "",
        status=str(status),
    )


def _what(entry: Mapping[str, Any], kind: LogKind) -> str:
    if kind in (LogKind.PRODUCTION, LogKind.API):
        method, path = entry.get("method"), entry.get("path")
        if isinstance(path, str):
            return f"{method or ''} {path}".strip()
    key = event_key(entry, kind)
    if kind is LogKind.AUDIT and key:
        target = entry.get("target_details") or entry.get("entity_path")
        return f"{key[1]} · {target}" if isinstance(target, str) else key[1]
    if kind is LogKind.SIDEKIQ and isinstance(entry.get("class"), str):
        return str(entry["class"])
    message = entry.get("message")
    if isinstance(message, str):
        return message if len(message) <= 160 else message[:159] + "…"
    return key[1] if key else kind.value
