"""The Audit Events gap report: what a log-dive had to find in raw logs because Audit Events lacked it.

A gap issue goes to a product project that may be public, so what it says is built, fail-closed, from
what Logdive knows to be safe: `public_gap` keeps only the missing events that are names in the event
catalog (config/event_types.yml) and the log sources Logdive itself names; everything people wrote (the
closing modal's details, any missing event that is not a catalog name) goes to the confidential SIRT
issue only. `check_clean` then checks the finished text for every name the case knows the customer by,
e-mail and IP addresses and @handles, as a last line of defence, not as the mechanism.

Identical gaps share one issue: `gap_key` is the same for the same catalog names in any order. It is a
keyed hash (HMAC-SHA-256 with a deployment secret), so nobody outside can compute the marker of a
future gap issue, and a public marker names no case.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "LOG_SOURCES",
    "CustomerIdentity",
    "GapReport",
    "IdentityLeak",
    "NothingPublic",
    "PublicGap",
    "catalog_name",
    "check_clean",
    "customer_identity",
    "gap_key",
    "keyed_digest",
    "public_gap",
]

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
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)")  # "IP 81.2.69.142." too
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


class NothingPublic(ValueError):
    """No missing event of a report is a catalog name: nothing can be filed publicly."""


class PublicGap(BaseModel):
    """All a public gap issue may say: catalog names and Logdive's own log-source names, nothing typed."""

    model_config = ConfigDict(frozen=True)

    missing: tuple[str, ...]  # catalog names
    used_logs: tuple[str, ...]  # LOG_SOURCES keys
    requested: tuple[str, ...]  # catalog names
    withheld: int  # missing events people described in their own words (SIRT issue only)


_SEPARATORS = re.compile(r"[\s\-]+")


def catalog_name(text: str) -> str:
    """How a catalog name may be typed (`Project export created`) in the catalog's spelling."""
    return _SEPARATORS.sub("_", text.strip()).casefold()


def public_gap(report: GapReport, catalog_names: Collection[str]) -> PublicGap:
    """The public part of `report`: its missing and requested events that are catalog names, and the
    log sources. Raises NothingPublic when no missing event is a catalog name."""
    missing = tuple(dict.fromkeys(n for n in map(catalog_name, report.missing) if n in catalog_names))
    if not missing:
        raise NothingPublic(
            "none of the missing events is an event name from the catalog (config/event_types.yml): "
            "nothing was filed publicly; the report is on the SIRT issue"
        )
    requested = tuple(dict.fromkeys(n for n in map(catalog_name, report.requested) if n in catalog_names))
    return PublicGap(
        missing=missing,
        used_logs=tuple(k for k in report.used_logs if k in LOG_SOURCES),
        requested=requested,
        withheld=len(report.missing) - len(missing),
    )


def keyed_digest(secret: bytes, purpose: str, value: str) -> str:
    """A marker key nobody without `secret` can compute or invert (16 hex digits)."""
    return hmac.new(secret, f"{purpose}\n{value}".encode(), hashlib.sha256).hexdigest()[:16]


def gap_key(gap: PublicGap, secret: bytes) -> str:
    """The same for the same catalog names in any order, under the same secret."""
    return keyed_digest(secret, "logdive-audit-gap", "\n".join(sorted(set(gap.missing))))
