"""The aggregate view of a case's entries: what Support may hand over (no raw entries, no identifiers).

Built from redacted entries, so even the distinct-user and IP sets held while counting are pseudonyms.
Distinct counts are exact up to workflows.distinct.EXACT_LIMIT values, then bounded-memory estimates
(`estimated: true`). Partial summaries from worker processes merge into one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from workflows.distinct import Distinct
from workflows.gitlab_paths import namespace_of_path
from workflows.log_kinds import LogKind
from workflows.pseudonyms import is_pseudonym

_PATH_ENTITIES = frozenset({"Project", "Group", "Namespace"})


class EventSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    entries: int
    distinct_users: int
    unique_ips: int
    first: datetime | None
    last: datetime | None
    # True when a count passed workflows.distinct.EXACT_LIMIT and is a HyperLogLog estimate (±~2 %).
    estimated: bool = False


class LogSummary(EventSummary):
    """What Support's summary file holds: the totals of every event type, then each type's own."""

    project_paths: tuple[str, ...]
    by_event_type: dict[str, EventSummary]
    # "Who accessed our project, from where?": per project or group path of the customer's, the number
    # of users, times accessed (entries), unique IP addresses, first and last time.
    by_project_path: dict[str, EventSummary] = {}
    per_hour: dict[str, int]  # "2026-11-01T09:00:00+00:00" -> entries in that hour
    by_log_kind: dict[str, int]


class _Bucket:
    __slots__ = ("entries", "first", "ips", "last", "users")

    def __init__(self) -> None:
        self.entries = 0
        self.users = Distinct()
        self.ips = Distinct()
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, user: str | None, ip: str | None, moment: datetime) -> None:
        self.entries += 1
        if user:
            self.users.add(user)
        if ip:
            self.ips.add(ip)
        if self.first is None or moment < self.first:
            self.first = moment
        if self.last is None or moment > self.last:
            self.last = moment

    def merge(self, other: _Bucket) -> None:
        self.entries += other.entries
        self.users.merge(other.users)
        self.ips.merge(other.ips)
        for moment in (other.first, other.last):
            if moment is not None:
                self.first = moment if self.first is None else min(self.first, moment)
                self.last = moment if self.last is None else max(self.last, moment)

    def summary(self) -> EventSummary:
        return EventSummary(
            entries=self.entries,
            distinct_users=self.users.count(),
            unique_ips=self.ips.count(),
            first=self.first,
            last=self.last,
            estimated=self.users.estimated or self.ips.estimated,
        )


class SummaryBuilder:
    """Accumulates redacted entries; `merge` combines builders; `result` gives the counts only."""

    def __init__(self) -> None:
        self._total = _Bucket()
        self._events: dict[str, _Bucket] = {}
        self._per_hour: Counter[str] = Counter()
        self._kinds: Counter[str] = Counter()
        self._projects: dict[str, _Bucket] = {}

    def add(self, fields: Mapping[str, Any], kind: LogKind, labels: Iterable[str], moment: datetime) -> None:
        user, ip = actor_of(fields)
        self._total.add(user, ip, moment)
        for label in labels:
            bucket = self._events.get(label)
            if bucket is None:
                bucket = self._events[label] = _Bucket()
            bucket.add(user, ip, moment)
        self._per_hour[moment.replace(minute=0, second=0, microsecond=0).isoformat()] += 1
        self._kinds[kind.value] += 1
        for path in project_paths_of(fields):
            bucket = self._projects.get(path)
            if bucket is None:
                bucket = self._projects[path] = _Bucket()
            bucket.add(user, ip, moment)

    def merge(self, other: SummaryBuilder) -> None:
        self._total.merge(other._total)
        for label, bucket in other._events.items():
            self._events.setdefault(label, _Bucket()).merge(bucket)
        self._per_hour.update(other._per_hour)
        self._kinds.update(other._kinds)
        for path, bucket in other._projects.items():
            self._projects.setdefault(path, _Bucket()).merge(bucket)

    def result(self) -> LogSummary:
        total = self._total.summary()
        return LogSummary(
            **total.model_dump(),
            project_paths=tuple(sorted(self._projects)),
            by_event_type={k: b.summary() for k, b in sorted(self._events.items())},
            by_project_path={k: b.summary() for k, b in sorted(self._projects.items())},
            per_hour=dict(sorted(self._per_hour.items())),
            by_log_kind=dict(sorted(self._kinds.items())),
        )


def actor_of(fields: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Who acted (username, else user id, else display name) and from which address, as logged."""
    user = fields.get("username") or fields.get("meta.user")
    if not user:
        uid = fields.get("user_id") or fields.get("meta.user_id") or fields.get("author_id")
        user = f"id:{uid}" if uid not in (None, "", 0, -1) else fields.get("author_name")
    ip = fields.get("remote_ip") or fields.get("meta.remote_ip") or fields.get("ip_address")
    return (str(user) if user else None), (str(ip) if ip else None)


def project_paths_of(fields: Mapping[str, Any]) -> set[str]:
    """The customer's project and group paths an entry names (foreign ones are pseudonyms: skipped)."""
    found: set[str] = set()
    project = fields.get("meta.project")
    if isinstance(project, str):
        found.add(project)
    entity = fields.get("entity_path")
    if isinstance(entity, str) and fields.get("entity_type") in _PATH_ENTITIES:
        found.add(entity)
    path = fields.get("path")
    if not project and isinstance(path, str) and ("/-/" in path or ".git" in path or "/api/" in path):
        from_url = namespace_of_path(path)
        if from_url:
            found.add(from_url)
    return {p.lower() for p in found if p and not is_pseudonym(p.split("/", 1)[0])}
