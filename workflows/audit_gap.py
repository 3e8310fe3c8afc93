"""The Audit Events gap report: what a log-dive had to find in raw logs because Audit Events lacked it.

A gap issue goes to a product project that may be public, so it must carry no customer identity. That
is checked, not hoped: `customer_identity` lists every name the case knows the customer by (namespace,
users, project and group paths and their distinctive parts, the ticket reference); `scrub` replaces
them, and any e-mail address, IP address or @handle, in what the investigators wrote; `check_clean`
refuses a finished issue text that still contains one. Identical gaps share one issue: `gap_key` is
the same for the same missing events however they were worded in case and spacing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "LOG_SOURCES",
    "REDACTED",
    "CustomerIdentity",
    "GapReport",
    "IdentityLeak",
    "check_clean",
    "customer_identity",
    "gap_key",
    "scrub",
    "scrub_report",
]

REDACTED = "[customer]"

# The logs a log-dive reads when Audit Events has nothing (doc/administration/logs).
LOG_SOURCES: dict[str, str] = {
    "production_json": "production_json.log (Rails requests)",
    "api_json": "api_json.log (REST API requests)",
    "application_json": "application_json.log",
    "auth_json": "auth_json.log (authentication and rate limits)",
    "audit_json": "audit_json.log",
    "sidekiq": "sidekiq logs (background jobs)",
    "gitlab_shell": "gitlab-shell.log (SSH Git)",
    "workhorse": "workhorse / NGINX access logs",
    "graphql_json": "graphql_json.log",
}

# Path parts too common to identify anyone, and words gap reports use about GitLab itself: a project
# called `api` does not make every mention of "API" a customer name.
_GENERIC = frozenset(
    [
        "admin",
        "api",
        "app",
        "apps",
        "audit",
        "auth",
        "backend",
        "build",
        "ci",
        "cd",
        "client",
        "code",
        "config",
        "core",
        "data",
        "dev",
        "docs",
        "event",
        "events",
        "frontend",
        "git",
        "gitlab",
        "group",
        "groups",
        "infra",
        "internal",
        "json",
        "log",
        "logs",
        "main",
        "member",
        "members",
        "mobile",
        "ops",
        "platform",
        "prod",
        "project",
        "projects",
        "repo",
        "repos",
        "security",
        "server",
        "service",
        "services",
        "shared",
        "site",
        "test",
        "tests",
        "token",
        "tokens",
        "tools",
        "user",
        "users",
        "web",
        "www",
    ]
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_HEX = "[0-9a-fA-F]{1,4}"
_IPV6 = re.compile(
    rf"(?<![\w:])(?:(?:{_HEX}:){{7}}{_HEX}|(?:{_HEX}:){{1,7}}:(?:{_HEX}(?::{_HEX}){{0,6}})?|::{_HEX}(?::{_HEX}){{0,6}})"
    rf"(?![\w:])"
)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_][A-Za-z0-9_.\-/]*")
_CHUNK = re.compile(r"[A-Za-z0-9]+")
_SPACE = re.compile(r"\s+")


class IdentityLeak(ValueError):
    """A gap issue text still names the customer: nothing is filed."""

    def __init__(self, found: Iterable[str]) -> None:
        self.found = tuple(sorted(set(found)))
        super().__init__(
            f"the Audit Events gap issue would name the customer ({len(self.found)} identifier(s)); "
            "nothing was filed"
        )


class CustomerIdentity(BaseModel):
    """Every name a case knows the customer by, and the patterns that find them in text."""

    model_config = ConfigDict(frozen=True)

    names: frozenset[str]

    def patterns(self) -> list[re.Pattern[str]]:
        # Longest first, so `acme-corp/api` goes before `acme-corp` and leaves no `/api` behind.
        return [_name_pattern(name) for name in sorted(self.names, key=len, reverse=True)]


def _name_pattern(name: str) -> re.Pattern[str]:
    """`acme-corp` also as `ACME corp`, `acme_corp`, `AcmeCorp`: separators may vary or vanish."""
    chunks = _CHUNK.findall(name)
    body = r"[\W_]*".join(re.escape(chunk) for chunk in chunks)
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)


def customer_identity(request: Mapping[str, Any], *, ticket_reference: str | None = None) -> CustomerIdentity:
    """The customer's names in a request (`LogDiveRequest.model_dump(mode="json")`, as cases store it)."""
    names: set[str] = set()
    namespace = str(request.get("customer_namespace") or "")
    names.add(namespace)
    names.add(str(request.get("requester_username") or ""))
    resources = request.get("resources") or {}
    names.update(str(u) for u in resources.get("users") or ())
    for path in [*(resources.get("projects") or ()), *(resources.get("groups") or ())]:
        names.add(str(path))
        names.update(part for part in str(path).split("/") if _distinctive(part))
    names.add(str(ticket_reference or request.get("ticket_reference") or ""))
    return CustomerIdentity(names=frozenset(n for n in names if _CHUNK.search(n)))


def _distinctive(part: str) -> bool:
    return len(part) >= 3 and part.casefold() not in _GENERIC


def scrub(text: str, identity: CustomerIdentity) -> tuple[str, tuple[str, ...]]:
    """`text` with every customer name, e-mail address, IP address and @handle replaced; and what was
    replaced (for the record, never for the issue)."""
    found: list[str] = []

    def replace(match: re.Match[str]) -> str:
        found.append(match.group(0))
        return REDACTED

    for pattern in (_EMAIL, _HANDLE, *identity.patterns(), _IPV4, _IPV6):
        text = pattern.sub(replace, text)
    return text, tuple(found)


def check_clean(text: str, identity: CustomerIdentity) -> None:
    """Raise IdentityLeak if `text` (a finished gap issue or note) still names the customer."""
    found = [
        m.group(0) for p in (*identity.patterns(), _EMAIL, _HANDLE, _IPV4, _IPV6) for m in p.finditer(text)
    ]
    if found:
        raise IdentityLeak(found)


class GapReport(BaseModel):
    """What the investigating team says Audit Events lacked, in the closing modal's fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    missing: tuple[str, ...] = Field(min_length=1, max_length=20)  # one missing event per item
    used_logs: tuple[str, ...] = ()  # LOG_SOURCES keys
    details: str = Field(default="", max_length=3000)
    requested: tuple[str, ...] = ()  # the catalog names the request asked for (not customer data)

    @field_validator("missing", mode="before")
    @classmethod
    def _lines(cls, value: object) -> object:
        if isinstance(value, str):  # the modal's text area: one missing event per line
            value = value.splitlines()
        if isinstance(value, list | tuple):
            items = [_SPACE.sub(" ", str(v)).strip(" -*•\t") for v in value]
            return tuple(dict.fromkeys(i for i in items if i))
        return value

    @field_validator("missing")
    @classmethod
    def _short(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if len(item) > 200:
                raise ValueError(f"each missing event is at most 200 characters; {item[:40]!r}… is longer")
        return value

    @field_validator("used_logs")
    @classmethod
    def _known_logs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in LOG_SOURCES]
        if unknown:
            raise ValueError(f"unknown log {unknown[0]!r}; allowed: {', '.join(LOG_SOURCES)}")
        return tuple(dict.fromkeys(value))


def scrub_report(report: GapReport, identity: CustomerIdentity) -> tuple[GapReport, tuple[str, ...]]:
    """The report with the customer's names taken out of everything people wrote in it."""
    found: list[str] = []
    missing = []
    for item in report.missing:
        clean, hits = scrub(item, identity)
        missing.append(clean)
        found.extend(hits)
    details, hits = scrub(report.details, identity)
    found.extend(hits)
    requested = []
    for name in report.requested:
        clean, hits = scrub(name, identity)
        requested.append(clean)
        found.extend(hits)
    scrubbed = report.model_copy(
        update={"missing": tuple(dict.fromkeys(missing)), "details": details, "requested": tuple(requested)}
    )
    return scrubbed, tuple(found)


def gap_key(report: GapReport) -> str:
    """The same for the same set of missing events, however worded in case, spacing and order."""
    normal = sorted({_SPACE.sub(" ", item).strip().casefold() for item in report.missing})
    return hashlib.sha256("\n".join(normal).encode()).hexdigest()[:16]
